"""Repair: the valid answer a model's scores like best, where its own answer is no answer.

A reasoner's pointers need not form a tree; the scores behind them still rank every candidate
parent, so the best-scoring *valid* answer (a spanning arborescence, a DFS forest) is a maximum
arborescence problem: Chu–Liu/Edmonds in Tarjan's ``O(E log V)`` form, compiled with numba,
milliseconds on 10⁴ nodes. Edge flags rank edges the same way: a maximum spanning forest.
"""

from __future__ import annotations

from typing import Any, Callable

import networkx as nx
import numpy as np

from dear.algorithms import Answer, get
from dear.checking import ROOTED_TREES, Edges, components, dfs_trees, reachable
from dear.kernel import kernel


@kernel
def _push_down(node: int, key: np.ndarray, delta: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """Apply a skew-heap node's pending shift to its key and hand it to its children."""
    key[node] += delta[node]
    if left[node] >= 0:
        delta[left[node]] += delta[node]
    if right[node] >= 0:
        delta[right[node]] += delta[node]
    delta[node] = 0.0


@kernel
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


@kernel
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] >= 0:
        x = parent[x]
    return x


@kernel
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


def repair(algorithm: str, edges: Edges, source: int | None, scores: Any, edge_index: np.ndarray,
           first: np.ndarray | None = None) -> np.ndarray | None:
    """The structurally valid answer the model's scores like best (None: no repair for
    ``algorithm``); ``first``: the scores of the node a chain starts at, where the answer names
    it. Trees: the maximum spanning arborescence over the pointer logits, rooted at the source,
    on the graph's edges among the nodes it reaches (a node's logits are only shifted by its
    softmax normaliser, the same in every tree, so this is also the most probable tree); dfs:
    one per DFS tree, under a virtual root; scc: one per component, the root where the model's
    self-pointer scores best; floyd_warshall: row by row. Chains are grown greedily (the best
    chain is a travelling-salesman problem): insertion sort from the predicted first element,
    appending the unused element most likely to follow; a topological order (successor
    pointers) from the best-scoring node without predecessors, appending the best-scoring
    successor among the nodes whose predecessors are all placed. Edge flags ``[n, n]`` (both
    directions of an edge alike, an edge scored by the mean of its two logits): an MST's, the
    maximum spanning forest; bridges', the edges of positive score (the model's own flags where
    both directions agree, no flag off the graph). A set of nodes is always well formed."""
    answer = get(algorithm).answer
    if answer is Answer.SORTED_CHAIN:
        n = scores["first"].size  # log_perm[j, i]: "i precedes j", any keys in any order
        return _chain(_greedy_order(scores["first"], scores["log_perm"].T, Edges.of(n, [], [])), successors=False)
    n = edges.num_nodes
    idx = np.arange(n)
    if answer is Answer.ALL_PAIRS_TREES:  # scores [E, n]: "Pi[i, j] = k" at batch edge (i, j), column k
        at = np.full((n, n), -1, dtype=np.int64)
        at[edge_index[0], edge_index[1]] = np.arange(edge_index.shape[1])
        return np.stack([_rooted_tree(edges, i, scores[at[i, edges.receivers], edges.senders], unreachable_to_root=True)
                         for i in range(n)])
    if answer is Answer.TOPOLOGICAL_ORDER:  # "topo[u] = v" at batch edge (v, u): sender v, receiver u
        follow = np.full((n, n), -np.inf)
        follow[edge_index[1], edge_index[0]] = scores
        return _chain(_greedy_order(np.asarray(first, dtype=np.float64), follow, edges), successors=True)
    score = _scorer(np.asarray(scores, dtype=np.float64), edge_index, n)
    if answer in ROOTED_TREES:
        return _rooted_tree(edges, source, score(edges.senders, edges.receivers))
    if answer is Answer.MST_EDGES:
        return _max_spanning_forest(edges, _edge_scores(edges, score))
    if answer is Answer.CUT_EDGES:
        return _flags(edges, _edge_scores(edges, score) > 0)
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


def _greedy_order(first: np.ndarray, follow: np.ndarray, edges: Edges) -> np.ndarray:
    """Nodes in the order a greedy decoder places them: the best ``first``, then each time the
    unplaced node ``follow[last, node]`` scores best after the last one, among the nodes whose
    predecessors along ``edges`` are all placed (no edges: any node)."""
    n = first.size
    waiting = np.bincount(edges.receivers, minlength=n)
    indptr, after = edges.out_neighbours()
    placed = np.zeros(n, dtype=bool)
    order = np.empty(n, dtype=np.int64)
    rating = first
    for k in range(n):
        candidates = np.flatnonzero(~placed & (waiting == 0))
        last = int(candidates[np.argmax(rating[candidates])])
        order[k], placed[last] = last, True
        waiting[after[indptr[last]:indptr[last + 1]]] -= 1
        rating = follow[last]
    return order


def _chain(order: np.ndarray, successors: bool) -> np.ndarray:
    """Pointers along ``order``: each node's successor (the last to itself) or predecessor (the
    first to itself)."""
    pointer = np.arange(order.size)
    if successors:
        pointer[order[:-1]] = order[1:]
    else:
        pointer[order[1:]] = order[:-1]
    return pointer


def _edge_scores(edges: Edges, score: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Per arc, its edge's score: the mean of the logits of its two directions."""
    return (score(edges.senders, edges.receivers) + score(edges.receivers, edges.senders)) / 2


def _flags(edges: Edges, picked: np.ndarray) -> np.ndarray:
    """``[n, n]`` flags on the picked arcs."""
    flags = np.zeros((edges.num_nodes, edges.num_nodes), dtype=bool)
    flags[edges.senders[picked], edges.receivers[picked]] = True
    return flags


def _max_spanning_forest(edges: Edges, arc_scores: np.ndarray) -> np.ndarray:
    """``[n, n]`` flags on the spanning forest of largest total score (networkx's Kruskal)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(edges.num_nodes))
    graph.add_weighted_edges_from(zip(edges.senders.tolist(), edges.receivers.tolist(), arc_scores.tolist()))
    flags = np.zeros((edges.num_nodes, edges.num_nodes), dtype=bool)
    for u, v in nx.maximum_spanning_edges(graph, data=False):
        flags[u, v] = flags[v, u] = True
    return flags


__all__ = ["max_arborescence", "repair"]
