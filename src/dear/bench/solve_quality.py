"""``dear bench solve``: are ``dear.solve``'s answers right on graphs users bring?

Runs the shipped models through :func:`dear.solve` (default repair on, ``check=True``) on the
real-world graphs that ship with networkx and on random weighted graphs, and records per
answer whether it is structurally valid (or flagged), whether it was repaired, and the
tie-aware verdict of :func:`dear.checking.tie_aware_check`: the share of pointers that are *a*
correct choice and the answer's total weight or length against the optimum. The verdict is the
issue "`solve` for real users"'s check: never silently wrong; mst_prim answers are spanning
trees on >= 99 % of graphs and within 2 % of the optimal weight on average; bfs and
bellman_ford are >= 0.95 correct at n = 256.
"""

from __future__ import annotations

import os
import platform
import warnings
from pathlib import Path
from typing import Callable, Iterator, Sequence

import networkx as nx
import numpy as np
from tqdm.auto import tqdm

from dear.algorithms import Answer, get
from dear.bench.records import merge_rows, write_rows
from dear.specs import PAPER_ALGORITHMS

#: The real-world graphs of networkx's own collection (undirected, small).
REAL_GRAPHS: dict[str, Callable[[], nx.Graph]] = {
    "karate_club": nx.karate_club_graph,
    "les_miserables": nx.les_miserables_graph,
    "florentine_families": nx.florentine_families_graph,
    "davis_southern_women": nx.davis_southern_women_graph,
}
SIZES = (64, 256)
#: Thresholds of the check: spanning-tree answers valid on ``TREE_VALID`` of the graphs and within
#: ``TREE_RATIO`` of the optimal weight on average; shortest-path trees ``CORRECT`` at the largest size.
TREE_VALID, TREE_RATIO, CORRECT = 0.99, 1.02, 0.95
#: Answers judged by their weight against the optimum (the rest by their share of correct pointers).
WEIGHED = (Answer.SPANNING_TREE, Answer.MST_EDGES)
#: The paper's rooted-tree algorithms that take any graph (a DAG-only one needs DAGs drawn).
DEFAULT_ALGORITHMS = tuple(a for a in PAPER_ALGORITHMS
                           if get(a).answer in (Answer.SHORTEST_PATH_TREE, Answer.SPANNING_TREE)
                           and not get(a).inputs.acyclic)


def random_graphs(algorithm: str, n: int, count: int, seed: int) -> Iterator[tuple[str, nx.Graph]]:
    """Connected random graphs of the algorithm's kind, weights uniform in (0, 1]: average
    degree about 8, as sparse graphs users bring are."""
    kind = get(algorithm).inputs
    for i in range(count):
        rng = np.random.default_rng((seed, n, i))
        graph = nx.gnm_random_graph(n, 4 * n, seed=int(rng.integers(2**31)), directed=kind.directed)
        if not kind.directed:
            graph.add_edges_from(zip(range(n - 1), range(1, n)))  # connected
        if kind.weighted:
            for u, v in graph.edges:
                graph[u][v]["weight"] = float(1.0 - rng.random())
        yield f"random_n{n}_{i}", graph


def _cases(algorithm: str, count: int, seed: int) -> Iterator[tuple[str, nx.Graph]]:
    kind = get(algorithm).inputs
    if not kind.directed:  # the real-world graphs are undirected
        for name, make in REAL_GRAPHS.items():
            graph = nx.Graph(make())
            graph.remove_edges_from(list(nx.selfloop_edges(graph)))
            yield name, graph
    for n in SIZES:
        yield from random_graphs(algorithm, n, count, seed)


def measure(algorithm: str, graph: nx.Graph, model: str) -> dict:
    """One answer of ``dear.solve`` on ``graph`` (source: its first node), checked."""
    from dear.solve.pipeline import solve

    source = next(iter(graph.nodes)) if get(algorithm).has_source else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is recorded below
        try:
            result = solve(algorithm, graph, source, model=model, check=True)
        except ValueError as error:  # refused in one line (e.g. NAR's T without the exact run): loud, not wrong
            return {"refused": str(error), "flagged_or_valid": True}
    check = result.get("check") or {}
    solved = "converged" in result["diagnostics"]  # an equilibrium model's solve (a NAR has none)
    return {"valid": result["valid"], "repaired": result["repaired"], "converged": result["converged"] if solved else None,
            "correct": check.get("correct"), "ratio": check.get("ratio"), "optimal": check.get("optimal"),
            **({"correct_by_hops": check["correct_by_hops"]} if "correct_by_hops" in check else {}),
            "flagged_or_valid": result["valid"] is True or result["valid"] is False}


