"""Graph files in, JSON out: what ``dear solve ALGORITHM FILE`` reads and prints.

Files hold node ids as text (edge lists, GraphML) or JSON values; ids that all read as integers
become ints, so ``--source 3`` and a JSON key ``"3"`` name the same node as ``3`` does in Python.
The JSON written is one object keyed by node id, with what the answer is (algorithm, model,
source), whether it is one (valid, repaired, problem) and whether DEAR's solve converged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from dear.algorithms import get
from dear.errors import shown

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def _integer_ids(graph: nx.Graph) -> nx.Graph:
    """The graph with its node ids as ints when every id is an integer written plainly (``7``,
    not ``07``), in the file's order; else as they are."""
    if graph.number_of_nodes() and all(isinstance(node, str) and _INTEGER.fullmatch(node) for node in graph):
        return nx.relabel_nodes(graph, {node: int(node) for node in graph}, copy=True)
    return graph


def _edge_list(text: str, directed: bool) -> nx.Graph:
    """``u v [weight]`` per line (``#`` starts a comment), nodes named by any text."""
    graph = nx.DiGraph() if directed else nx.Graph()
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if len(fields) == 2:
            graph.add_edge(*fields)
        elif len(fields) == 3:
            try:
                weight = float(fields[2])
            except ValueError:
                raise ValueError(f"line {number}: the weight {shown(fields[2])} is not a number") from None
            graph.add_edge(fields[0], fields[1], weight=weight)
        elif fields:
            raise ValueError(f"line {number}: expected 'u v [weight]', got {len(fields)} fields")
    return _integer_ids(graph)


def _json_graph(data: Any, directed: bool) -> nx.Graph:
    """Node-link JSON (networkx's), or ``{"edges": [[u, v, weight?], ...], "nodes": [...]?,
    "directed": bool?}``."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object with edges, got {type(data).__name__}")
    if "links" in data or ("edges" in data and any(isinstance(node, dict) for node in data.get("nodes", []))):
        return nx.node_link_graph(data, edges="links" if "links" in data else "edges")
    graph = nx.DiGraph() if data.get("directed", directed) else nx.Graph()
    graph.add_nodes_from(data.get("nodes", []))
    for edge in data["edges"]:
        graph.add_edge(edge[0], edge[1], weight=float(edge[2]) if len(edge) > 2 else 1.0)
    return graph


def read_graph_file(path: Path, algorithm: str) -> Any:
    """Edge list (``u v [weight]`` per line), GraphML, or JSON (node-link, ``{"edges": ...}``)
    into a networkx graph in the algorithm's direction, or keys (JSON: a list or ``{"key":
    [...], "target": x}``) for array algorithms."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"no such file: {path}")
    record = get(algorithm)
    suffix = path.suffix.lower()
    if not record.is_graph and suffix != ".json":
        raise ValueError(f"cannot read {path} as keys: {algorithm} takes keys, a JSON file holding a list or "
                         '{"key": [...]}')
    directed = record.is_graph and record.inputs.directed
    try:
        if suffix == ".graphml":
            return _integer_ids(nx.read_graphml(path))
        if suffix == ".json":
            data = json.loads(path.read_text())
            keys = isinstance(data, list) or (isinstance(data, dict) and "key" in data)
            if keys != (not record.is_graph):
                raise ValueError("it holds keys (a list or \"key\"), not a graph" if keys else
                                 "it holds no keys (a list or \"key\")")
            return data if keys else _json_graph(data, directed)
        return _edge_list(path.read_text(), directed)
    except Exception as error:  # the parsers raise many exception types on malformed files
        what = "a graph" if record.is_graph else "keys"
        raise ValueError(f"cannot read {path} as {what} ({suffix or 'edge list'}): {error}") from None


def node_named(data: Any, name: Any) -> Any:
    """The source ``--source NAME`` names: the node called ``NAME``, else, for an integer-looking
    name, the node of that integer id (a search's target: the number)."""
    if not isinstance(name, str):
        return name
    if isinstance(data, nx.Graph):
        if name in data:
            return name
        return int(name) if re.fullmatch(r"[+-]?[0-9]+", name.strip()) else name
    try:
        return float(name)
    except ValueError:
        return name


def _key(node: Any) -> str:
    return node if isinstance(node, str) else str(node.item() if isinstance(node, np.generic) else node)


def _jsonable(value: Any) -> Any:
    """``value`` with node ids as JSON keys (their text) and arrays as lists."""
    if isinstance(value, dict):
        keys = [_key(k) for k in value]
        if len(set(keys)) < len(keys):
            twins = [k for k in value if keys.count(_key(k)) > 1][:2]
            raise ValueError(f"nodes {shown(twins[0])} and {shown(twins[1])} have the same id as text; rename one "
                             "(JSON keys are text)")
        return {key: _jsonable(v) for key, v in zip(keys, value.values())}
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


#: The head of a JSON result: what the answer is, whether it is one, whether DEAR converged.
HEAD = ("algorithm", "model", "source", "valid", "repaired", "problem", "converged", "iterations", "residual",
        "tol")


def to_json(result: dict) -> dict:
    """A result of :func:`dear.solve` as a JSON-ready object: :data:`HEAD` first (``iterations``,
    ``residual``, ``tol`` from DEAR's diagnostics, null for NAR), then the outputs keyed by node
    id (as text), the diagnostics and, with ``check``, the exact answer and its verdict."""
    diagnostics = result.get("diagnostics", {})
    head = {key: result.get(key, diagnostics.get(key)) for key in HEAD}
    return _jsonable(head | {key: value for key, value in result.items() if key not in head})


def solve_file(algorithm: str, path: Path, source: Any = None, model: str | None = None, check: bool = False,
               tol: float | None = None, repair: bool = True, plot: Path | None = None) -> dict:
    """``dear solve``: read a graph file, solve, draw the answer to ``plot`` (a PNG) when given,
    and return the JSON-ready result (:func:`to_json`)."""
    from dear.solve.pipeline import solve
    from dear.specs import check_algorithm

    check_algorithm(algorithm)
    data = read_graph_file(Path(path), algorithm)
    result = solve(algorithm, data, node_named(data, source), model, check=check, tol=tol, repair=repair)
    if plot is not None:
        from dear.solve.drawing import plot as draw

        draw(result, data, plot)
    return to_json(result)


__all__ = ["HEAD", "node_named", "read_graph_file", "solve_file", "to_json"]
