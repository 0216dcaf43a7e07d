"""The answer drawn over its graph, as a PNG: a look at what the model claims, at a glance.

The graph's edges in grey, the answer's tree edges (or marked edges) in red, marked nodes (a
mask, the minimum, the search's answer) in orange, the source in green. Drawn with networkx on
a bare matplotlib ``Figure`` (no pyplot state, no display needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from dear.algorithms import get
from dear.solve.answer import answer_graph
from dear.solve.convert import Problem, as_networkx

SOURCE, MARKED, IN_ANSWER, OTHER, TREE, EDGE = "#2ca02c", "#ff7f0e", "#1f77b4", "#aec7e8", "#d62728", "#c7c7c7"
#: Graphs above this many nodes are laid out at random (a spring layout takes minutes there).
SPRING_MAX_NODES = 1000


def _layout(graph: nx.Graph, keys: np.ndarray | None) -> dict:
    """Keys by position (x) and value (y); graphs by a seeded spring layout."""
    if keys is not None:
        return {i: (float(i), float(k)) for i, k in enumerate(keys)}
    if graph.number_of_nodes() > SPRING_MAX_NODES:
        return nx.random_layout(graph, seed=0)
    return nx.spring_layout(graph, seed=0)


def plot(result: dict | nx.DiGraph, graph: Any, path: str | Path, *, root: Any = None,
         layout: dict | None = None) -> Path:
    """Draw ``graph`` (the input :func:`dear.solve` was given: a networkx graph, PyG ``Data``,
    adjacency matrix, or keys) with ``result`` (its result, or its ``as_graph`` answer)
    highlighted, and write a PNG to ``path``. ``root``: whose tree to show of an all-pairs answer
    (default: the first node); ``layout``: node positions (default: a seeded spring layout,
    keys by position and value). Returns the path written."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    meta = result.graph if isinstance(result, nx.DiGraph) else result
    algorithm = meta["algorithm"]
    if get(algorithm).is_graph:
        base = as_networkx(algorithm, graph)
        problem = Problem(list(base.nodes), graph=base)
    else:
        keys = np.asarray(graph.get("key") if isinstance(graph, dict) else graph, dtype=np.float64)
        base = nx.DiGraph()
        base.add_nodes_from(range(keys.size))
        problem = Problem(list(range(keys.size)), keys=keys)
    answer = result if isinstance(result, nx.DiGraph) else answer_graph(algorithm, result, problem)
    root = problem.nodes[0] if root is None else root
    tree = [(u, v) for u, v, data in answer.edges(data=True) if root in data.get("roots", [root])]
    source = meta.get("source") if get(algorithm).has_source else None
    marked = {node for node, data in answer.nodes(data=True) if any(value is True for value in data.values())}
    touched = {node for edge in tree for node in edge}
    colours = [SOURCE if node == source else MARKED if node in marked else IN_ANSWER if node in touched else OTHER
               for node in base.nodes]

    n = base.number_of_nodes()
    figure = Figure(figsize=(7, 7) if problem.keys is None else (max(7, n * 0.3), 4), dpi=120)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.set_axis_off()
    where = layout or _layout(base, problem.keys)
    size = max(12.0, 300.0 * min(1.0, 30.0 / max(n, 1)))
    if base.number_of_edges():
        nx.draw_networkx_edges(base, where, ax=ax, edge_color=EDGE, width=0.8, arrows=base.is_directed(),
                               node_size=size)
    if tree:
        nx.draw_networkx_edges(answer, where, edgelist=tree, ax=ax, edge_color=TREE, width=2.4, arrows=True,
                               arrowsize=12, node_size=size)
    nx.draw_networkx_nodes(base, where, ax=ax, node_color=colours, node_size=size)
    if n <= 60:
        labels = {node: f"{node}" if problem.keys is None else f"{problem.keys[node]:.3g}" for node in base.nodes}
        nx.draw_networkx_labels(base, where, labels=labels, ax=ax, font_size=7)
    verdict = {True: "valid", False: "invalid", None: "unchecked"}[meta.get("valid")]
    ax.set_title(f"{algorithm} ({meta.get('model')}): {verdict}{', repaired' if meta.get('repaired') else ''}, "
                 f"{'converged' if meta.get('converged', True) else 'not converged'}"
                 + ("" if source is None else f", source {source}"), fontsize=10)
    path = Path(path)
    figure.savefig(path, format="png")
    return path


__all__ = ["plot"]
