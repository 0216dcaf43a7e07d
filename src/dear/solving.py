"""Run a trained reasoner on a user's own graph (networkx) or array.

Pretrained models ship inside the package (``dear/pretrained/<model>/<algorithm>/``, the layout
of a run directory); ``model`` may also be the path of any run directory. Weights are scaled
into the training range (shortest paths, MSTs and orders are invariant to a positive scale).
Input that would get a silently wrong answer is refused (:func:`validate_graph`), and every
pointer answer is checked for structure (:mod:`dear.checking`) and repaired when it is no
tree (:func:`repair`), so an answer is valid or flagged, never silently wrong.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import networkx as nx
import numba
import numpy as np
import torch
from torch_geometric.data import Batch

from dear.algorithms import Answer, get
from dear.checking import CHECKED, ROOTED_TREES, Edges, components, dfs_trees, pointer_structure, reachable, tie_aware_check
from dear.config import MODELS
from dear.data.batching import collate, edge_list_batch
from dear.data.execute import as_float_array, complete_inputs, run_reference
from dear.data.trajectory import Trajectory
from dear.errors import shown
from dear.models.base import Reasoner
from dear.nn.permutation import PermutationScores
from dear.nn.readout import hard_prediction
from dear.specs import POINTER_TYPES, SPECS, Location, Type, check_algorithm



def pretrained_dir(model: str, algorithm: str) -> Path:
    """Where a shipped model lives, or ``model`` itself when it is a run directory."""
    if not isinstance(model, (str, os.PathLike)):
        raise ValueError(f"model must be a shipped model's name or a run directory, got {type(model).__name__}")
    if Path(model).is_dir() and str(model) not in MODELS:  # a shipped name wins over a folder called "dear"
        return Path(model)
    folder = Path(str(resources.files("dear"))) / "pretrained" / str(model) / algorithm
    if not (folder / "model.safetensors").exists():
        shipped = sorted(p.parent.name for p in (folder.parent.parent).glob(f"*/{algorithm}/model.safetensors"))
        raise ValueError(
            f"no pretrained {model!r} model for {algorithm}; shipped for it: {', '.join(shipped) or 'none'} "
            "(or pass a run directory)"
        )
    return folder


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


def graph_edges(algorithm: str, graph: Any, source: Any = None) -> tuple[GraphEdges, list]:
    """The validated, scaled edge list of a networkx graph, and its node labels in index order."""
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"{algorithm} needs a networkx graph, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    if len(nodes) < 2:
        raise ValueError(f"the graph has {len(nodes)} node(s); {algorithm} needs at least 2")
    kind = get(algorithm).inputs
    index = {node: i for i, node in enumerate(nodes)}
    senders, receivers, weights = _edge_arrays(graph, index, kind.weighted)
    if kind.weighted and weights.size:
        weights = weights / weights.max()
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


def validate_graph(algorithm: str, graph: Any, source: Any = None) -> None:
    """Refuse, in one line naming the fix, a graph the models would otherwise answer without a
    word about it being the wrong question: no nodes, the wrong direction (the record's ``inputs``),
    a source that is not a node, self-loops, parallel edges (added up they are no shortest
    path), and for weighted algorithms missing, non-numeric, NaN, infinite, negative or zero
    weights. Unweighted algorithms (bfs, dfs, scc) ignore weights."""
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"{algorithm} needs a networkx graph, got {type(graph).__name__}")
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


def array_inputs(algorithm: str, data: Any, target: Any = None) -> tuple[dict[str, np.ndarray], list]:
    """CLRS inputs of an array algorithm: ``key`` (and ``target`` for binary search)."""
    if isinstance(data, dict):
        data, target = data.get("key"), data.get("target", target)
    key = as_float_array("key", data)
    if key.ndim != 1 or key.size < 2:
        raise ValueError(f"{algorithm} needs a 1-D sequence of at least 2 numbers, got shape {key.shape}")
    lo, span = key.min(), max(float(np.ptp(key)), 1e-12)
    inputs = {"key": (key - lo) / span}
    if "target" in SPECS[algorithm]:
        try:
            target = float(target)
        except (TypeError, ValueError, OverflowError):
            target = math.nan
        if not math.isfinite(target):
            raise ValueError(f"{algorithm} needs a finite number as target (pass source=target)")
        if np.any(np.diff(key) < 0):
            raise ValueError(f"{algorithm} needs keys sorted in increasing order")
        inputs["target"] = np.asarray((target - lo) / span)
    return inputs, list(range(key.size))


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


def _dense(values: np.ndarray, edge_index: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, n), dtype=values.dtype)
    out[edge_index[0], edge_index[1]] = values
    return out


def readable_outputs(algorithm: str, outputs: dict[str, np.ndarray], edge_index: np.ndarray, nodes: list) -> dict:
    """Outputs as users expect them: pointers as node labels, edge probes as ``[n, n]`` arrays."""
    readable = {}
    for name, values in outputs.items():
        _, location, kind = SPECS[algorithm][name]
        values = np.asarray(values)
        if location == Location.EDGE and values.ndim == 1 and values.shape[0] == edge_index.shape[1]:
            values = _dense(values, edge_index, len(nodes))
        if kind in POINTER_TYPES:
            values = _to_labels(values, nodes)
        elif kind == Type.MASK:
            values = values > 0.5
        elif kind == Type.MASK_ONE:
            values = np.asarray(nodes[int(np.argmax(values))])
        readable[name] = values
    return readable


#: Largest graphs the exact algorithms (dense, recording every hint) run on here, for ``check``
#: and NAR's ground-truth number of steps: hints take ``O(n²)`` memory, ``O(n³)`` and more
#: for algorithms with hints on edges.
EXACT_MAX_NODES = 1024
EXACT_MAX_NODES_EDGE_HINTS = 128


def exact_run(algorithm: str, n: int, inputs: Callable[[], dict[str, np.ndarray]]) -> Trajectory:
    """The exact algorithm on ``inputs()`` of ``n`` nodes; refused, before the dense inputs are
    made, beyond :data:`EXACT_MAX_NODES` (or ``..._EDGE_HINTS``)."""
    cap = EXACT_MAX_NODES_EDGE_HINTS if get(algorithm).edge_hints else EXACT_MAX_NODES
    if n > cap:
        raise ValueError(
            f"the exact {algorithm} runs on at most {cap} nodes, got {n} (it is needed for check, for NAR's "
            "number of steps T, and on complete graphs; DEAR needs no T)"
        )
    return run_reference(algorithm, complete_inputs(algorithm, inputs()))


def model_batch(algorithm: str, data: Any, source: Any, *, exact: bool, steps: bool
                ) -> tuple[Batch, list, Trajectory | None]:
    """The model's batch of ``data`` (with NAR's number of steps when ``steps``), its node labels,
    and the exact run when asked for (None otherwise, if it was not needed). Graphs go by edge
    list: 10⁴ nodes and more fit. Graphs are validated (:func:`validate_graph`) and their
    weights tie-broken (:data:`TIE_BREAK`) first."""
    if "A" not in SPECS[algorithm]:  # on the complete graph, as the exact run is
        raw, nodes = array_inputs(algorithm, data, source)
        trajectory = exact_run(algorithm, len(nodes), lambda: raw)
        return collate([trajectory], hints=False), nodes, trajectory
    validate_graph(algorithm, data, source)
    edges, nodes = graph_edges(algorithm, data, source)
    record = get(algorithm)
    if record.inputs.weighted:
        edges = tie_broken(edges, record.inputs.directed)
    dense = exact or (steps and record.steps is None)
    trajectory = exact_run(algorithm, edges.num_nodes, edges.dense_inputs) if dense else None
    length = None
    if steps:
        length = trajectory.length if trajectory is not None else record.steps(
            edges.num_nodes, edges.senders, edges.receivers, edges.source)
    return edge_list_batch(algorithm, *edges, length=length), nodes, trajectory


@torch.no_grad()
def run_model(model: Reasoner, batch: Batch, scores: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Hard outputs and solver diagnostics of ``model`` on ``batch``; ``scores``, when given,
    receives each output's decoder scores as NumPy (pointer logits per edge of the batch; for
    a permutation, ``{"log_perm", "first"}``), which :func:`repair` decodes under constraints."""
    device = next(model.parameters()).device
    prediction = model(batch.to(device))
    outputs = {}
    for name, raw in prediction.outputs.items():
        _, location, kind = SPECS[model.algorithm][name]
        outputs[name] = hard_prediction(raw, location, kind, prediction.graph).cpu().numpy()
        if scores is not None:
            scores[name] = ({"log_perm": raw.log_perm[0].float().cpu().numpy(), "first": raw.first.float().cpu().numpy()}
                            if isinstance(raw, PermutationScores) else raw.float().cpu().numpy())
    diagnostics: dict[str, Any] = dict(prediction.diagnostics)
    if prediction.solver is not None:  # one graph: its own residual and verdict, not batch statistics
        diagnostics |= {"residual": float(prediction.solver.residual[0]),
                        "converged": bool(prediction.solver.converged[0]),
                        "iterations": int(prediction.solver.iterations[0])}
    return outputs, diagnostics


