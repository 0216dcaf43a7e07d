"""``dear bench table``: the paper's accuracy grid, resumable, cell by cell.

Each cell (algorithm, model, seed) trains into ``runs/table/<profile>/<algorithm>/<model>/seed<k>``
(weights stay out of git) and its scores land in ``results/table/<profile>/<algorithm>__<model>__seed<k>.json``
(small, committed). Finished cells are skipped, unfinished ones resume from their checkpoint,
so the grid can be filled over several sittings. ``workers`` cells run at once, one torch
thread each.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from dear.algorithms.record import PAPER_EDGE_PROBABILITIES
from dear.config import MODELS
from dear.specs import PAPER_ALGORITHMS

TABLE_MODELS = ("nar", "nar-lt", "dear")
#: The recipe of the DEAR column before the official protocol (tol 1e-3 with IFT, no Jacobian term,
#: evaluation cap 64): its cells stay comparable beside the new ones.
PRE_OFFICIAL_DEAR = ["--tol", "1e-3", "--backward", "ift", "--backward-tol", "1e-3", "--jacobian-weight", "0",
                     "--eval-tol", "1e-3", "--eval-max-iter", "64"]
#: Warm start, trained and evaluated at the strict tolerance the equilibrium check asks for: the base
#: of the recipes below that name it (``dear-warm-tol0.01...``).
WARM_TOL = ["--init", "inputs", "--tol", "0.01", "--eval-tol", "0.01"]
#: The same from a noisy start in training, so that the answer does not hang on the start.
WARM_TOL_START = [*WARM_TOL, "--start-noise", "1"]
TRAIN_32 = ["--train-sizes", "8,32"]
EXTRA_MODELS = {"dear-cgp": ("dear", ["--cgp"]), "dem": ("dem", []), "triplet": ("nar", ["--processor", "triplet"]),
                "dear-align": ("dear", []),
                # Ablation of the DEAR recipe, each one change from the profile's (official) settings.
                "dear-ift": ("dear", ["--backward", "ift"]),
                "dear-tol0.01": ("dear", ["--tol", "0.01"]),
                "dear-fpc": ("dear", ["--correction-states", "4"]),
                "dear-warm": ("dear", ["--init", "inputs"]),
                "dear-ift-fpc": ("dear", ["--backward", "ift", "--correction-states", "4"]),
                "dear-warm-fpc": ("dear", ["--init", "inputs", "--correction-states", "4"]),
                "dear-warm-ift-fpc": ("dear", ["--init", "inputs", "--backward", "ift", "--correction-states", "4"]),
                "dear-warm-tol0.01": ("dear", WARM_TOL),
                "dear-warm-tol0.01-jac0.1": ("dear", [*WARM_TOL, "--jacobian-weight", "0.1"]),
                # The same on graphs drawn with the DEAR paper's edge probabilities (for algorithms whose
                # own sampler is CLRS's sparse one, e.g. Kruskal's: the graphs users bring are denser).
                "dear-warm-tol0.01-jac0.1-paperp": ("dear", [*WARM_TOL, "--jacobian-weight", "0.1", "--edge-p",
                                                             ",".join(f"{p:g}" for p in PAPER_EDGE_PROBABILITIES)]),
                # The same with a contractive processor (spectral normalisation of its linear maps).
                "dear-warm-tol0.01-sn": ("dear", [*WARM_TOL, "--spectral-norm"]),
                "dear-warm-tol0.01-start1": ("dear", WARM_TOL_START),
                "dear-warm-tol0.01-jac0.1-start1": ("dear", [*WARM_TOL, "--jacobian-weight", "0.1", "--start-noise", "1"]),
                "dear-warm-tol0.01-jac0.01-start1": ("dear", [*WARM_TOL, "--jacobian-weight", "0.01", "--start-noise", "1"]),
                # The shipped recipe aligned to the same seed's NAR (the paper's alignment, weight 0.01).
                "dear-warm-tol0.01-start1-align": ("dear", WARM_TOL_START),
                # For users' larger graphs (issue "solve for real users"): training graphs of 8-32 (or
                # 8-64) nodes instead of the protocol's 8-16; validation and test graphs unchanged.
                "nar-train32": ("nar", TRAIN_32),
                "dear-warm-tol0.01-start1-train32": ("dear", [*WARM_TOL_START, *TRAIN_32]),
                "dear-warm-tol0.01-train32": ("dear", [*WARM_TOL, *TRAIN_32]),
                "dear-warm-tol0.01-start1-train64": ("dear", [*WARM_TOL_START, "--train-sizes", "8,64"]),
                "dear-warm-tol0.01-start1-train32-h128": ("dear", [*WARM_TOL_START, *TRAIN_32, "--hidden", "128"]),
                "dear-v1": ("dear", PRE_OFFICIAL_DEAR)}
#: ``dear-jac<w>``: DEAR trained with Jacobian regularisation of weight ``w`` (``dear-jac`` alone: 0.1),
#: a column per weight, so that a sweep fills the table like any other column.
JACOBIAN_COLUMN = re.compile(r"dear-jac(\d+(?:\.\d+)?)?")
#: Columns trained from another column's run of the same algorithm and seed (their ``--align`` target).
ALIGNED_TO = {"dear-align": "nar", "dear-warm-tol0.01-start1-align": "nar"}
TEST_SIZES = (64, 128)
#: Largest evaluation of a model that unrolls the ground-truth number of steps T, per test size:
#: test graphs x T x message edges. Above it the size is skipped and the cell says why (NAR on
#: bubble_sort at n=128: 100 x ~8,100 x 16,384 = 1.3e10 edge-steps, about two hours on one core
#: here; heapsort's 1.7e9 about a quarter of an hour).
UNROLL_EVAL_BUDGET = 2e9


@dataclass(frozen=True)
class Cell:
    algorithm: str
    column: str  # a model name, or an extra column of EXTRA_MODELS
    seed: int

    @property
    def name(self) -> str:
        return f"{self.algorithm}__{self.column}__seed{self.seed}"

    def command(self, profile: str, run_dir: Path, resume: bool) -> list[str]:
        model, extra = column_model(self.column)
        if self.column in ALIGNED_TO:
            extra = [*extra, "--align", str(self.partner_dir(run_dir))]
        argv = [sys.executable, "-m", "dear", "--threads", "1", "train", self.algorithm, "--model", model,
                "--profile", profile, "--seed", str(self.seed), "--out", str(run_dir), "--quiet", *extra]
        return argv + (["--resume"] if resume else [])


    def partner_dir(self, run_dir: Path) -> Path:
        """The run this cell aligns to: the same algorithm and seed, column ``ALIGNED_TO``."""
        return run_dir.parent.parent / ALIGNED_TO[self.column] / run_dir.name


def jacobian_weight(column: str) -> float | None:
    """The Jacobian regularisation weight a DEAR column trains with (plain ``dear``: 0), else None."""
    if column == "dear":
        return 0.0
    match = JACOBIAN_COLUMN.fullmatch(column)
    return float(match.group(1) or 0.1) if match else None


def column_model(column: str) -> tuple[str, list[str]]:
    """The ``dear train`` model and extra flags that a table column stands for."""
    if JACOBIAN_COLUMN.fullmatch(column):
        return "dear", ["--jacobian-weight", f"{jacobian_weight(column):g}"]
    if column not in MODELS and column not in EXTRA_MODELS:
        raise ValueError(f"unknown table column {column!r}; use a model ({', '.join(MODELS)}), "
                         f"{', '.join(c for c in EXTRA_MODELS if c not in MODELS)} or dear-jac<weight>")
    return EXTRA_MODELS.get(column, (column, []))


def grid(algorithms: Sequence[str], columns: Sequence[str], seeds: int) -> list[Cell]:
    for column in columns:
        column_model(column)  # an unknown column fails here, not in every cell's training
    return [Cell(a, c, s) for s in range(seeds) for a in algorithms for c in columns]


#: Share of the logged steps, at the end of training, that :func:`tail_losses` averages.
TAIL_FRACTION = 0.2


#: The solver's per-step training logs (equilibrium models) that :func:`tail_solver` averages.
SOLVER_LOGS = ("iterations_mean", "converged_fraction", "residual_max")


def _tail(metrics: Sequence[dict]) -> list[dict]:
    logged = [m for m in metrics if "loss" in m]
    return logged[-max(1, round(TAIL_FRACTION * len(logged))):] if logged else []


def tail_losses(metrics: Sequence[dict]) -> dict[str, float]:
    """Mean of every loss term over the last ``TAIL_FRACTION`` of the logged steps (``loss`` is
    the total): one batch's loss is too noisy to compare two cells by."""
    tail = _tail(metrics)
    terms = [k for k in (tail[-1] if tail else {}) if k == "loss" or k.startswith("loss_")]
    return {k.removeprefix("loss_"): sum(m[k] for m in tail) / len(tail) for k in terms}


