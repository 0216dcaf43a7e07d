"""``dear demo``: data -> NAR and DEAR -> comparison table and plot -> solve one random graph."""

from __future__ import annotations

import time
from pathlib import Path

import networkx as nx
import numpy as np

from dear.bench.plots import plot_loss_curves, plot_scores_vs_size
from dear.config import make_config
from dear.data import generate
from dear.run import evaluate_run
from dear.solving import solve
from dear.train import train

#: The demo's training budget: enough for NAR and DEAR to learn visibly in a few CPU minutes.
DEMO_BUDGET = {"steps": 400, "hidden": 32, "train_samples": 1000, "eval_every": 100, "checkpoint_every": 100,
               "log_every": 20}
QUICK_BUDGET = {"steps": 30, "hidden": 16, "train_samples": 64, "eval_every": 10, "checkpoint_every": 10,
                "log_every": 5}


def run_demo(out: Path, algorithm: str = "bellman_ford", quick: bool = False) -> dict:
    out = Path(out)
    budget = QUICK_BUDGET if quick else DEMO_BUDGET
    sizes, samples = ((8, 16), 16) if quick else ((16, 64), 50)

    print(f"1/4 data: CLRS-faithful {algorithm} trajectories (NumPy + numba, no TensorFlow/JAX)")
    generate(algorithm, 2, 16, seed=0)  # compile once, outside the timing
    start = time.perf_counter()
    data = generate(algorithm, 500, 16, seed=0)
    rate = len(data) / (time.perf_counter() - start)
    print(f"    {rate:,.0f} samples/s at n=16; mean hint steps T = {np.mean([t.length for t in data]):.1f}")

    print("2/4 training NAR (ground-truth steps) and DEAR (equilibrium), same data and seed")
    runs = {}
    for model in ("nar", "dear"):
        run_dir = out / model
        config = make_config(algorithm, "cpu", model=model, **budget)
        if (run_dir / "train_summary.json").exists():
            print(f"    {model}: reusing finished run {run_dir}")
        else:
            train(config, run_dir, resume=(run_dir / "config.json").exists())
        runs[model] = run_dir

    print(f"3/4 evaluating at {sizes[0]} and {sizes[1]} nodes ({samples} fresh graphs each)")
    results = {model: evaluate_run(run_dir, sizes=sizes, samples=samples)[0] for model, run_dir in runs.items()}
    print(f"    {'model':6} " + " ".join(f"{'n=' + str(s):>8}" for s in sizes)
          + "   steps/iterations at the largest n, converged")
    for model, result in results.items():
        largest = result[str(sizes[-1])]
        effort = largest.get("iterations_mean", largest.get("steps_mean", float("nan")))
        converged = f"   {largest['converged_fraction']:.0%} within tol {largest['eval_tol']:g}" \
            if "converged_fraction" in largest else ""
        print(f"    {model:6} " + " ".join(f"{result[str(s)]['score']:8.3f}" for s in sizes) + f"   {effort:.1f}{converged}")
        if largest.get("converged_fraction", 1.0) < 1.0:
            print(f"    warning: {model} did not reach its tolerance on {1 - largest['converged_fraction']:.0%} of the "
                  f"n={sizes[-1]} graphs; those answers are its last iterate, not a fixed point")
    plot_scores_vs_size({m: {s: r[str(s)]["score"] for s in sizes} for m, r in results.items()},
                        out / "scores.png", title=f"{algorithm}: score vs size")
    plot_loss_curves(runs, out / "loss.png", title=f"{algorithm}: training loss")
    print(f"    plots: {out / 'scores.png'}, {out / 'loss.png'}")

    print("4/4 solving a random graph with the DEAR just trained, against the exact algorithm")
    graph = nx.gnp_random_graph(sizes[0], 0.3, seed=7)
    rng = np.random.default_rng(7)
    for u, v in graph.edges:
        graph[u][v]["weight"] = float(rng.uniform(0.1, 1.0))
    answer = solve(algorithm, graph, source=0, model=str(runs["dear"]), check=True)
    output = next(iter(answer["exact"]))
    print(f"    predicted {output}: {answer[output].tolist()}")
    print(f"    exact     {output}: {answer['exact'][output].tolist()}")
    print(f"    agreement {answer['agreement'][output]:.2f}; solver: {answer['diagnostics']}")
    return {"results": results, "solve": answer["agreement"]}