# --- repair: the best-scoring answer that is an answer -----------------------------------------

@numba.njit(cache=True)
def _push_down(node: int, key: np.ndarray, delta: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """Apply a skew-heap node's pending shift to its key and hand it to its children."""
    key[node] += delta[node]
    if left[node] >= 0:
        delta[left[node]] += delta[node]
    if right[node] >= 0:
        delta[right[node]] += delta[node]
    delta[node] = 0.0


@numba.njit(cache=True)
def _merge(a: int, b: int, key: np.ndarray, delta: np.ndarray, left: np.ndarray, right: np.ndarray) -> int:
    """Meld two lazy skew heaps (min at the root), top-down along the right spines."""
    if a < 0:
        return b
    if b < 0:
        return a
    _push_down(a, key, delta, left, right)
    _push_down(b, key, delta, left, right)
    if key[a] > key[b]:
        a, b = b, a
    root = a
    while True:  # at a (the smaller root): left <- meld(b, old right), right <- old left
        old_right = right[a]
        right[a] = left[a]
        if old_right < 0:
            left[a] = b
            return root
        _push_down(old_right, key, delta, left, right)
        if key[old_right] > key[b]:
            old_right, b = b, old_right
        left[a] = old_right
        a = old_right


@numba.njit(cache=True)
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] >= 0:
        x = parent[x]
    return x