def tail_solver(metrics: Sequence[dict]) -> dict[str, float]:
    """The training solver over the same tail: whether DEAR trained at an equilibrium at all
    (the implicit gradient is only exact where the solve converged)."""
    tail = [m for m in _tail(metrics) if all(k in m for k in SOLVER_LOGS)]
    return {k: sum(m[k] for m in tail) / len(tail) for k in SOLVER_LOGS} if tail else {}


def unroll_cost(algorithm: str, n: int, samples: int) -> float:
    """Edge-steps of unrolling the ground-truth T on ``samples`` test graphs of ``n`` nodes
    (estimated from 4 graphs): what evaluating a NAR at that size costs."""
    from dear.data import generate
    from dear.data.batching import collate

    probe = generate(algorithm, 4, n, seed=0, hints=False)
    edges = collate(probe, hints=False).edge_index.shape[1] / len(probe)
    return samples * float(np.mean([t.length for t in probe])) * edges


def affordable_sizes(cell: Cell, sizes: Sequence[int], samples: int) -> tuple[list[int], dict[str, str]]:
    """The test sizes the cell is evaluated at, and why each other one is skipped: a model that
    unrolls T steps is not evaluated where that exceeds :data:`UNROLL_EVAL_BUDGET`."""
    from dear.models import model_class  # torch: only where a cell is run, not for the report

    if not model_class(column_model(cell.column)[0]).uses_length:
        return list(sizes), {}
    kept, skipped = [], {}
    for size in sizes:
        cost = unroll_cost(cell.algorithm, size, samples)
        if cost > UNROLL_EVAL_BUDGET:
            skipped[str(size)] = (f"not evaluated: unrolling T on {samples} graphs is {cost:.1e} edge-steps "
                                  f"(budget {UNROLL_EVAL_BUDGET:.0e}, UNROLL_EVAL_BUDGET)")
        else:
            kept.append(size)
    return kept, skipped