def run_solve_benchmark(out_dir: Path, algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
                        models: Sequence[str] = ("dear", "nar"), count: int = 20, seed: int = 0) -> dict:
    """Measure every case, write ``bench_solve.json``/``.csv`` and return the verdict."""
    rows = []
    cases = [(a, m, name, graph) for a in algorithms for m in models for name, graph in _cases(a, count, seed)]
    for algorithm, model, name, graph in tqdm(cases, desc="solve", unit="graph"):
        row = {"algorithm": algorithm, "model": model, "graph": name, "n": graph.number_of_nodes(),
               "load_average_1min": os.getloadavg()[0]}
        rows.append(row | measure(algorithm, graph, model))
    path = Path(out_dir) / "bench_solve.json"
    merged = merge_rows(path, rows, lambda r: (r["algorithm"], r["model"], r["graph"]))
    verdict = solve_verdict(merged)
    write_rows(path, {"machine": platform.machine(), "python": platform.python_version(), "count": count,
                      "seed": seed, "verdict": verdict}, merged)
    return verdict


def _mean(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return float(np.mean(values)) if values else None


def _pooled_by_hops(rows: list[dict]) -> dict[str, list] | None:
    """``{hops: [share of right pointers, nodes]}`` per hop depth (fewest arcs of a shortest
    path), pooling the per-graph counts of :func:`dear.checking.tie_aware_check` over ``rows``'
    nodes; None when the rows have no such breakdown."""
    totals: dict[int, list[int]] = {}
    for row in rows:
        for hops, (right, nodes) in (row.get("correct_by_hops") or {}).items():
            entry = totals.setdefault(int(hops), [0, 0])
            entry[0] += right
            entry[1] += nodes
    return {str(h): [right / nodes, nodes] for h, (right, nodes) in sorted(totals.items())} or None


def solve_verdict(rows: list[dict]) -> dict:
    """The check, per model and algorithm: every answer valid or flagged (a graph ``solve``
    refuses in one line counts as flagged, and apart: ``refused``); spanning trees (and
    spanning forests' edge sets) valid on >= 99 % with mean weight ratio <= 1.02; shortest-path
    trees mean correct >= 0.95 at the largest size."""
    verdict: dict[str, dict] = {}
    largest = max(SIZES)
    for model in sorted({r["model"] for r in rows}):
        for algorithm in sorted({r["algorithm"] for r in rows}):
            everything = [r for r in rows if r["model"] == model and r["algorithm"] == algorithm]
            mine = [r for r in everything if not r.get("refused")]
            if not mine:
                continue
            at_largest = [r for r in mine if r["n"] == largest]
            entry = {"never_silently_wrong": all(r["flagged_or_valid"] for r in everything),
                     "refused": len(everything) - len(mine),
                     "valid": float(np.mean([r["valid"] is True for r in mine])),
                     "mean_ratio": _mean(mine, "ratio"),
                     f"correct_at_{largest}": _mean(at_largest, "correct"),
                     f"converged_at_{largest}": _mean(at_largest, "converged")}
            by_hops = _pooled_by_hops(at_largest)
            if by_hops:
                entry[f"correct_by_hops_at_{largest}"] = by_hops
            if get(algorithm).answer in WEIGHED:
                entry["holds"] = (entry["never_silently_wrong"] and entry["valid"] >= TREE_VALID
                                  and entry["mean_ratio"] is not None and entry["mean_ratio"] <= TREE_RATIO)
            else:
                correct = entry[f"correct_at_{largest}"]
                entry["holds"] = entry["never_silently_wrong"] and correct is not None and correct >= CORRECT
            verdict.setdefault(model, {})[algorithm] = entry
    return verdict