@numba.njit(cache=True)
def _min_arborescence(n: int, root: int, src: np.ndarray, dst: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Tarjan's ``O(E log V)`` Chu–Liu/Edmonds (KACTL's ``dmst``: a lazy skew heap of in-arcs per
    contracted node, a union-find with rollback to expand the cycles): the in-arc of each node
    in a minimum-cost arborescence rooted at ``root`` (-1 at the root); all -1 if some node
    cannot be reached."""
    m = src.shape[0]
    key, delta = cost.copy(), np.zeros(m)
    left, right = np.full(m, -1, np.int64), np.full(m, -1, np.int64)
    heap = np.full(n, -1, np.int64)
    for e in range(m):
        heap[dst[e]] = _merge(heap[dst[e]], e, key, delta, left, right)
    uf = np.full(n, -1, np.int64)  # negative size at a set's root
    undo_at, undo_value, undos = np.empty(2 * n, np.int64), np.empty(2 * n, np.int64), 0
    seen, path, queue = np.full(n, -1, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    in_arc = np.full(n, -1, np.int64)
    cycle_node, cycle_undos = np.empty(n, np.int64), np.empty(n, np.int64)
    cycle_start, cycle_stop = np.empty(n, np.int64), np.empty(n, np.int64)
    cycle_arcs, num_cycles, num_cycle_arcs = np.empty(2 * n, np.int64), 0, 0
    seen[root] = root
    for s in range(n):
        u, q = s, 0
        while seen[u] < 0:
            while heap[u] >= 0:  # drop arcs that a contraction made internal to u
                _push_down(heap[u], key, delta, left, right)
                if _find(uf, src[heap[u]]) != u:
                    break
                heap[u] = _merge(left[heap[u]], right[heap[u]], key, delta, left, right)
            if heap[u] < 0:
                return np.full(n, -1, np.int64)
            e = heap[u]  # u's cheapest in-arc; the others now cost their excess over it
            delta[e] -= key[e]
            _push_down(e, key, delta, left, right)
            heap[u] = _merge(left[e], right[e], key, delta, left, right)
            queue[q], path[q], seen[u] = e, u, s
            q += 1
            u = _find(uf, src[e])
            if seen[u] == s:  # a cycle: contract it into one node
                cycle, stop, mark = -1, q, undos
                while True:
                    q -= 1
                    w = path[q]
                    cycle = _merge(cycle, heap[w], key, delta, left, right)
                    a, b = _find(uf, u), _find(uf, w)
                    if a == b:
                        break
                    if uf[a] > uf[b]:
                        a, b = b, a
                    undo_at[undos], undo_value[undos] = a, uf[a]
                    undo_at[undos + 1], undo_value[undos + 1] = b, uf[b]
                    undos += 2
                    uf[a] += uf[b]
                    uf[b] = a
                u = _find(uf, u)
                heap[u], seen[u] = cycle, -1
                cycle_node[num_cycles], cycle_undos[num_cycles] = u, mark
                cycle_start[num_cycles] = num_cycle_arcs
                for i in range(q, stop):
                    cycle_arcs[num_cycle_arcs] = queue[i]
                    num_cycle_arcs += 1
                cycle_stop[num_cycles] = num_cycle_arcs
                num_cycles += 1
        for i in range(q):
            in_arc[_find(uf, dst[queue[i]])] = queue[i]
    for c in range(num_cycles - 1, -1, -1):  # expand, newest cycle first
        while undos > cycle_undos[c]:
            undos -= 1
            uf[undo_at[undos]] = undo_value[undos]
        entering = in_arc[cycle_node[c]]
        for i in range(cycle_start[c], cycle_stop[c]):
            arc = cycle_arcs[i]
            in_arc[_find(uf, dst[arc])] = arc
        in_arc[_find(uf, dst[entering])] = entering
    return in_arc


def max_arborescence(num_nodes: int, parents: np.ndarray, children: np.ndarray, scores: np.ndarray,
                     root: int) -> np.ndarray:
    """Parent of each node in the spanning arborescence of largest total score rooted at
    ``root`` (pointing to itself), over arcs ``parents[k] -> children[k]``: Chu–Liu/Edmonds in
    Tarjan's ``O(E log V)`` form, milliseconds on 10⁴ nodes where networkx's
    ``maximum_spanning_arborescence`` takes seconds on 10³. ``ValueError`` if some node cannot
    be reached from ``root``."""
    par, chi = np.asarray(parents, dtype=np.int64), np.asarray(children, dtype=np.int64)
    keep = (chi != root) & (par != chi)
    ids = np.flatnonzero(keep)
    cost = -np.asarray(scores, dtype=np.float64)[keep]
    in_arc = _min_arborescence(int(num_nodes), int(root), par[keep], chi[keep], cost)
    others = np.arange(num_nodes) != root
    if (in_arc[others] < 0).any():
        raise ValueError("no spanning arborescence: some node cannot be reached from the root")
    result = np.arange(num_nodes)
    result[others] = par[ids[in_arc[others]]]
    return result


def _scorer(scores: np.ndarray, edge_index: np.ndarray, n: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``score(parent, child)``: the model's logit for "child points to parent" (the batch
    edge ``parent -> child``), looked up among the batch's edges."""
    keys = edge_index[0].astype(np.int64) * n + edge_index[1]
    order = np.argsort(keys)

    def score(parent: np.ndarray, child: np.ndarray) -> np.ndarray:
        wanted = np.asarray(parent, dtype=np.int64) * n + np.asarray(child, dtype=np.int64)
        at = order[np.minimum(np.searchsorted(keys[order], wanted), keys.size - 1)]
        if not np.array_equal(keys[at], wanted):
            raise RuntimeError("a graph edge is missing from the model's batch")
        return scores[at]

    return score


