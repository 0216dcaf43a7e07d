"""The answer as users read it: outputs keyed by node, path lengths along the answer's trees,
and the answer as a networkx graph.

The model answers in node positions; a user gave node labels (strings, tuples, ...), so every
per-node output is a ``{node: value}`` dict (``{node: parent}`` for pointers, ``{node: bool}``
for masks), edge outputs ``{u: {v: value}}``, and a one-node output the node itself. Arrays of
keys keep arrays (a position is their node). A topological order is also listed as its nodes.
"""

from __future__ import annotations

from typing import Any, Mapping

import networkx as nx
import numpy as np

from dear.algorithms import Answer, get
from dear.checking import Edges, chain_order, path_sums, pointer_roots
from dear.solve.convert import Problem
from dear.specs import POINTER_TYPES, SPECS, Location, Type


def dense_edges(values: np.ndarray, edge_index: np.ndarray, n: int) -> np.ndarray:
    """Per-edge values as an ``[n, n, ...]`` array (zero off the edges)."""
    out = np.zeros((n, n) + values.shape[1:], dtype=values.dtype)
    out[edge_index[0], edge_index[1]] = values
    return out


def _on_edges(values: np.ndarray, edge_index: np.ndarray, n: int, kind: str) -> np.ndarray:
    """An edge probe as ``[n, n, ...]``: the model's are per edge of the batch, the exact run's
    already dense."""
    values = np.asarray(values)
    per_edge = values.ndim == 1 + (kind == Type.CATEGORICAL) and values.shape[0] == edge_index.shape[1]
    return dense_edges(values, edge_index, n) if per_edge else values


def _to_labels(values: np.ndarray, nodes: list) -> np.ndarray:
    """The labels of node ids: an int64 array when all labels fit one, else an object array."""
    labels = np.empty(values.size, dtype=object)
    for i, v in enumerate(values.flat):  # one by one: a tuple label (grid graphs) is a single object
        labels[i] = nodes[int(v)]
    labels = labels.reshape(values.shape)
    if not all(isinstance(n, (int, np.integer)) for n in nodes):
        return labels
    try:
        return labels.astype(np.int64)
    except OverflowError:
        return labels


def readable_outputs(algorithm: str, outputs: dict[str, np.ndarray], edge_index: np.ndarray, nodes: list) -> dict:
    """Outputs as arrays in node order: pointers as node labels, masks as bools, edge probes as
    ``[n, n]`` arrays, a one-node output as its label (what array algorithms return)."""
    readable = {}
    for name, values in outputs.items():
        _, location, kind = SPECS[algorithm][name]
        values = np.asarray(values)
        if location == Location.EDGE:
            values = _on_edges(values, edge_index, len(nodes), kind)
        if kind in POINTER_TYPES:
            values = _to_labels(values, nodes)
        elif kind == Type.MASK:
            values = values > 0.5
        elif kind == Type.MASK_ONE:
            values = np.asarray(nodes[int(np.argmax(values))])
        readable[name] = values
    return readable


def _value(value: np.ndarray, kind: str, nodes: list) -> Any:
    """One element of an output as a Python value: a node, a bool, a class or a number."""
    if kind in POINTER_TYPES:
        return nodes[int(value)]
    if kind == Type.MASK:
        return bool(value > 0.5)
    if kind == Type.CATEGORICAL:
        return int(np.argmax(value))
    return float(value)