def run_cell(cell: Cell, profile: str, runs_root: Path, results_root: Path, sizes: Sequence[int], samples: int) -> Path:
    """Train (or resume) and evaluate one cell; returns its result file."""
    result_path = results_root / f"{cell.name}.json"
    if result_path.exists():
        return result_path
    sizes, skipped = affordable_sizes(cell, sizes, samples)
    run_dir = runs_root / cell.algorithm / cell.column / f"seed{cell.seed}"
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    log = run_dir.parent / f"seed{cell.seed}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if cell.column in ALIGNED_TO and not (cell.partner_dir(run_dir) / "train_summary.json").exists():
        raise ValueError(f"{cell.name} aligns to {cell.partner_dir(run_dir)}, which has not finished training")
    if not (run_dir / "train_summary.json").exists():
        resume = (run_dir / "checkpoint" / "state.json").exists()
        tqdm.write(f"{'resuming' if resume else 'training'} {cell.name} (log: {log})")
        if run_dir.exists() and not resume:
            for leftover in run_dir.iterdir():  # killed before its first checkpoint: start afresh
                if leftover.is_file():
                    leftover.unlink()
        with open(log, "a") as stream:
            subprocess.run(cell.command(profile, run_dir, resume), check=True, env=env, stdout=stream, stderr=stream)
    evaluate = [sys.executable, "-m", "dear", "--threads", "1", "evaluate", str(run_dir),
                "--sizes", ",".join(map(str, sizes)), "--samples", str(samples)]
    with open(log, "a") as stream:
        subprocess.run(evaluate, check=True, env=env, stdout=stream, stderr=stream)
    evaluation = json.loads((run_dir / "eval.json").read_text())
    summary = json.loads((run_dir / "train_summary.json").read_text())
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line]
    evaluation = {str(size): evaluation[str(size)] for size in sizes}  # eval.json may hold other sizes too
    record = {"cell": cell.__dict__, "profile": profile, "train": summary, "eval": evaluation,
              **({"skipped_sizes": skipped} if skipped else {}),
              "final_loss": metrics[-1]["loss"] if metrics else None,
              "tail_loss_parts": tail_losses(metrics),
              "tail_solver": tail_solver(metrics),
              "final_loss_parts": {k[5:]: v for k, v in metrics[-1].items() if k.startswith("loss_")} if metrics else {},
              "train_seconds": metrics[-1].get("seconds") if metrics else None,
              "config": json.loads((run_dir / "config.json").read_text())}
    results_root.mkdir(parents=True, exist_ok=True)
    tmp = result_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    tmp.replace(result_path)
    tqdm.write(f"finished {cell.name}: " + ", ".join(f"@{size} {result['score']:.3f}" for size, result in evaluation.items()))
    return result_path