def repair(algorithm: str, edges: Edges, source: int | None, scores: Any, edge_index: np.ndarray) -> np.ndarray | None:
    """The structurally valid answer the model's scores like best (None: no repair for
    ``algorithm``). Trees: the maximum spanning arborescence over the pointer logits, rooted at
    the source, on the graph's edges among the nodes it reaches (a node's logits are only
    shifted by its softmax normaliser, the same in every tree, so this is also the most
    probable tree); dfs: one per DFS tree, under a virtual root; scc: one per component, the
    root where the model's self-pointer scores best; floyd_warshall: row by row; insertion
    sort: a chain grown greedily from the predicted first element (the best chain is a
    travelling-salesman problem)."""
    answer = get(algorithm).answer
    if answer is Answer.SORTED_CHAIN:
        return _greedy_chain(scores["log_perm"], scores["first"])
    n = edges.num_nodes
    idx = np.arange(n)
    if answer is Answer.ALL_PAIRS_TREES:  # scores [E, n]: "Pi[i, j] = k" at batch edge (i, j), column k
        at = np.full((n, n), -1, dtype=np.int64)
        at[edge_index[0], edge_index[1]] = np.arange(edge_index.shape[1])
        return np.stack([_rooted_tree(edges, i, scores[at[i, edges.receivers], edges.senders], unreachable_to_root=True)
                         for i in range(n)])
    score = _scorer(np.asarray(scores, dtype=np.float64), edge_index, n)
    if answer in ROOTED_TREES:
        return _rooted_tree(edges, source, score(edges.senders, edges.receivers))
    if answer is Answer.DFS_FOREST:
        tree = dfs_trees(edges)
        roots = np.flatnonzero(tree == idx)
        arc = (tree[edges.senders] == tree[edges.receivers]) & (tree[edges.receivers] != edges.receivers)
        parents = np.concatenate([edges.senders[arc], np.full(roots.size, n)])
        children = np.concatenate([edges.receivers[arc], roots])
        weights = np.concatenate([score(edges.senders[arc], edges.receivers[arc]), np.zeros(roots.size)])
        parent = max_arborescence(n + 1, parents, children, weights, n)[:n]
        return np.where(parent == n, idx, parent)
    if answer is Answer.COMPONENT_TREES:
        label = components(edges)
        arc = label[edges.senders] == label[edges.receivers]
        parents, children = edges.receivers[arc], edges.senders[arc]  # v points along its out-edge v -> u
        inner, own = score(parents, children), score(idx, idx)
        every = np.concatenate([inner, own])
        root_cost = (n + 1) * (float(every.max() - every.min()) + 1.0)  # one root per component first
        parent = max_arborescence(n + 1, np.concatenate([parents, np.full(n, n)]), np.concatenate([children, idx]),
                                  np.concatenate([inner, own - root_cost]), n)[:n]
        return np.where(parent == n, idx, parent)
    return None


