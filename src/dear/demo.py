"""``dear demo``: data -> NAR and DEAR -> comparison at two sizes -> solve one random graph.

By default the demo uses the shipped pretrained models (seconds); ``train=True`` trains a
small NAR and DEAR first (minutes), ``quick=True`` a tiny pair (seconds, for tests). It shows
what DEAR is for: its answer is a fixed point (the share of graphs that reached the solver's
tolerance is printed, with a warning where some did not), and it needs as many solver
iterations as the problem takes to settle, not the algorithm's number of steps T, which grows
with the graph on algorithms such as floyd_warshall, mst_prim or dfs.
"""

from __future__ import annotations

import time
from pathlib import Path

import networkx as nx
import numpy as np

from dear.algorithms import ArrayInputs, get
from dear.bench.plots import plot_loss_curves, plot_scores_vs_size
from dear.config import make_config
from dear.data import generate
from dear.run import score_run
from dear.solve.pipeline import solve
from dear.solve.run import pretrained_dir
from dear.specs import check_algorithm
from dear.train import train

#: The demo's training budget (``train=True``): enough for NAR and DEAR to learn visibly in a few CPU minutes.
DEMO_BUDGET = {"steps": 400, "hidden": 32, "train_samples": 1000, "eval_every": 100, "checkpoint_every": 100,
               "log_every": 20}
QUICK_BUDGET = {"steps": 30, "hidden": 16, "train_samples": 64, "eval_every": 10, "checkpoint_every": 10,
                "log_every": 5}


def _models(algorithm: str, out: Path, train_models: bool, quick: bool) -> dict[str, Path]:
    """Run directories of the NAR and the DEAR: shipped, or trained here."""
    if not (train_models or quick):
        return {model: pretrained_dir(model, algorithm) for model in ("nar", "dear")}
    budget = QUICK_BUDGET if quick else DEMO_BUDGET
    runs = {}
    for model in ("nar", "dear"):
        run_dir = out / model
        if (run_dir / "train_summary.json").exists():
            print(f"    {model}: reusing finished run {run_dir}")
        else:
            train(make_config(algorithm, "cpu", model=model, **budget), run_dir, resume=(run_dir / "config.json").exists())
        runs[model] = run_dir
    return runs


def _random_input(algorithm: str, n: int, seed: int) -> tuple[object, object]:
    """A random weighted graph (or key array) for ``dear.solve``, and its source where the
    algorithm has one."""
    rng = np.random.default_rng(seed)
    kind = get(algorithm).inputs
    if isinstance(kind, ArrayInputs):
        keys = np.sort(rng.uniform(size=n)) if kind.sorted_keys else rng.uniform(size=n)
        return ({"key": keys.tolist(), "target": float(rng.uniform())} if kind.target else keys.tolist()), None
    graph = nx.gnp_random_graph(n, 0.3, seed=seed, directed=kind.directed)
    if kind.acyclic:  # keep the edges that go forward in node order: a DAG
        graph.remove_edges_from([(u, v) for u, v in list(graph.edges) if u >= v])
    if kind.weighted:
        for u, v in graph.edges:
            graph[u][v]["weight"] = float(rng.uniform(0.1, 1.0))
    return graph, (0 if kind.source else None)


def run_demo(out: Path, algorithm: str, quick: bool = False, train_models: bool = False) -> dict:
    check_algorithm(algorithm)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sizes, samples = ((8, 16), 16) if quick else ((16, 64), 50)

    print(f"1/4 data: CLRS-faithful {algorithm} trajectories (NumPy + numba, no TensorFlow/JAX)")
    generate(algorithm, 2, 16, seed=0)  # compile once, outside the timing
    start = time.perf_counter()
    data = generate(algorithm, 500, 16, seed=0)
    rate = len(data) / (time.perf_counter() - start)
    print(f"    {rate:,.0f} samples/s at n=16; mean hint steps T = {np.mean([t.length for t in data]):.1f}")

    how = "training" if (train_models or quick) else "shipped"
    print(f"2/4 models: NAR (runs the algorithm's T steps) and DEAR (solves for the fixed point), {how}")
    runs = _models(algorithm, out, train_models, quick)

    print(f"3/4 evaluating at {sizes[0]} and {sizes[1]} nodes ({samples} fresh graphs each)")
    results, seconds = {}, {}
    for model, run_dir in runs.items():
        start = time.perf_counter()
        results[model] = score_run(run_dir, sizes, samples)
        seconds[model] = time.perf_counter() - start
    largest = {model: result[str(sizes[-1])] for model, result in results.items()}
    print(f"    {'model':6} " + " ".join(f"{'n=' + str(s):>8}" for s in sizes) + f"   at n={sizes[-1]}")
    for model, result in results.items():
        at = largest[model]
        effort = (f"{at['iterations_mean']:.1f} solver iterations, {at['converged_fraction']:.0%} converged "
                  f"(tol {at['eval_tol']:g})" if "iterations_mean" in at else f"T = {at.get('steps_mean', 0):.1f} steps")
        print(f"    {model:6} " + " ".join(f"{result[str(s)]['score']:8.3f}" for s in sizes)
              + f"   {effort}; {seconds[model]:.1f} s for both sizes")
    dear = largest["dear"]
    if dear.get("converged_fraction", 1.0) < 1.0:
        print(f"    warning: DEAR did not reach its tolerance on {1 - dear['converged_fraction']:.0%} of the "
              f"n={sizes[-1]} graphs; those answers are its last iterate, not a fixed point")
    if "steps_mean" in largest["nar"] and "iterations_mean" in dear:
        print(f"    NAR needs the algorithm's T = {largest['nar']['steps_mean']:.1f} steps at n={sizes[-1]}; "
              f"DEAR's solve takes {dear['iterations_mean']:.1f} iterations, however T grows")
    plot_scores_vs_size({m: {s: r[str(s)]["score"] for s in sizes} for m, r in results.items()},
                        out / "scores.png", title=f"{algorithm}: score vs size")
    plot_loss_curves(runs, out / "loss.png", title=f"{algorithm}: training loss")
    print(f"    plots: {out / 'scores.png'}, {out / 'loss.png'}")

    print("4/4 solving a random input with the DEAR, against the exact algorithm")
    data, source = _random_input(algorithm, sizes[0], seed=7)
    answer = solve(algorithm, data, source=source, model=str(runs["dear"]), check=True)
    output = next(iter(answer["exact"]))
    diagnostics = answer["diagnostics"]
    print(f"    predicted {output}: {np.asarray(answer[output]).tolist()}")  # graphs: {node: value}
    print(f"    exact     {output}: {np.asarray(answer['exact'][output]).tolist()}")
    print(f"    agreement {answer['agreement'][output]:.2f}; {diagnostics.get('iterations')} iterations, residual "
          f"{diagnostics.get('residual', float('nan')):.3g}, converged: {answer['converged']}")
    return {"results": results, "solve": answer["agreement"], "converged": answer["converged"]}
