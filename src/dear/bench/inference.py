"""``dear bench inference``: time per sample of NAR vs DEAR, side by side, with warm-up.

For each algorithm and size, both models run on the same graphs in one process; every
measurement is preceded by warm-up calls and repeated, and we report the median and the
inter-quartile range, with NAR's ground-truth steps and DEAR's solver iterations.
:func:`large_graph_benchmark` adds one graph of 10⁴ nodes through ``dear.solve``'s sparse path.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Sequence

import networkx as nx
import numpy as np
import torch
from tqdm.auto import tqdm

from dear.algorithms import get
from dear.bench.figures import inference_vs_size
from dear.bench.records import dear_column, merge_rows, write_rows
from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate, uses_complete_graph
from dear.models import build_model
from dear.models.base import Reasoner
from dear.run import load_run
from dear.solving import model_batch, pretrained_dir

DEFAULT_SIZES = (16, 64, 256, 1024)
DEFAULT_REPEATS = 5
#: Array algorithms run on the complete graph with T = n (NAR): O(n^3) work per graph, so they
#: stop at 256 nodes on a CPU.
COMPLETE_GRAPH_CAP = 256


def graphs_per_batch(n: int) -> int:
    return max(1, 256 // n)


@torch.no_grad()
def time_model(model: Reasoner, batch, warmup: int, repeats: int) -> tuple[list[float], dict]:
    model.eval()
    for _ in range(warmup):
        prediction = model(batch)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        prediction = model(batch)
        seconds.append(time.perf_counter() - start)
    return seconds, prediction.diagnostics


def _spread(values: Sequence[float], per: int) -> dict:
    q1, median, q3 = np.percentile(np.asarray(values) / per, [25, 50, 75])
    return {"median_s": float(median), "q1_s": float(q1), "q3_s": float(q3)}


#: What a bench row says it timed when the models are the packaged ones (``--source shipped``).
SHIPPED = "shipped"


def find_model(kind: str, algorithm: str, runs: Path | None) -> Path:
    """The model a bench measures: the packaged ``kind`` (``nar``/``dear``) when ``runs`` is None,
    else the table's seed-0 run of column ``kind``, which must exist: falling back to the packaged
    model would time one model under another's name."""
    if runs is None:
        return pretrained_dir(kind, algorithm)
    candidate = Path(runs) / algorithm / kind / "seed0"
    if not (candidate / "model.safetensors").exists():
        raise ValueError(f"no trained {kind} cell for {algorithm} in {runs}; train it with "
                         f"`dear bench table --algorithms {algorithm} --columns {kind}`")
    return candidate


def model_pair(algorithm: str, runs: Path | None, dear_column: str) -> tuple[Path, Path]:
    """The (DEAR, NAR) a bench compares: the packaged pair (``runs`` None), else the table's
    seed-0 cells of ``dear_column`` and ``nar``."""
    return find_model("dear" if runs is None else dear_column, algorithm, runs), find_model("nar", algorithm, runs)


#: The solver's stall test in the ``dear_patient`` variant: iterations without a new lowest residual.
PATIENCE = 8
#: Timed variants: (model kind, evaluation settings replaced). DEAR is timed at relative
#: tolerances 1e-3, 1e-2 (where the equilibrium check asks for convergence) and 0.1 (the official
#: ``f_tol``), and at 1e-3 with the stall test, each with the run's own iteration cap;
#: ``dear_column`` picks which table column stands for DEAR.
VARIANTS = {"nar": ("nar", {}), "dear": ("dear", {"eval_tol": 1e-3}), "dear_relaxed": ("dear", {"eval_tol": 1e-2}),
            "dear_loose": ("dear", {"eval_tol": 1e-1}), "dear_patient": ("dear", {"eval_patience": PATIENCE})}
#: How the DEAR variants are labelled in plots and the report.
DEAR_VARIANTS = {"dear": "tol 1e-3", "dear_relaxed": "tol 1e-2", "dear_loose": "tol 1e-1",
                 "dear_patient": f"tol 1e-3, patience {PATIENCE}"}


def _case(row: dict) -> tuple:
    return row["algorithm"], dear_column(row), row["n"]