def _rooted_tree(edges: Edges, root: int, arc_scores: np.ndarray, unreachable_to_root: bool = False) -> np.ndarray:
    """Maximum arborescence rooted at ``root`` over the nodes it reaches; the others point to
    themselves (or to the root)."""
    n = edges.num_nodes
    reach = reachable(edges, root)
    arc = reach[edges.senders] & reach[edges.receivers]
    members = np.flatnonzero(reach)
    local = np.full(n, -1, dtype=np.int64)
    local[members] = np.arange(members.size)
    parent = max_arborescence(members.size, local[edges.senders[arc]], local[edges.receivers[arc]], arc_scores[arc],
                              int(local[root]))
    pointer = np.full(n, root) if unreachable_to_root else np.arange(n)
    pointer[members] = members[parent]
    return pointer


def _greedy_chain(log_perm: np.ndarray, first: np.ndarray) -> np.ndarray:
    """A predecessor chain: from the most likely first element, append the unused element most
    likely to follow (``log_perm[i, j]``: log-probability that ``j`` precedes ``i``)."""
    n = first.size
    pointer = np.arange(n)
    used = np.zeros(n, dtype=bool)
    tail = int(np.argmax(first))
    used[tail] = True
    for _ in range(n - 1):
        follow = np.where(used, -np.inf, log_perm[:, tail])
        nxt = int(np.argmax(follow))
        pointer[nxt], used[nxt], tail = tail, True, nxt
    return pointer


