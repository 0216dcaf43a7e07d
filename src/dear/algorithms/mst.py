"""Minimum spanning trees (CLRS-30 ``mst_prim``, ``mst_kruskal``).

Kruskal is CLRS-30's union-find, probed at every pointer hop: one hint when a union starts
(``phase`` 1), one per hop up from ``u`` (phase 1) and from ``v`` (phase 2), each hop
compressing the path walked so far, and one when the union ends (phase 0). Edges are the
upper triangle's ``A[i, j] > 0``, taken in weight order (ties: row-major order).
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._greedy import greedy_tree
from dear.algorithms._probes import categorical, mask_one
from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import CAT, GRAPH_INPUTS, M1, MK, PTR, SC, SOURCE, E, G, H, N, O
from dear.kernel import kernel

_U, _V, _ROOT_U, _ROOT_V, _PHASE = range(5)
_PHASES = 3


def mst_prim(A: np.ndarray, s: int) -> Execution:
    return greedy_tree(A, s, path_length=False, key_name="key")


register(Algorithm(
    name="mst_prim",
    title="Prim's MST",
    kernel=mst_prim,
    specs={
        **GRAPH_INPUTS,
        **SOURCE,
        "pi": (O, N, PTR),
        "pi_h": (H, N, PTR),
        "key": (H, N, SC),
        "mark": (H, N, MK),
        "in_queue": (H, N, MK),
        "u": (H, N, M1),
    },
    inputs=GraphInputs(directed=False, weighted=True),
    answer=Answer.SPANNING_TREE,
    t_grows=True,
    clrs="mst_prim",
    clrs_samples_per_s=(3279, 755),  # DESIGN §6: 2153 / 548 (we keep the higher, harder target)
    paper_row=4,
))


@kernel
def _push(t, ids, rows, pi, masks, u, v, roots, phase):
    """Record hint ``t`` if it fits the buffers; the caller counts on regardless."""
    if t < ids.shape[0]:
        ids[t, _U], ids[t, _V], ids[t, _PHASE] = u, v, phase
        ids[t, _ROOT_U], ids[t, _ROOT_V] = roots[0], roots[1]
        for i in range(pi.shape[0]):  # element-wise: numba's row assignment costs several times more
            rows[0, t, i] = pi[i]
            rows[1, t, i] = masks[0, i]
            rows[2, t, i] = masks[1, i]
    return t + 1


@kernel
def _climb(side, t, ids, rows, pi, masks, u, v, roots):
    """Follow ``pi`` from ``roots[side]`` to its root, pointing every node passed at each hop."""
    while pi[roots[side]] != roots[side]:
        roots[side] = pi[roots[side]]
        for i in range(pi.shape[0]):
            if masks[side, i] == 1:
                pi[i] = roots[side]
        masks[side, roots[side]] = 1.0
        t = _push(t, ids, rows, pi, masks, u, v, roots, side + 1)
    return t


@kernel
def _kruskal(A: np.ndarray, capacity: int):
    n = A.shape[0]
    rows_i, cols_j = np.nonzero(np.triu(A, 1) > 0)
    weights = np.empty(rows_i.shape[0])
    for e in range(weights.shape[0]):
        weights[e] = A[rows_i[e], cols_j[e]]
    pi = np.arange(n)
    masks = np.zeros((2, n))
    roots = np.zeros(2, dtype=np.int64)
    ids = np.empty((capacity, 5), dtype=np.int64)
    rows = np.empty((3, capacity, n))
    added = np.empty((n, 3), dtype=np.int64)  # (hint step, u, v); a forest has < n edges
    num_added = 0
    t = _push(0, ids, rows, pi, masks, 0, 0, roots, 0)
    for e in np.argsort(weights, kind="mergesort"):
        u, v = rows_i[e], cols_j[e]
        roots[0], roots[1] = u, v
        masks[:] = 0.0
        masks[0, u] = 1.0
        masks[1, v] = 1.0
        t = _push(t, ids, rows, pi, masks, u, v, roots, 1)
        t = _climb(0, t, ids, rows, pi, masks, u, v, roots)
        t = _climb(1, t, ids, rows, pi, masks, u, v, roots)
        if roots[0] != roots[1]:
            added[num_added, 0], added[num_added, 1], added[num_added, 2] = t, u, v
            num_added += 1
            low, high = min(roots[0], roots[1]), max(roots[0], roots[1])
            pi[low] = high
        t = _push(t, ids, rows, pi, masks, u, v, roots, 0)
    return t, ids[:t], rows[:, :t], added[:num_added]


@kernel
def _forest_hints(in_mst_h: np.ndarray, added: np.ndarray) -> None:
    """``in_mst_h``: at every step the forest so far, ``added`` holding (first step, u, v) per
    edge in step order. Written in one sequential pass (T x n x n floats, ~10 MB per sample at
    n = 64), not zeroed and then patched edge by edge across all later steps, which wrote the
    array twice and missed the cache on every patch."""
    steps, n = in_mst_h.shape[:2]
    forest = np.zeros((n, n), np.int8)
    a = 0
    for step in range(steps):
        while a < added.shape[0] and added[a, 0] == step:
            forest[added[a, 1], added[a, 2]] = 1
            forest[added[a, 2], added[a, 1]] = 1
            a += 1
        for i in range(n):
            for j in range(n):
                in_mst_h[step, i, j] = forest[i, j]


def mst_kruskal(A: np.ndarray) -> Execution:
    n = A.shape[0]
    capacity = 1 + 5 * np.count_nonzero(np.triu(A, 1) > 0)  # unions take 2 to ~4 hints
    t, ids, rows, added = _kruskal(A, capacity)
    if t > capacity:  # long find paths: rerun with the length now known
        t, ids, rows, added = _kruskal(A, t)
    in_mst_h = np.empty((t, n, n), np.int8)  # int8 as generate stores masks (was float64: 8x the bytes)
    _forest_hints(in_mst_h, added)
    one_hot = mask_one(ids[:, :_PHASE], n)
    hints = {
        "in_mst_h": in_mst_h,
        "pi": rows[0],
        "u": one_hot[:, _U],
        "v": one_hot[:, _V],
        "root_u": one_hot[:, _ROOT_U],
        "root_v": one_hot[:, _ROOT_V],
        "mask_u": rows[1],
        "mask_v": rows[2],
        "phase": categorical(ids[:, _PHASE], _PHASES),
    }
    return Execution(hints=hints, outputs={"in_mst": in_mst_h[-1].copy()})


register(Algorithm(
    name="mst_kruskal",
    title="Kruskal's MST",
    kernel=mst_kruskal,
    specs={
        **GRAPH_INPUTS,
        "in_mst": (O, E, MK),
        "in_mst_h": (H, E, MK),
        "pi": (H, N, PTR),
        "u": (H, N, M1),
        "v": (H, N, M1),
        "root_u": (H, N, M1),
        "root_v": (H, N, M1),
        "mask_u": (H, N, MK),
        "mask_v": (H, N, MK),
        "phase": (H, G, CAT),
    },
    # CLRS's MSTSampler: sparse graphs, as Kruskal records an n x n hint per union-find step.
    inputs=GraphInputs(directed=False, weighted=True, source=False, p=(0.2,), clrs_p=0.2),
    answer=Answer.MST_EDGES,
    t_grows=False,
    clrs="mst_kruskal",
    clrs_samples_per_s=(2137, 83),
))
