"""A user's input -> validated, scaled edge arrays -> the model's batch.

Graphs come as networkx graphs, torch_geometric ``Data`` or dense adjacency matrices (NumPy or
torch), alone or as a list solved in one batch; the last two are read into networkx first so
that every form meets the same validation (:func:`validate_graph`), whose one-line refusals
name the fix. Edges then go to the models as edge lists (:func:`dear.data.batching.edge_list_batch`,
never ``n x n``), weights scaled into the training range and tie-broken (:data:`TIE_BREAK`).
Array algorithms take a sequence of keys (and a target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import networkx as nx
import numpy as np
import torch
from torch_geometric.data import Batch, Data

from dear.algorithms import get
from dear.checking import Edges
from dear.data.batching import collate, edge_list_batch
from dear.data.execute import as_float_array, complete_inputs, run_reference
from dear.data.trajectory import Trajectory
from dear.errors import shown
from dear.specs import SPECS, Stage

#: What a graph algorithm accepts, as its refusals name it.
GRAPH_FORMS = "a networkx graph, a torch_geometric Data or an adjacency matrix (or a list of them)"


class GraphEdges(NamedTuple):
    """A graph as distinct weighted edges ``A[senders, receivers] = weights`` (never ``n x n``)."""

    senders: np.ndarray
    receivers: np.ndarray
    weights: np.ndarray
    num_nodes: int
    source: int | None

    def dense_inputs(self) -> dict[str, np.ndarray]:
        """CLRS inputs ``A`` (and ``s``) for the exact algorithm."""
        A = np.zeros((self.num_nodes, self.num_nodes))
        A[self.senders, self.receivers] = self.weights
        return {"A": A} if self.source is None else {"A": A, "s": np.asarray(self.source)}


@dataclass(frozen=True)
class Problem:
    """One validated input: what the model reads, and what its answer is read against.

    ``nodes``: node labels in position order (positions for keys); ``graph``: the graph as
    networkx (None for keys); ``source``: the source node, or the target of a search (None
    where the algorithm has none); ``edges``: the model's edges (scaled, tie-broken) and
    ``arcs``: the same arcs with the graph's own weights (1 for unweighted algorithms);
    ``inputs``/``keys``: the CLRS inputs and the raw keys of an array algorithm.
    """

    nodes: list
    graph: nx.Graph | None = None
    source: Any = None
    edges: GraphEdges | None = None
    arcs: Edges | None = None
    inputs: dict[str, np.ndarray] | None = None
    keys: np.ndarray | None = None


# --- any graph form -> networkx ------------------------------------------------------------------

def _numpy(value: Any) -> np.ndarray:
    """A NumPy view of an array or tensor (sparse tensors made dense, bfloat16 as float32)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        value = value.to_dense() if value.layout != torch.strided else value  # a sparse adjacency
        return (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    return np.asarray(value)


def _arcs_graph(algorithm: str, num_nodes: int, senders: np.ndarray, receivers: np.ndarray,
                weights: np.ndarray | None, what: str, fix: str) -> nx.Graph:
    """The networkx graph of arcs ``senders[k] -> receivers[k]`` in the algorithm's direction;
    for an undirected algorithm every arc must come with its reverse (of the same weight,
    where weights count)."""
    kind = get(algorithm).inputs
    s, r = senders.astype(np.int64), receivers.astype(np.int64)
    if not kind.directed and s.size:
        keys, reverse = s * num_nodes + r, r * num_nodes + s
        order = np.argsort(keys, kind="stable")
        at = np.minimum(np.searchsorted(keys[order], reverse), keys.size - 1)
        found = keys[order][at] == reverse
        if not found.all():
            k = int(np.flatnonzero(~found)[0])
            raise ValueError(f"{algorithm} needs an undirected graph, but the {what} is not symmetric: it has the "
                             f"edge ({s[k]}, {r[k]}) but not ({r[k]}, {s[k]}); {fix}")
        if kind.weighted and weights is not None:
            back = weights[order[at]]
            differ = ~((weights == back) | (np.isnan(weights) & np.isnan(back)))
            if differ.any():
                k = int(np.flatnonzero(differ)[0])
                raise ValueError(f"{algorithm} needs an undirected graph, but the {what} is not symmetric: the "
                                 f"edge ({s[k]}, {r[k]}) weighs {shown(float(weights[k]))} and ({r[k]}, {s[k]}) "
                                 f"{shown(float(back[k]))}; {fix}")
        keep = s <= r
        s, r, weights = s[keep], r[keep], (None if weights is None else weights[keep])
    graph = nx.DiGraph() if kind.directed else nx.Graph()
    graph.add_nodes_from(range(num_nodes))
    if weights is None:
        graph.add_edges_from(zip(s.tolist(), r.tolist()))
    else:
        graph.add_weighted_edges_from(zip(s.tolist(), r.tolist(), weights.astype(np.float64).tolist()))
    return graph


def _adjacency_graph(algorithm: str, matrix: Any) -> nx.Graph:
    """A dense adjacency matrix: a nonzero entry is an edge, its value the weight."""
    A = _numpy(matrix)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.dtype.kind not in "biuf":
        raise ValueError(f"{algorithm} needs a square adjacency matrix of real numbers, got an array of shape "
                         f"{A.shape} and dtype {A.dtype}")
    senders, receivers = np.nonzero(A)
    return _arcs_graph(algorithm, A.shape[0], senders, receivers, A[senders, receivers].astype(np.float64),
                       "adjacency matrix", "make it symmetric (e.g. np.maximum(A, A.T))")


def _pyg_graph(algorithm: str, data: Data) -> nx.Graph:
    """A torch_geometric ``Data``: ``edge_index``, weights from ``edge_weight`` or a one-column
    ``edge_attr`` (none: every edge weighs 1), ``num_nodes``."""
    edge_index = _numpy(data.edge_index) if data.edge_index is not None else np.zeros((2, 0), dtype=np.int64)
    if edge_index.ndim != 2 or edge_index.shape[0] != 2 or edge_index.dtype.kind not in "iu":
        raise ValueError(f"edge_index must be an integer array of shape [2, E], got shape {edge_index.shape} and "
                         f"dtype {edge_index.dtype}")
    num_nodes = data.num_nodes
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.size else 0
    senders, receivers = edge_index.astype(np.int64)
    outside = (edge_index < 0) | (edge_index >= num_nodes)
    if outside.any():
        raise ValueError(f"edge_index names node {int(edge_index[outside][0])}, but the graph has {num_nodes} nodes "
                         "(num_nodes)")
    name = "edge_weight" if getattr(data, "edge_weight", None) is not None else "edge_attr"
    weights = getattr(data, name, None)
    if weights is not None:
        weights = _numpy(weights)
        if weights.ndim == 2 and weights.shape[1] == 1:
            weights = weights[:, 0]
        if weights.shape != senders.shape or weights.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold one real weight per edge (shape [{senders.size}] or "
                             f"[{senders.size}, 1]), got shape {weights.shape} and dtype {weights.dtype}")
        weights = weights.astype(np.float64)
    pairs, counts = np.unique(senders * max(num_nodes, 1) + receivers, return_counts=True)
    if (counts > 1).any():
        u, v = divmod(int(pairs[counts > 1][0]), max(num_nodes, 1))
        raise ValueError(f"edge_index holds the edge ({u}, {v}) {int(counts[counts > 1][0])} times; keep one per pair "
                         "(torch_geometric.utils.coalesce)")
    return _arcs_graph(algorithm, num_nodes, senders, receivers, weights, "edge_index",
                       "add the reverse edges (torch_geometric.utils.to_undirected)")


def as_networkx(algorithm: str, data: Any) -> nx.Graph:
    """``data`` as a networkx graph: itself, a torch_geometric ``Data`` (nodes ``0..n-1``) or a
    dense adjacency matrix (NumPy or torch; nonzero entries are edges, values their weights),
    read in the algorithm's direction."""
    if isinstance(data, nx.Graph):
        return data
    if isinstance(data, Data):
        return _pyg_graph(algorithm, data)
    if isinstance(data, (np.ndarray, torch.Tensor)):
        return _adjacency_graph(algorithm, data)
    raise ValueError(f"{algorithm} needs {GRAPH_FORMS}, got {type(data).__name__}")


# --- validation ----------------------------------------------------------------------------------

def _edge_arrays(graph: nx.Graph, index: dict, weighted: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Senders, receivers, weights of every edge as ``nx.to_numpy_array`` counts them: both
    directions of an undirected edge, parallel edges added up; weights of 1 when not
    ``weighted`` (whatever the graph holds)."""
    edges = list(graph.edges(data="weight", default=1.0))
    try:
        weights = np.array([w if weighted else 1.0 for _, _, w in edges], dtype=np.float64).reshape(len(edges))
    except (TypeError, ValueError, OverflowError):
        raise ValueError("edge weights must be real numbers") from None
    senders = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    receivers = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    _check_weights(weights)
    if not graph.is_directed():  # both directions, a self-loop once
        back = senders != receivers
        senders, receivers, weights = (np.concatenate([senders, receivers[back]]),
                                       np.concatenate([receivers, senders[back]]),
                                       np.concatenate([weights, weights[back]]))
    pairs, pair_of = np.unique(senders * len(index) + receivers, return_inverse=True)
    weights = np.bincount(pair_of, weights=weights, minlength=pairs.size)
    _check_weights(weights)  # parallel edges may add up to Inf
    senders, receivers = np.divmod(pairs, len(index))
    return senders, receivers, weights


def _check_weights(weights: np.ndarray) -> None:
    if not np.all(np.isfinite(weights)):
        raise ValueError("edge weights must be finite (found NaN or Inf)")
    if (weights < 0).any():
        raise ValueError("edge weights must be non-negative (the models were trained on weights in [0, 1])")
    if (weights == 0).any():
        raise ValueError("edge weights must be positive: a zero weight is indistinguishable from a missing edge")


def _unscaled_edges(algorithm: str, graph: Any, source: Any) -> tuple[GraphEdges, list]:
    """The graph's distinct arcs with its own weights (1 for unweighted algorithms), the source's
    position, and the node labels in position order."""
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"{algorithm} needs {GRAPH_FORMS}, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    if len(nodes) < 2:
        raise ValueError(f"the graph has {len(nodes)} node(s); {algorithm} needs at least 2")
    kind = get(algorithm).inputs
    index = {node: i for i, node in enumerate(nodes)}
    senders, receivers, weights = _edge_arrays(graph, index, kind.weighted)
    if not kind.weighted:  # parallel edges added up above
        weights = np.ones_like(weights)
    if kind.acyclic and not nx.is_directed_acyclic_graph(nx.DiGraph(graph)):
        cycle = [u for u, _ in nx.find_cycle(nx.DiGraph(graph))]
        raise ValueError(f"{algorithm} needs a directed acyclic graph, but G has the cycle {shown(cycle)}")
    if get(algorithm).has_source:
        if source is None:
            source = nodes[0]
        if source not in graph:
            raise ValueError(f"source {shown(source)} is not a node of the graph; pass one of its nodes "
                             f"(e.g. {shown(nodes[0])})")
        source = index[source]
    elif source is not None:
        raise ValueError(f"{algorithm} takes no source node")
    return GraphEdges(senders, receivers, weights, len(nodes), source), nodes


def _scaled(edges: GraphEdges, weighted: bool) -> GraphEdges:
    """Weights into the training range, at most 1 (shortest paths, MSTs and orders are invariant
    to a positive scale)."""
    if weighted and edges.weights.size:
        return edges._replace(weights=edges.weights / edges.weights.max())
    return edges


def graph_edges(algorithm: str, graph: Any, source: Any = None) -> tuple[GraphEdges, list]:
    """The validated edge list of a networkx graph, weights scaled to at most 1, and its node
    labels in index order."""
    edges, nodes = _unscaled_edges(algorithm, graph, source)
    return _scaled(edges, get(algorithm).inputs.weighted), nodes


def validate_graph(algorithm: str, graph: Any, source: Any = None) -> None:
    """Refuse, in one line naming the fix, a graph the models would otherwise answer without a
    word about it being the wrong question: no nodes, the wrong direction (the record's ``inputs``),
    a source that is not a node, self-loops, parallel edges (added up they are no shortest
    path), and for weighted algorithms missing, non-numeric, NaN, infinite, negative or zero
    weights. Unweighted algorithms (bfs, dfs, scc) ignore weights."""
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"{algorithm} needs {GRAPH_FORMS}, got {type(graph).__name__}")
    if graph.number_of_nodes() == 0:
        raise ValueError(f"the graph is empty (no nodes); {algorithm} needs at least 2 nodes")
    kind = get(algorithm).inputs
    if graph.is_directed() and not kind.directed:
        raise ValueError(f"{algorithm} needs an undirected graph, got a directed one; pass G.to_undirected()")
    if kind.directed and not graph.is_directed():
        raise ValueError(f"{algorithm} needs a directed graph, got an undirected one; pass G.to_directed() "
                         "(each edge both ways)")
    if get(algorithm).has_source:
        if source is not None and source not in graph:
            raise ValueError(f"source {shown(source)} is not a node of the graph; pass one of its nodes "
                             f"(e.g. {shown(next(iter(graph)))})")
    elif source is not None:
        raise ValueError(f"{algorithm} takes no source node; leave source out")
    loop = next(iter(nx.selfloop_edges(graph)), None)
    if loop is not None:
        raise ValueError(f"the graph has a self-loop at node {shown(loop[0])}; remove self-loops with "
                         "G.remove_edges_from(list(nx.selfloop_edges(G)))")
    if graph.is_multigraph():
        for u, around in graph.adj.items():
            for v, keyed in around.items():
                if len(keyed) > 1:
                    simple = "DiGraph" if graph.is_directed() else "Graph"
                    raise ValueError(f"the graph has {len(keyed)} parallel edges between {shown(u)} and {shown(v)}; "
                                     f"keep one edge per pair (nx.{simple}(G) keeps the last of each)")
    if kind.weighted:
        _validate_weights(algorithm, graph)


def _validate_weights(algorithm: str, graph: nx.Graph) -> None:
    edges = list(graph.edges(data="weight"))
    missing = [(u, v) for u, v, w in edges if w is None]
    if 0 < len(missing) < len(edges):
        u, v = missing[0]
        raise ValueError(f"edge ({shown(u)}, {shown(v)}) has no 'weight' while {len(edges) - len(missing)} other "
                         "edge(s) have one; give every edge a weight (or none: all weigh 1)")
    for u, v, w in edges:
        if w is None:
            continue
        edge = f"edge ({shown(u)}, {shown(v)})"
        try:
            w = float(w)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{edge} has weight {shown(w)}, not a real number; give it a positive number") from None
        if math.isnan(w):
            raise ValueError(f"{edge} has weight NaN; give it a positive number or remove the edge")
        if math.isinf(w):
            raise ValueError(f"{edge} has an infinite weight; remove the edge instead (no edge is what it means)")
        if w < 0:
            raise ValueError(f"{edge} has the negative weight {w:g}; {algorithm} needs positive weights "
                             "(its models were trained on weights in (0, 1])")
        if w == 0:
            raise ValueError(f"{edge} has weight 0, which the models cannot tell from no edge; give it a "
                             "positive weight or remove it")


#: Relative size of the tie-break: every weight ``w`` of a weighted algorithm is read as
#: ``w * (1 + TIE_BREAK * u)`` with ``u`` in ``[0, 1)`` drawn from a fixed seed, one per edge
#: (the same both ways) in order of its end nodes' positions in the graph. Equal weights and
#: equal path lengths then differ, so the exact answer ("exact" of ``check``) is the one
#: answer of the perturbed graph, the same on every run; only answers within ``TIE_BREAK``
#: (relative) of each other can change, which :func:`dear.checking.tie_aware_check` counts as
#: ties anyway (its ``rtol`` is 1000 times larger). Unweighted algorithms break ties as CLRS
#: does: the lowest node position first.
TIE_BREAK = 1e-9


def tie_broken(edges: GraphEdges, directed: bool) -> GraphEdges:
    """``edges`` with the deterministic perturbation :data:`TIE_BREAK` applied to its weights."""
    if edges.weights.size == 0:
        return edges
    n = edges.num_nodes
    low, high = (edges.senders, edges.receivers) if directed else (np.minimum(edges.senders, edges.receivers),
                                                                   np.maximum(edges.senders, edges.receivers))
    pairs, pair_of = np.unique(low * n + high, return_inverse=True)
    jitter = np.random.default_rng(0).random(pairs.size)[pair_of]
    return edges._replace(weights=edges.weights * (1.0 + TIE_BREAK * jitter))


def _keys_and_target(data: Any, target: Any) -> tuple[Any, Any]:
    return (data.get("key"), data.get("target", target)) if isinstance(data, dict) else (data, target)


def array_inputs(algorithm: str, data: Any, target: Any = None) -> tuple[dict[str, np.ndarray], list]:
    """CLRS inputs of an array algorithm: ``key`` (and ``target`` for binary search)."""
    data, target = _keys_and_target(data, target)
    key = as_float_array("key", data)
    if key.ndim != 1 or key.size < 2:
        raise ValueError(f"{algorithm} needs a 1-D sequence of at least 2 numbers, got shape {key.shape}")
    lo, span = key.min(), float(np.ptp(key)) or 1.0  # keys into [0, 1], as in training
    inputs = {"key": (key - lo) / span}
    if SPECS[algorithm].get("target", ("",))[0] == Stage.INPUT:  # an input, not a hint of the same name
        try:
            target = float(target)
        except (TypeError, ValueError, OverflowError):
            target = math.nan
        if not math.isfinite(target):
            raise ValueError(f"{algorithm} needs a finite number as target (pass source=target)")
        if np.any(np.diff(key) < 0):
            raise ValueError(f"{algorithm} needs keys sorted in increasing order")
        # Only the target's order among the keys matters: far from them it is clipped into
        # [-1, 2] (keys are in [0, 1]), so no huge value reaches the model.
        inputs["target"] = np.asarray(np.clip((target - lo) / span, -1.0, 2.0))
    return inputs, list(range(key.size))


# --- one input, or a list of graphs --------------------------------------------------------------

def problem_of(algorithm: str, data: Any, source: Any = None) -> Problem:
    """One input, validated: a graph in any form of :func:`as_networkx`, or keys."""
    record = get(algorithm)
    if not record.is_graph:
        inputs, nodes = array_inputs(algorithm, data, source)
        keys, target = _keys_and_target(data, source)
        return Problem(nodes, source=float(target) if "target" in inputs else None, inputs=inputs,
                       keys=as_float_array("key", keys))
    graph = as_networkx(algorithm, data)
    validate_graph(algorithm, graph, source)
    raw, nodes = _unscaled_edges(algorithm, graph, source)
    edges = _scaled(raw, record.inputs.weighted)
    if record.inputs.weighted:
        edges = tie_broken(edges, record.inputs.directed)
    arcs = Edges.of(raw.num_nodes, raw.senders, raw.receivers, raw.weights)
    return Problem(nodes, graph, None if raw.source is None else nodes[raw.source], edges, arcs)


def is_batch(algorithm: str, data: Any) -> bool:
    """Whether ``data`` is several graphs (a list or tuple of them, or a torch_geometric
    ``Batch``) to solve at once; array algorithms read a list as their keys."""
    return get(algorithm).is_graph and isinstance(data, (list, tuple, Batch))


def problems_of(algorithm: str, data: Any, source: Any = None) -> list[Problem]:
    """The problems of a list of graphs (``source``: one node for every graph, or a list of one
    per graph), each validated; a refusal names the graph's position in the list."""
    graphs = data.to_data_list() if isinstance(data, Batch) else list(data)
    if not graphs:
        raise ValueError(f"the list of graphs is empty; {algorithm} needs at least one graph")
    if isinstance(source, list):
        if len(source) != len(graphs):
            raise ValueError(f"{len(source)} sources for {len(graphs)} graphs; pass one source per graph (or one "
                             "node for all)")
        sources = source
    else:
        sources = [source] * len(graphs)
    problems = []
    for i, (graph, node) in enumerate(zip(graphs, sources)):
        try:
            problems.append(problem_of(algorithm, graph, node))
        except ValueError as error:
            raise ValueError(f"graph {i}: {error}") from None
    return problems


# --- the model's batch ---------------------------------------------------------------------------

#: Largest graphs the exact algorithms (dense, recording every hint) run on here, for ``check``
#: and NAR's ground-truth number of steps: hints take ``O(n²)`` memory, ``O(n³)`` and more
#: for algorithms with hints on edges.
EXACT_MAX_NODES = 1024
EXACT_MAX_NODES_EDGE_HINTS = 128


def exact_fits(algorithm: str, n: int) -> bool:
    """Whether the exact algorithm runs here on ``n`` nodes (:data:`EXACT_MAX_NODES`, or
    ``..._EDGE_HINTS`` for algorithms with hints on edges)."""
    return n <= (EXACT_MAX_NODES_EDGE_HINTS if get(algorithm).edge_hints else EXACT_MAX_NODES)


def exact_run(algorithm: str, n: int, inputs: Callable[[], dict[str, np.ndarray]]) -> Trajectory:
    """The exact algorithm on ``inputs()`` of ``n`` nodes; refused, before the dense inputs are
    made, where it does not fit (:func:`exact_fits`)."""
    if not exact_fits(algorithm, n):
        cap = EXACT_MAX_NODES_EDGE_HINTS if get(algorithm).edge_hints else EXACT_MAX_NODES
        raise ValueError(
            f"the exact {algorithm} runs on at most {cap} nodes, got {n} (it is needed for check, for NAR's "
            "number of steps T, and on complete graphs; DEAR needs no T)"
        )
    return run_reference(algorithm, complete_inputs(algorithm, inputs()))


def batch_of(algorithm: str, problems: list[Problem], *, exact: bool, steps: bool
             ) -> tuple[Batch, list[Trajectory | None]]:
    """One batch of every problem (with NAR's number of steps when ``steps``), and the exact
    run of each when asked for and it fits (:func:`exact_fits`; None otherwise, if it was not
    needed). Graphs go by edge list: 10⁴ nodes and more fit."""
    record = get(algorithm)
    if not record.is_graph:  # on the complete graph, as the exact run is
        trajectories = [exact_run(algorithm, len(p.nodes), lambda p=p: p.inputs) for p in problems]
        return collate(trajectories, hints=False), trajectories
    batches, trajectories = [], []
    for problem in problems:
        edges = problem.edges
        dense = (exact and exact_fits(algorithm, edges.num_nodes)) or (steps and record.steps is None)
        trajectory = exact_run(algorithm, edges.num_nodes, edges.dense_inputs) if dense else None
        length = None
        if steps:
            length = trajectory.length if trajectory is not None else record.steps(
                edges.num_nodes, edges.senders, edges.receivers, edges.source)
        batches.append(edge_list_batch(algorithm, *edges, length=length))
        trajectories.append(trajectory)
    if len(batches) == 1:
        return batches[0], trajectories
    return Batch.from_data_list([batch.get_example(0) for batch in batches]), trajectories


def model_batch(algorithm: str, data: Any, source: Any, *, exact: bool, steps: bool
                ) -> tuple[Batch, list, Trajectory | None]:
    """The model's batch of one input (with NAR's number of steps when ``steps``), its node
    labels, and the exact run when asked for (None otherwise, if it was not needed). Inputs
    are validated (:func:`validate_graph`) and weights tie-broken (:data:`TIE_BREAK`) first."""
    problem = problem_of(algorithm, data, source)
    batch, (trajectory,) = batch_of(algorithm, [problem], exact=exact, steps=steps)
    return batch, problem.nodes, trajectory


__all__ = ["EXACT_MAX_NODES", "EXACT_MAX_NODES_EDGE_HINTS", "GRAPH_FORMS", "TIE_BREAK", "GraphEdges", "Problem",
           "array_inputs", "as_networkx", "batch_of", "exact_fits", "exact_run", "graph_edges", "is_batch", "model_batch",
           "problem_of", "problems_of", "tie_broken", "validate_graph"]