def _batch_graph(batch: Batch) -> tuple[Edges, int | None]:
    """The graph the batch encodes (its ``adj``, self-loops aside) and its source position."""
    edge_index = batch.edge_index.cpu().numpy()
    adj = batch["input_adj"].cpu().numpy() > 0
    arcs = adj & (edge_index[0] != edge_index[1])
    source = int(batch["input_s"].argmax()) if "input_s" in batch else None
    return Edges.of(int(batch.num_nodes), edge_index[0][arcs], edge_index[1][arcs]), source


def checked_outputs(algorithm: str, batch: Batch, outputs: dict[str, np.ndarray], scores: dict[str, Any],
                    nodes: list, repair_invalid: bool = True) -> dict[str, Any]:
    """Check the answer's structure (:func:`dear.checking.pointer_structure`) and, where it is no
    answer and ``repair_invalid``, replace it in ``outputs`` by :func:`repair`'s. Returns
    ``valid`` (of the answer returned; None where nothing checks it), ``repaired`` and
    ``problem`` (what was wrong with the model's own answer)."""
    probe = CHECKED.get(algorithm)
    if probe is None:
        return {"valid": None, "repaired": False, "problem": f"no structural check for {algorithm}"}
    if SPECS[algorithm][probe][2] not in POINTER_TYPES:  # one node (minimum, binary search): always an answer
        return {"valid": True, "repaired": False, "problem": None}
    edge_index = batch.edge_index.cpu().numpy()
    n = len(nodes)
    edges, source = _batch_graph(batch) if "A" in SPECS[algorithm] else (None, None)
    pointer = outputs[probe]
    if SPECS[algorithm][probe][1] == Location.EDGE:
        pointer = _dense(pointer, edge_index, n)
    valid, problem = pointer_structure(algorithm, edges, source, pointer, nodes)
    if valid or not repair_invalid:
        return {"valid": valid, "repaired": False, "problem": problem}
    fixed = repair(algorithm, edges, source, scores[probe], edge_index)
    if fixed is None:
        return {"valid": False, "repaired": False, "problem": f"{problem} (no repair for {algorithm})"}
    if pointer_structure(algorithm, edges, source, fixed, nodes)[0] is not True:  # pragma: no cover - a bug
        raise RuntimeError(f"the repaired {algorithm} answer is no answer either")
    outputs[probe] = fixed[edge_index[0], edge_index[1]] if SPECS[algorithm][probe][1] == Location.EDGE else fixed
    return {"valid": True, "repaired": True, "problem": problem}


