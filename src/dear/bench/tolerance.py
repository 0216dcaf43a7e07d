"""``dear bench tolerance``: what DEAR's solver tolerance costs and buys, on the test graphs of
the accuracy table (same seed, same size): CLRS score, solver iterations and convergence at
several relative tolerances, beside NAR's score and its ground-truth steps T.

The published code stops its forward solve at a relative residual of 0.1 (``f_tol`` in its
``configs/deq.yaml``); ours evaluates at 1e-3. One DEAR iteration is one processor call, as one
NAR step is, so iterations against T is the machine-independent part of the inference-time
comparison (wall time is ``dear bench inference``'s job); this sweep can run on a busy machine.
With ``patience`` the sweep also stops graphs whose residual stalls (``solve``'s stall test):
the rows say what that saves in iterations and costs in score.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

from dear.bench.inference import SHIPPED, model_pair
from dear.bench.plots import plot_tradeoff
from dear.bench.records import merge_rows, write_rows
from dear.data.splits import TEST
from dear.run import score_run
from dear.data.splits import load_split

TOLERANCES = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3)


def _case(row: dict) -> tuple:
    return row["algorithm"], row["column"], row["n"], row.get("patience", 0), -row["tol"]


def run_tolerance_benchmark(out_dir: Path, algorithms: Sequence[str], sizes: Sequence[int] = (64,), samples: int = 100,
                            tolerances: Sequence[float] = TOLERANCES, runs: Path | None = None,
                            column: str = "dear", patience: int = 0) -> list[dict]:
    """Sweep every algorithm's packaged DEAR (``runs`` None; rows say :data:`SHIPPED`), else its
    table cell of ``column`` beside the ``nar`` cell; writes ``bench_tolerance.*``."""
    label = SHIPPED if runs is None else column
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], []
    cases = [(algorithm, n) for algorithm in algorithms for n in sizes]
    for algorithm, size in tqdm(cases, desc="tolerance", unit="case"):
        try:
            dear_dir, nar_dir = model_pair(algorithm, runs, column)
        except ValueError as error:
            skipped.append(f"{algorithm}: {error}")
            continue
        steps = np.mean([t.length for t in load_split(algorithm, TEST, samples, (size, size))])
        nar_score = score_run(nar_dir, (size,), samples)[str(size)]["score"]
        for tol in tolerances:
            result = score_run(dear_dir, (size,), samples, eval_tol=tol, eval_patience=patience)[str(size)]
            rows.append({
                "algorithm": algorithm, "column": label, "n": size, "tol": tol, "patience": patience,
                "score": result["score"], "iterations_mean": result["iterations_mean"],
                "iterations_max": result["iterations_max"], "converged_fraction": result["converged_fraction"],
                "stalled_fraction": result["stalled_fraction"], "residual_max": result["residual_max"],
                "eval_max_iter": result["eval_max_iter"], "nar_score": nar_score, "nar_steps_mean": float(steps),
                "samples": samples, "dear_model": str(dear_dir), "nar_model": str(nar_dir),
            })
    if not rows:
        raise ValueError("no trained nar/dear pair for any algorithm; train the table or ship models first")
    rows = merge_rows(out_dir / "bench_tolerance.json", rows, _case)
    meta = {"machine": platform.processor() or platform.machine(), "load_average_1min": os.getloadavg()[0],
            "test_seed": TEST.seed, "tolerances": list(tolerances), "skipped": sorted(set(skipped))}
    write_rows(out_dir / "bench_tolerance.json", meta, rows)
    curves, references = {}, {}
    for row in rows:
        stall = f" patience {row['patience']}" if row.get("patience") else ""
        label = f"{row['algorithm']} {row['column']}{stall} @{row['n']}"
        curves.setdefault(label, []).append((row["iterations_mean"], row["score"]))
        references[label] = (row["nar_steps_mean"], row["nar_score"])
    (out_dir / "plots").mkdir(exist_ok=True)
    plot_tradeoff(curves, references, out_dir / "plots" / "tolerance_tradeoff.png",
                  title="DEAR over tolerances (o) vs NAR at its T (*)",
                  xlabel="iterations (DEAR) / steps T (NAR)")
    return rows
