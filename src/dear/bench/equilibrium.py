"""``dear bench equilibrium``: is each DEAR at its fixed point, and what does that cost in score?

A DEAR's answer is only a DEAR's answer where its solve converged: a graph that reaches the
iteration cap is decoded from a weight-tied recurrent net's last iterate. This benchmark
re-solves DEARs on the table's test graphs (seed 3, 100 graphs) at one size and a *strict*
relative tolerance (default 1e-2, ten times tighter than the official training tolerance of 0.1)
and records, per model, the share of graphs that converged, iterations and residuals, beside the
score of the NAR of the same algorithm (and seed) on the same graphs.

Two sources: ``shipped`` (the packaged ``dear`` and ``nar`` models: the check of issue
"DEAR at equilibrium", with its pass/fail verdict) and ``table`` (every DEAR-family cell
whose run is on disk, against the same seed's ``nar`` cell: the ablation of recipes). Every
row also solves, at the fixed points found, the adjoint system the implicit gradient needs
(:mod:`dear.bench.adjoint`), and the same graphs from the starts the model was not trained from,
to see whether its equilibrium (and answer) depends on where the solve begins
(:mod:`dear.bench.uniqueness`).
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Sequence

from tqdm.auto import tqdm

from dear.bench.adjoint import adjoint_convergence
from dear.bench.records import merge_rows, write_rows
from dear.bench.table import column_model
from dear.bench.uniqueness import STARTS, compare_starts
from dear.data.splits import TEST, load_split
from dear.evaluate import evaluate_model
from dear.run import eval_batch_size, load_run, score_run
from dear.solving import pretrained_dir

#: The check: every shipped DEAR converges on at least ``EACH`` of the graphs, on ``MEAN`` on
#: average, and scores at least NAR's minus ``SCORE_MARGIN`` on ``SCORE_WINS`` algorithms or more.
EACH, MEAN, SCORE_MARGIN, SCORE_WINS = 0.90, 0.95, 0.02, 8


def _case(row: dict) -> tuple:
    return row["source"], row["algorithm"], row["column"], row["seed"], row["n"], -row["tol"]


def _row(source: str, algorithm: str, column: str, seed: int, dear_dir: Path, nar_score: float, size: int,
         samples: int, tol: float) -> dict:
    """Score and convergence at ``tol``, the adjoint at the fixed points and the other starts'
    answers, all on one load of the model and of the ``size`` test graphs."""
    config, model = load_run(dear_dir, eval_tol=tol)
    data = load_split(config.algorithm, TEST, samples, (size, size), random_pos=config.random_pos)
    batch_size = eval_batch_size(config.algorithm, size, config.hidden)
    dear = evaluate_model(model, data, batch_size)
    others = tuple(start for start in STARTS if start != config.init)
    measured = (adjoint_convergence(model, data, batch_size, tol) | {"start": config.init}
                | compare_starts(model, data, batch_size, others))
    return measured | {"source": source, "algorithm": algorithm, "column": column, "seed": seed, "n": size, "tol": tol,
            "eval_max_iter": config.eval_max_iter, "score": dear["score"], "nar_score": nar_score,
            "converged_fraction": dear["converged_fraction"], "iterations_mean": dear["iterations_mean"],
            "iterations_max": dear["iterations_max"], "residual_mean": dear["residual_mean"],
            "residual_max": dear["residual_max"], "samples": samples, "dear_model": str(dear_dir)}


def table_cases(runs: Path, results: Path, algorithms: Sequence[str], size: int,
                columns: Sequence[str] | None = None, seeds: int | None = None) -> list[tuple]:
    """(algorithm, column, seed, DEAR run, NAR score) for every trained DEAR-family cell (of
    ``columns``, default all; of seeds below ``seeds``, default all) whose ``nar`` cell of the
    same seed has a score at ``size`` (same test graphs: the table's seed)."""
    found = []
    for run in sorted(p for p in Path(runs).glob("*/*/seed*") if p.is_dir()):
        algorithm, column, seed = run.parent.parent.name, run.parent.name, int(run.name.removeprefix("seed"))
        if algorithm not in algorithms or not (run / "train_summary.json").exists():
            continue
        if (columns is not None and column not in columns) or (seeds is not None and seed >= seeds):
            continue
        try:
            model, _ = column_model(column)
        except ValueError:
            continue
        nar = Path(results) / f"{algorithm}__nar__{run.name}.json"
        if model == "dear" and nar.exists():
            found.append((algorithm, column, seed, run, json.loads(nar.read_text())["eval"][str(size)]["score"]))
    return found


def run_equilibrium_benchmark(out_dir: Path, algorithms: Sequence[str], source: str = "shipped", size: int = 64,
                              samples: int = 100, tol: float = 1e-2, runs: Path | None = None,
                              columns: Sequence[str] | None = None, seeds: int | None = None) -> dict:
    """Measure and write ``bench_equilibrium.json``/``.csv`` (``columns`` and ``seeds``: the table's
    DEAR cells to re-solve, default all; other rows are kept); returns the verdict of the shipped check."""
    if source == "shipped":
        cases = [(a, "dear", 0, pretrained_dir("dear", a), score_run(pretrained_dir("nar", a), (size,), samples)[str(size)]["score"])
                 for a in algorithms]
    elif source == "table":
        if runs is None or not Path(runs).exists():
            raise ValueError(f"no table runs in {runs}; train cells with `dear bench table` first")
        cases = table_cases(Path(runs), Path(out_dir) / "table" / Path(runs).name, algorithms, size, columns, seeds)
    else:
        raise ValueError(f"unknown source {source!r}; choose shipped or table")
    if not cases:
        raise ValueError(f"no trained DEAR cell in {runs} matches (with its nar cell scored at n={size}); "
                         "train them with `dear bench table` first")
    path = Path(out_dir) / "bench_equilibrium.json"
    meta = {"machine": platform.processor() or platform.machine(), "test_seed": TEST.seed,
            "check": {"each": EACH, "mean": MEAN, "score_margin": SCORE_MARGIN, "score_wins": SCORE_WINS}}
    verdict: dict = {}
    for a, c, s, d, n in tqdm(cases, desc=f"equilibrium ({source})", unit="model"):
        # Each row is written as it lands: a long re-solve of the table's cells can be stopped and kept.
        rows = merge_rows(path, [_row(source, a, c, s, d, n, size, samples, tol)], _case)
        verdict = shipped_verdict(rows)
        write_rows(path, meta | {"load_average_1min": os.getloadavg()[0], "verdict": verdict}, rows)
    return verdict


def shipped_verdict(rows: Sequence[dict]) -> dict:
    """The check on the shipped rows: which parts hold and which algorithms miss them."""
    shipped = [r for r in rows if r["source"] == "shipped"]
    if not shipped:
        return {}
    converged = [r["converged_fraction"] for r in shipped]
    close = [r["algorithm"] for r in shipped if r["score"] >= r["nar_score"] - SCORE_MARGIN]
    return {"algorithms": len(shipped),
            "each_converged": min(converged) >= EACH,
            "below_each": sorted(r["algorithm"] for r in shipped if r["converged_fraction"] < EACH),
            "mean_converged": sum(converged) / len(converged),
            "mean_holds": sum(converged) / len(converged) >= MEAN,
            "score_within_margin": len(close),
            "score_holds": len(close) >= SCORE_WINS,
            "score_misses": sorted(r["algorithm"] for r in shipped if r["algorithm"] not in close)}