def keyed_outputs(algorithm: str, outputs: dict[str, np.ndarray], edge_index: np.ndarray, problem: Problem) -> dict:
    """Outputs of a graph keyed by its nodes: ``{node: value}`` per node, ``{u: {v: value}}``
    per edge (every pair where the algorithm answers on the complete graph, else the graph's
    arcs, an undirected edge both ways), the node itself for a one-node output."""
    nodes, n = problem.nodes, len(problem.nodes)
    keyed: dict[str, Any] = {}
    for name, values in outputs.items():
        _, location, kind = SPECS[algorithm][name]
        values = np.asarray(values)
        if kind == Type.MASK_ONE and location != Location.GRAPH:
            flat = values if location == Location.NODE else _on_edges(values, edge_index, n, kind)
            at = int(np.argmax(flat.reshape(-1)))
            keyed[name] = nodes[at] if location == Location.NODE else (nodes[at // n], nodes[at % n])
        elif location == Location.NODE:
            keyed[name] = {node: _value(v, kind, nodes) for node, v in zip(nodes, values)}
        elif location == Location.EDGE:
            dense = _on_edges(values, edge_index, n, kind)
            if get(algorithm).complete_graph:
                keyed[name] = {nodes[i]: {nodes[j]: _value(dense[i, j], kind, nodes) for j in range(n)}
                               for i in range(n)}
            else:
                rows: dict[Any, dict] = {node: {} for node in nodes}
                for i, j in zip(problem.arcs.senders.tolist(), problem.arcs.receivers.tolist()):
                    rows[nodes[i]][nodes[j]] = _value(dense[i, j], kind, nodes)
                keyed[name] = rows
        else:  # one value for the graph
            keyed[name] = _value(values[0], kind, nodes)
    return keyed


def tree_lengths(pointer: np.ndarray, root: int, arcs: Edges) -> np.ndarray:
    """Length of each node's path to ``root`` along ``pointer`` over ``arcs``' weights (a
    pointer ``v -> pointer[v]`` walks the arc ``pointer[v] -> v``); NaN where the path does
    not reach the root or leaves the graph's arcs."""
    pointer = np.asarray(pointer, dtype=np.int64)
    n, idx = pointer.size, np.arange(pointer.size)
    if (pointer < 0).any() or (pointer >= n).any():
        return np.full(n, np.nan)
    at = arcs.find(pointer, idx)
    step = np.where(at >= 0, np.append(arcs.weights, np.nan)[at], np.nan)
    reach = pointer_roots(pointer) == root
    lengths = path_sums(np.where(reach, pointer, idx), np.where(reach, step, 0.0))
    return np.where(reach, lengths, np.nan)


def distances(algorithm: str, outputs: dict[str, np.ndarray], edge_index: np.ndarray, problem: Problem) -> Any:
    """Shortest-path lengths as the answer claims them (None for algorithms without): the
    length of the path along the returned tree, with the graph's own weights (hops for an
    unweighted algorithm), for each node the tree reaches from the source, as networkx's
    ``single_source_dijkstra_path_length`` lists them; ``{i: {j: length}}`` for all pairs."""
    record = get(algorithm)
    if problem.arcs is None or record.answer not in (Answer.SHORTEST_PATH_TREE, Answer.ALL_PAIRS_TREES):
        return None
    nodes = problem.nodes

    def keyed(lengths: np.ndarray) -> dict:
        return {nodes[i]: float(lengths[i]) for i in np.flatnonzero(np.isfinite(lengths)).tolist()}

    pointer = np.asarray(outputs[record.output])
    if record.answer is Answer.SHORTEST_PATH_TREE:
        return keyed(tree_lengths(pointer, problem.edges.source, problem.arcs))
    rows = _on_edges(pointer, edge_index, len(nodes), Type.POINTER)
    return {nodes[i]: keyed(tree_lengths(rows[i], i, problem.arcs)) for i in range(len(nodes))}


def topological_order(algorithm: str, outputs: dict[str, np.ndarray], problem: Problem) -> list | None:
    """The nodes in the order a topological answer lists them, first to last (None for other
    answers, and where its pointers are no chain from its first node: the model's own answer,
    unrepaired)."""
    record = get(algorithm)
    if record.answer is not Answer.TOPOLOGICAL_ORDER:
        return None
    order = chain_order(outputs[record.output])
    if order is None or order[0] != int(np.argmax(outputs[record.head])):
        return None
    return [problem.nodes[i] for i in order.tolist()]


def _by_node(value: Any, nodes: list) -> Any:
    """A result entry keyed by node (arrays of array algorithms are in node order)."""
    if isinstance(value, Mapping) or not isinstance(value, np.ndarray):
        return value
    if value.ndim == 0:
        return value.item()
    if value.ndim == 1:
        return dict(zip(nodes, value.tolist()))
    return {u: dict(zip(nodes, row)) for u, row in zip(nodes, value.tolist())}


def answer_graph(algorithm: str, result: dict, problem: Problem) -> nx.DiGraph:
    """The answer as a networkx ``DiGraph`` on the input's nodes: a tree edge ``parent -> node``
    per pointer (``node -> successor`` along a topological order; with the input's ``weight``
    where it has that edge), the union of the rows' trees for all-pairs pointers (each edge with
    the ``roots`` whose tree holds it), the edges an edge mask marks (both ways for an undirected
    edge); per-node outputs (``pi``, ``is_cut``, ``distance``, ...) and an array's ``key`` as node
    attributes, a one-node output marked ``True`` on its node; the rest of the result
    (algorithm, model, source, valid, order, diagnostics, ...) as graph attributes."""
    nodes = problem.nodes
    answer = nx.DiGraph()
    answer.add_nodes_from(nodes)
    if problem.keys is not None:
        nx.set_node_attributes(answer, dict(zip(nodes, problem.keys.tolist())), "key")
    probes = {name: spec for name, spec in SPECS[algorithm].items() if spec[0] == "output" and name in result}
    answer.graph.update({k: v for k, v in result.items() if k not in probes and k != "distance"})
    graph = problem.graph
    forward = get(algorithm).answer is Answer.TOPOLOGICAL_ORDER  # its pointers name the next node

    def weight(u: Any, v: Any) -> dict:
        if graph is None or not graph.has_edge(u, v):
            return {}
        w = graph[u][v].get("weight") if not graph.is_multigraph() else None
        return {} if w is None else {"weight": w}

    for name, (_, location, kind) in probes.items():
        value = _by_node(result[name], nodes)
        if location == Location.GRAPH or kind == Type.MASK_ONE:
            answer.graph[name] = value
            if location == Location.NODE:
                nx.set_node_attributes(answer, {node: node == value for node in nodes}, name)
        elif location == Location.NODE:
            nx.set_node_attributes(answer, value, name)
            if kind in POINTER_TYPES:
                arcs = [(v, p) if forward else (p, v) for v, p in value.items() if p != v]
                answer.add_edges_from((u, v, weight(u, v)) for u, v in arcs)
        elif kind in POINTER_TYPES:  # all pairs: row i is the tree rooted at i
            nx.set_node_attributes(answer, value, name)
            for root, row in value.items():
                for v, p in row.items():
                    if p != v and v != root and (graph is None or graph.has_edge(p, v)):
                        if not answer.has_edge(p, v):
                            answer.add_edge(p, v, roots=[], **weight(p, v))
                        answer[p][v]["roots"].append(root)
        else:
            answer.add_edges_from((u, v, {name: x, **weight(u, v)}) for u, row in value.items()
                                  for v, x in row.items() if x)
    if isinstance(result.get("distance"), Mapping):
        nx.set_node_attributes(answer, result["distance"], "distance")
    return answer


__all__ = ["answer_graph", "dense_edges", "distances", "keyed_outputs", "readable_outputs", "topological_order",
           "tree_lengths"]