def run_inference_benchmark(out_dir: Path, algorithms: Sequence[str], sizes: Sequence[int] = DEFAULT_SIZES,
                            warmup: int = 2, repeats: int = DEFAULT_REPEATS, runs: Path | None = None, seed: int = 4,
                            dear_column: str = "dear") -> list[dict]:
    """Time NAR and DEAR side by side: the packaged models (``runs`` None; rows say
    :data:`SHIPPED`), else the table's seed-0 runs of ``nar`` and ``dear_column``."""
    label = SHIPPED if runs is None else dear_column
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], []
    cases = [(a, n) for a in algorithms for n in sizes
             if n <= (get(a).max_timed_nodes or (COMPLETE_GRAPH_CAP if uses_complete_graph(a) else n))]
    for algorithm, n in tqdm(cases, desc="inference", unit="case"):
        try:
            dear_dir, nar_dir = model_pair(algorithm, runs, dear_column)
            sources = {"dear": dear_dir, "nar": nar_dir}
            models = {name: load_run(sources[kind], **settings)[1] for name, (kind, settings) in VARIANTS.items()}
        except ValueError as error:
            skipped.append(f"{algorithm}: {error}")
            continue
        count = graphs_per_batch(n)
        batch = collate(generate(algorithm, count, n, seed=seed, hints=False), hints=False)
        row = {"algorithm": algorithm, "dear_column": label, "n": n, "graphs": count,
               "dear_model": str(sources["dear"]), "nar_model": str(sources["nar"]),
               "nar_steps_mean": float(batch.length.float().mean()), "warmup": warmup, "repeats": repeats,
               "load_average_1min": os.getloadavg()[0]}
        for name, model in models.items():
            seconds, diagnostics = time_model(model, batch, warmup, repeats)
            row |= {f"{name}_{k}": v for k, v in _spread(seconds, count).items()}
            if "iterations_mean" in diagnostics:
                row |= {f"{name}_{k}": diagnostics[k] for k in ("iterations_mean", "converged_fraction",
                                                                "stalled_fraction")}
        row |= {f"{variant}_over_nar": row[f"{variant}_median_s"] / row["nar_median_s"] for variant in DEAR_VARIANTS}
        rows.append(row)
    if not rows:
        raise ValueError("no trained nar/dear pair for any algorithm; train the table or ship models first")
    rows = merge_rows(out_dir / "bench_inference.json", rows, _case)
    meta = {"machine": platform.processor() or platform.machine(), "load_average_1min": os.getloadavg()[0], "torch_threads": torch.get_num_threads(),
            "warmup": warmup, "repeats": repeats, "sizes": list(sizes), "seed": seed, "device": "cpu", "skipped": sorted(set(skipped))}
    write_rows(out_dir / "bench_inference.json", meta, rows)
    inference_vs_size(rows, DEAR_VARIANTS, out_dir / "bench_inference_median.png", seconds=True)
    inference_vs_size(rows, DEAR_VARIANTS, out_dir / "bench_inference_iterations.png", seconds=False)
    return rows


def _model_or_random(kind: str, algorithm: str, runs: Path | None) -> tuple[Reasoner, str]:
    """A trained model and where it came from, else a randomly initialised one (cpu profile):
    timing and memory do not depend on the weights, DEAR's iteration count does."""
    try:
        path = find_model(kind, algorithm, runs)
    except ValueError:
        torch.manual_seed(0)
        model = build_model(make_config(algorithm, "cpu", model=kind)).eval()
        return model, "randomly initialised (no trained model)"
    return load_run(path)[1], str(path)


def large_graph_benchmark(out_dir: Path, n: int = 10_000, avg_degree: int = 20, algorithm: str = "bfs",
                          runs: Path | None = None, repeats: int = 3, seed: int = 0) -> dict:
    """One random graph of ``n`` nodes and ``n * avg_degree / 2`` edges through ``dear.solve``'s
    sparse path: time to build the batch, DEAR's time and iterations, NAR's time and ``T`` (or
    why NAR cannot run at that size), and the process's peak RSS. Writes ``bench_large_graph.json``."""
    kind = get(algorithm).inputs
    rng = np.random.default_rng(seed)
    graph = nx.gnm_random_graph(n, n * avg_degree // 2, seed=seed, directed=kind.directed)
    if kind.weighted:
        weights = rng.uniform(0.01, 1.0, graph.number_of_edges())
        nx.set_edge_attributes(graph, dict(zip(graph.edges, weights)), "weight")
    result: dict = {"algorithm": algorithm, "nodes": n, "graph_edges": graph.number_of_edges()}
    for name in ("dear", "nar"):
        model, origin = _model_or_random(name, algorithm, runs)
        start = time.perf_counter()
        try:  # the edge list and, for NAR, the ground-truth number of steps T
            batch, _, _ = model_batch(algorithm, graph, None, exact=False, steps=model.uses_length)
        except ValueError as error:
            result[name] = {"model": origin, "unavailable": str(error)}
            continue
        entry = {"model": origin, "build_s": time.perf_counter() - start,
                 "message_edges": batch.edge_index.shape[1]}
        seconds, diagnostics = time_model(model, batch, warmup=1, repeats=repeats)
        result[name] = entry | {"median_s": float(np.median(seconds)), **diagnostics}
        if model.uses_length:
            result[name]["T"] = int(batch.length.item())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    result |= {"peak_rss_gib": peak / 2**30, "torch_threads": torch.get_num_threads(),
               "machine": platform.processor() or platform.machine()}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_large_graph.json").write_text(json.dumps(result, indent=2))
    return result
