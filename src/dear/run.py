"""A run directory as a unit: load its model, evaluate it, record ``eval.json``."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Sequence

from dear.checkpoint import load_weights, write_json
from dear.config import TrainConfig
from dear.specs import SPECS, Location, Stage, Type
from dear.evaluate import evaluate_model
from dear.data.splits import TEST, TEST_SAMPLES, TEST_SIZES, Split, load_split
from dear.distributed import default_device
from dear.models import NAR, Reasoner, build_model


#: Evaluation solver settings a caller may replace (DEAR; DEM reads the first two).
EVAL_SETTINGS = ("eval_tol", "eval_max_iter", "eval_patience")


def load_run(run_dir: Path, weights: Path | None = None, **eval_settings: float | None) -> tuple[TrainConfig, Reasoner]:
    """Config and best weights of a run (or the ``weights`` file given, e.g. a snapshot); clear
    errors for anything missing or corrupt. ``eval_settings`` (names in :data:`EVAL_SETTINGS`)
    replace the run's evaluation solver settings; None keeps the run's own."""
    run_dir = Path(run_dir)
    weights = Path(weights) if weights is not None else run_dir / "model.safetensors"
    unknown = sorted(set(eval_settings) - set(EVAL_SETTINGS))
    if unknown:
        raise ValueError(f"unknown evaluation setting(s) {unknown}; allowed: {', '.join(EVAL_SETTINGS)}")
    if not (run_dir / "config.json").exists():
        raise ValueError(f"{run_dir} is not a run directory (no config.json)")
    if not weights.exists():
        raise ValueError(f"{run_dir} has no {weights.name} (training did not reach its first evaluation)")
    config = TrainConfig.load(run_dir / "config.json")
    for name, value in eval_settings.items():
        if value is not None:
            setattr(config, name, value)
    config.validate()
    model = build_model(config)
    load_weights(model, weights)
    return config, model.eval()


def load_alignment_target(run_dir: Path, algorithm: str, hidden: int) -> NAR:
    """The NAR run that ``--align`` names, checked to be a NAR of the same algorithm and width."""
    try:
        config, model = load_run(run_dir)
    except ValueError as error:
        raise ValueError(f"--align: {error}") from None
    wanted = {"model": "nar", "algorithm": algorithm, "hidden": hidden}
    found = {"model": config.model, "algorithm": config.algorithm, "hidden": config.hidden}
    if found != wanted:
        mismatch = ", ".join(f"{key} {found[key]!r} (need {value!r})" for key, value in wanted.items()
                             if found[key] != value)
        raise ValueError(f"--align {run_dir}: not a NAR run of this DEAR: {mismatch}")
    return model


def eval_batch_size(algorithm: str, n: int, hidden: int) -> int:
    """Graphs per evaluation batch: 16 at small sizes, fewer as graphs grow, and few enough
    that Floyd–Warshall's dense ``n x n x n x H`` pointer scores stay near 1 GB."""
    graphs = max(1, min(16, 1024 // n))
    if any(loc == Location.EDGE and kind == Type.POINTER for stage, loc, kind in SPECS[algorithm].values()
           if stage == Stage.OUTPUT):
        graphs = max(1, min(graphs, 2**28 // (n**3 * hidden)))
    return graphs


def is_shipped(run_dir: Path) -> bool:
    """Whether ``run_dir`` is a model folder inside the installed package (read-only for us)."""
    package = Path(str(resources.files("dear"))).resolve()
    return package in Path(run_dir).resolve().parents


def evaluate_run(run_dir: Path, sizes: Sequence[int] = TEST_SIZES, samples: int = TEST_SAMPLES, seed: int = TEST.seed,
                 batch_size: int | None = None, out: Path | None = None,
                 **eval_settings: float | None) -> tuple[dict[str, dict], Path | None]:
    """Score the run at every size on fresh graphs (``seed`` fixes them) and merge into
    ``eval.json`` of ``out`` (default: the run directory); each entry records the solver
    settings it was measured with (``eval_settings`` as in :func:`load_run`). A shipped model's
    folder is never written: without ``out`` its scores are only returned. Returns the scores
    and the file written (None if none was)."""
    results = score_run(run_dir, sizes, samples, seed, batch_size, **eval_settings)
    if out is None and is_shipped(run_dir):
        return results, None
    path = Path(out if out is not None else run_dir) / "eval.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(path.read_text()) if path.exists() else {}
    write_json(path, previous | results)
    return results, path


def score_run(run_dir: Path, sizes: Sequence[int] = TEST_SIZES, samples: int = TEST_SAMPLES, seed: int = TEST.seed,
              batch_size: int | None = None, weights: Path | None = None,
              **eval_settings: float | None) -> dict[str, dict]:
    """:func:`evaluate_run` without touching the run directory (for sweeps over solver limits and
    snapshots: ``weights`` as in :func:`load_run`)."""
    if samples < 1:
        raise ValueError(f"samples must be positive, got {samples}")
    config, model = load_run(run_dir, weights, **eval_settings)
    device = default_device()
    model.to(device)
    results = {}
    for size in sizes:
        data = load_split(config.algorithm, Split(TEST.name, seed), samples, (size, size), hints=model.uses_hints,
                          random_pos=config.random_pos)
        graphs = batch_size or eval_batch_size(config.algorithm, size, config.hidden)
        results[str(size)] = evaluate_model(model, data, graphs, device) | {
            name: getattr(config, name) for name in EVAL_SETTINGS}
    return results
