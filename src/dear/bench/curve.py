"""``dear bench curve``: score against training steps, to tell budget from method.

One run per (algorithm, model) trains with the profile's settings to the largest horizon,
keeping snapshots of the best-validation weights at every horizon (``--snapshot-steps``); with
a constant learning rate and a step-determined data order, a snapshot is what a run of that
many steps would have kept. The run goes horizon by horizon (train to 1,500, score; resume to
6,000, score; ...), so whatever a sitting reaches is recorded, and the next sitting resumes.
Scores land in ``results/curve/<profile>/<algorithm>__<model>.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

from tqdm.auto import tqdm

from dear.bench.table import ALIGNED_TO, Cell, column_model
from dear.config import TrainConfig, make_config, same_recipe
from dear.data.splits import TEST
from dear.run import score_run

#: The horizons of issue 20: the cpu profile's budget, 4x it, and the official 100 epochs.
HORIZONS = (1500, 6000, 31300)
CURVE_ALGORITHMS = ("bellman_ford", "floyd_warshall", "mst_prim")
CURVE_MODELS = ("nar", "dear")


def _finished_steps(run_dir: Path) -> int:
    summary = run_dir / "train_summary.json"
    return json.loads(summary.read_text())["steps"] if summary.exists() else 0


#: Options a curve run may differ in from the table cell it starts from (besides its prose).
_CURVE_ONLY = ("steps", "snapshot_steps", "max_steps")


def seed_from_table(run_dir: Path, table_run: Path, horizons: Sequence[int], expected: dict | None = None) -> bool:
    """Start a curve run from the table's cell of the same column and seed 0 when that cell
    trained exactly the first horizon with the options the curve run would use (``expected``,
    a config as a dict; the table's cells and the curve's runs share their command but for
    ``--snapshot-steps``): its checkpoint resumes to the next horizon and its kept weights are
    the first snapshot, so the first horizon is not trained twice. False (and nothing
    written) when the curve run exists or the cell does not fit."""
    first = min(horizons)
    summary = table_run / "train_summary.json"
    if run_dir.exists() or not summary.exists() or not (table_run / "checkpoint" / "state.json").exists():
        return False
    # through the config class: a cell trained before an option existed holds its default
    config = json.loads(TrainConfig.load(table_run / "config.json").to_json())
    trained = json.loads(summary.read_text())
    if config["steps"] != first or trained["steps"] != first or config["snapshot_steps"]:
        return False
    if expected is not None and not same_recipe(config, expected, ignoring=_CURVE_ONLY):
        return False  # the profile's recipe changed since the cell was trained
    staging = run_dir.with_name(run_dir.name + ".seeding")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(table_run, staging, ignore=shutil.ignore_patterns("eval.json"))
    (staging / "config.json").write_text(json.dumps(config | {"snapshot_steps": sorted(horizons)}, indent=2))
    (staging / "snapshots").mkdir()
    shutil.copy2(table_run / "model.safetensors", staging / "snapshots" / f"step{first}.safetensors")
    best = {"score": trained["best_val_score"], "loss": trained["best_val_loss"], "step": trained["best_step"]}
    (staging / "snapshots" / f"step{first}.json").write_text(json.dumps({"step": first, "best": best}))
    staging.rename(run_dir)
    return True


def expected_config(algorithm: str, profile: str, column: str) -> dict | None:
    """The config (as a dict) a curve run of a plain model column trains with; None for a recipe
    column, whose table cell was trained by the very command the curve run resumes (only the
    step counts are then checked by :func:`seed_from_table`)."""
    model, extra = column_model(column)
    return None if extra else json.loads(make_config(algorithm, profile, model=model, seed=0).to_json())


def run_curve_case(algorithm: str, model: str, profile: str, horizons: Sequence[int], until: int, runs_root: Path,
                   results_root: Path, size: int = 64, samples: int = 100, table_root: Path | None = None) -> Path:
    """Train one (algorithm, model) horizon by horizon up to ``until`` and score each snapshot at
    ``size`` (``horizons``: all of the curve's, the run's snapshot steps), starting from the
    table's seed-0 cell under ``table_root`` where it fits (:func:`seed_from_table`)."""
    run_dir = runs_root / profile / algorithm / model
    if table_root is not None and seed_from_table(
            run_dir, table_root / profile / algorithm / model / "seed0", horizons, expected_config(algorithm, profile, model)):
        tqdm.write(f"{algorithm} {model}: the first {min(horizons):,} steps are the table's seed-0 cell")
    result_path = results_root / f"{algorithm}__{model}.json"
    record = json.loads(result_path.read_text()) if result_path.exists() else {
        "algorithm": algorithm, "model": model, "profile": profile, "n": size, "test_seed": TEST.seed, "horizons": {}}
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    for horizon in sorted(h for h in horizons if h <= until):
        if str(horizon) in record["horizons"]:
            continue
        if _finished_steps(run_dir) < horizon:
            resume = (run_dir / "checkpoint" / "state.json").exists()
            argv = Cell(algorithm, model, seed=0).command(profile, run_dir, resume) + [
                "--steps", str(horizon), "--snapshot-steps", ",".join(map(str, sorted(horizons)))]
            with open(run_dir.parent / f"{model}.log", "a") as log:
                subprocess.run(argv, check=True, env=env, stdout=log, stderr=log)
        snapshot = run_dir / "snapshots" / f"step{horizon}.safetensors"
        result = score_run(run_dir, (size,), samples, weights=snapshot)[str(size)]
        metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line]
        seconds = next((m["seconds"] for m in reversed(metrics) if m["step"] <= horizon and "seconds" in m), None)
        record["horizons"][str(horizon)] = {"score": result["score"], "train_seconds": seconds,
                                            **{k: result[k] for k in ("converged_fraction", "iterations_mean")
                                               if k in result}}
        results_root.mkdir(parents=True, exist_ok=True)
        result_path.write_text(json.dumps(record, indent=2))
        tqdm.write(f"{algorithm} {model} @{horizon} steps: score {result['score']:.3f}")
    return result_path


def run_curve(out: Path, profile: str = "cpu", algorithms: Sequence[str] = CURVE_ALGORITHMS,
              models: Sequence[str] = CURVE_MODELS, horizons: Sequence[int] = HORIZONS, workers: int = 2,
              runs_root: Path = Path("runs/curve"), table_root: Path | None = Path("runs/table")) -> None:
    """Every (algorithm, model) case, ``workers`` at a time, one horizon for all cases before the
    next (the short horizons land first); finished horizons are skipped. ``models`` are table
    columns (default nar and the profile's dear; a recipe such as ``dear-warm-tol0.01-start1``
    gives that recipe's curve), except the aligned ones."""
    for model in models:
        column_model(model)  # a ValueError naming the columns there are
        if model in ALIGNED_TO:
            raise ValueError(f"curve: {model} aligns to a table cell a curve run does not have; "
                             f"choose a column without --align")
    results_root = Path(out) / "curve" / profile
    cases = [(a, m) for a in algorithms for m in models]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for until in sorted(horizons):
            futures = [pool.submit(run_curve_case, a, m, profile, horizons, until, runs_root, results_root,
                                   table_root=table_root) for a, m in cases]
            for future in tqdm(futures, desc=f"curve to {until} steps", unit="case"):
                future.result()