def solve(algorithm: str, graph: Any, source: Any = None, model: str = "dear", *, check: bool = False,
          tol: float | None = None, max_iter: int | None = None, repair: bool = True) -> dict:
    """Outputs of ``algorithm`` on ``graph`` predicted by a trained reasoner, checked.

    ``graph``: a networkx graph (edge attribute ``"weight"``; without any, every edge weighs 1)
    for graph algorithms; a sequence of keys (or ``{"key": [...], "target": x}``) for array
    algorithms, with ``source`` as the binary-search target. Bad input (see
    :func:`validate_graph`) is a one-line ``ValueError`` naming the fix. Equal weights are
    tie-broken deterministically (:data:`TIE_BREAK`).

    Returns the output probes (pointers as node ids); ``valid``, ``repaired`` and ``problem``:
    every pointer answer is checked for structure (:mod:`dear.checking`: a tree over the nodes
    the source reaches, a DFS forest, ...) and, where the model's is none, replaced by the
    valid answer its scores like best (:func:`repair`), ``problem`` saying what was wrong; with
    ``repair=False`` the model's own answer comes back with ``valid: False``. Also the solver
    ``diagnostics`` (DEAR: iterations, residual, converged, tol), ``converged`` (False when a
    DEAR solve stopped above its tolerance, also raised as a :class:`NotConvergedWarning`) and,
    with ``check``, the exact outputs, the fraction of entries agreeing with them per probe
    (``agreement``) and ``check``, the tie-aware verdict of
    :func:`dear.checking.tie_aware_check` (share of pointers that are *a* correct choice,
    total weight or length against the optimum). ``tol``/``max_iter`` replace DEAR's
    evaluation solver limits (a relaxed ``tol=1e-2`` roughly halves iterations).
    """
    from dear.run import load_run

    check_algorithm(algorithm)
    if "A" in SPECS[algorithm]:  # bad graphs fail before the model loads
        validate_graph(algorithm, graph, source)
    config, reasoner = load_run(pretrained_dir(model, algorithm), eval_tol=tol, eval_max_iter=max_iter)
    if config.algorithm != algorithm:
        raise ValueError(f"model {model!r} was trained on {config.algorithm}, not {algorithm}")
    if reasoner.uses_hints:
        raise ValueError(f"a {config.model} model reads the algorithm's own hints; "
                         "solve with nar, nar-lt, dem or dear")
    batch, nodes, trajectory = model_batch(algorithm, graph, source, exact=check, steps=reasoner.uses_length)
    scores: dict[str, Any] = {}
    outputs, diagnostics = run_model(reasoner, batch, scores)
    verdict = checked_outputs(algorithm, batch, outputs, scores, nodes, repair_invalid=repair)
    edge_index = batch.edge_index.numpy()
    result: dict[str, Any] = readable_outputs(algorithm, outputs, edge_index, nodes)
    result |= verdict
    result["diagnostics"] = diagnostics | ({"tol": config.eval_tol} if "converged" in diagnostics else {})
    result["converged"] = diagnostics.get("converged", True)
    if not result["converged"]:
        warnings.warn(f"{model} did not reach its tolerance on this graph (residual {diagnostics['residual']:.3g} after "
                      f"{diagnostics['iterations']} iterations): the answer is its last iterate, not a fixed point; "
                      "try a larger max_iter", NotConvergedWarning, stacklevel=2)
    if check:
        exact = readable_outputs(algorithm, trajectory.outputs, edge_index, nodes)
        result["exact"] = exact
        result["agreement"] = {k: float(np.mean(np.asarray(result[k]) == np.asarray(v))) for k, v in exact.items()}
        if algorithm in CHECKED:
            result["check"] = tie_aware_check(algorithm, graph, source, result)
    return result


class NotConvergedWarning(UserWarning):
    """A DEAR answer whose solve stopped above its tolerance (the last iterate, not a fixed point)."""


def read_graph_file(path: Path, algorithm: str) -> Any:
    """Edge list (``u v [weight]`` per line), GraphML, or JSON (node-link, ``{"edges": ...}`` or
    ``{"key": [...]}``) into a networkx graph, or keys for array algorithms."""
    if not path.exists():
        raise ValueError(f"no such file: {path}")
    record = get(algorithm)
    directed = record.is_graph and record.inputs.directed
    suffix = path.suffix.lower()
    try:
        if suffix == ".graphml":
            return nx.read_graphml(path, node_type=int)
        if suffix == ".json":
            data = json.loads(path.read_text())
            if isinstance(data, list) or "key" in data:
                return data
            if "links" in data or "edges" in data and "nodes" in data:
                return nx.node_link_graph(data, edges="links" if "links" in data else "edges")
            graph = nx.DiGraph() if data.get("directed", directed) else nx.Graph()
            for edge in data["edges"]:
                graph.add_edge(edge[0], edge[1], weight=float(edge[2]) if len(edge) > 2 else 1.0)
            return graph
        return nx.read_weighted_edgelist(path, nodetype=int, create_using=nx.DiGraph if directed else nx.Graph)
    except Exception as error:  # the parsers raise many exception types on malformed files
        raise ValueError(f"cannot read {path} as a graph ({suffix or 'edge list'}): {error}") from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


def solve_file(algorithm: str, path: Path, source: int | None = None, model: str = "dear", check: bool = False,
               tol: float | None = None, repair: bool = True) -> dict:
    """``dear solve``: read a graph file, solve, return JSON-ready results."""
    check_algorithm(algorithm)
    return _jsonable(solve(algorithm, read_graph_file(Path(path), algorithm), source, model, check=check, tol=tol,
                           repair=repair))


__all__: Sequence[str] = ["solve", "solve_file"]