def run_table(out: Path, profile: str = "cpu", seeds: int = 3, algorithms: Iterable[str] = PAPER_ALGORITHMS,
              columns: Sequence[str] = TABLE_MODELS, workers: int = 2, sizes: Sequence[int] = TEST_SIZES,
              samples: int = 100, runs_root: Path = Path("runs/table")) -> dict:
    """Fill the grid (skipping finished cells) and write the aggregate table."""
    results_root = Path(out) / "table" / profile
    cells = grid(list(algorithms), columns, seeds)
    # Every cell needs its alignment partner present; aligned cells train in a second wave.
    partners = [Cell(c.algorithm, ALIGNED_TO[c.column], c.seed) for c in cells if c.column in ALIGNED_TO]
    cells += [p for p in partners if p not in cells]
    todo = [c for c in cells if not (results_root / f"{c.name}.json").exists()]
    waves = [[c for c in todo if c.column not in ALIGNED_TO], [c for c in todo if c.column in ALIGNED_TO]]
    failures = []
    with ThreadPoolExecutor(max_workers=workers) as pool, tqdm(total=len(cells), initial=len(cells) - len(todo),
                                                               desc="table cells", unit="cell") as bar:
        for wave in waves:
            futures = {pool.submit(run_cell, c, profile, runs_root / profile, results_root, sizes, samples): c
                       for c in wave}
            for future in as_completed(futures):
                try:
                    future.result()
                except subprocess.CalledProcessError as error:
                    failures.append(f"{futures[future].name}: exit {error.returncode}")
                except ValueError as error:
                    failures.append(str(error))
                bar.update()
    summary = write_table(out, profile)
    if failures:
        raise ValueError(f"{len(failures)} cell(s) failed (see their .log files): {'; '.join(failures)}")
    return summary


def write_table(out: Path, profile: str) -> dict:
    """Aggregate the finished cells under ``out`` into ``table_<profile>.json`` and ``.md``."""
    summary = aggregate(Path(out) / "table" / profile)
    (Path(out) / f"table_{profile}.json").write_text(json.dumps(summary, indent=2))
    (Path(out) / f"table_{profile}.md").write_text(markdown_table(summary, profile))
    return summary


def read_cells(results_root: Path) -> list[dict]:
    """Every finished cell's record under ``results_root`` (one JSON file per cell), by name."""
    return [json.loads(path.read_text()) for path in sorted(Path(results_root).glob("*.json"))]


def aggregate(results_root: Path) -> dict:
    """``{algorithm: {column: {size: {"mean", "std", "n", "scores"}}}}`` over finished seeds."""
    table: dict = {}
    for record in read_cells(results_root):
        cell = record["cell"]
        by_size = table.setdefault(cell["algorithm"], {}).setdefault(cell["column"], {})
        for size, result in record["eval"].items():
            by_size.setdefault(size, {"scores": []})["scores"].append(result["score"])
    for columns in table.values():
        for by_size in columns.values():
            for entry in by_size.values():
                scores = np.asarray(entry["scores"])
                entry.update(mean=float(scores.mean()), std=float(scores.std()), n=int(scores.size))
    return table


def markdown_table(table: dict, profile: str, size: str = "64") -> str:
    columns = sorted({c for cols in table.values() for c in cols}, key=lambda c: (c not in TABLE_MODELS, c))
    lines = [f"CLRS score at n={size} (mean ± std over seeds; seeds in brackets), profile `{profile}`", "",
             "| algorithm | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for algorithm in sorted(table):
        cells = []
        for column in columns:
            entry = table[algorithm].get(column, {}).get(size)
            cells.append(f"{entry['mean']:.3f} ± {entry['std']:.3f} [{entry['n']}]" if entry else "–")
        lines.append(f"| {algorithm} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
