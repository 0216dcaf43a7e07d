"""Shortest paths (CLRS-30 ``bellman_ford``, ``dijkstra``, ``floyd_warshall``).

Transcriptions of CLRS-30's reference code: an edge is any ``A[u, v] != 0``, and a node or
pair is reached once ``msk`` says so (distances start at 0, not infinity).
"""

from __future__ import annotations

import numba
import numpy as np

from dear.algorithms._greedy import greedy_tree
from dear.algorithms._probes import graph
from dear.algorithms._registry import Execution, register


@numba.njit(cache=True)
def _bellman_ford(A: np.ndarray, s: int):
    """Hints ``[pi_h, d, msk]`` stacked in one ``[3, T, n]`` array."""
    n = A.shape[0]
    d = np.zeros(n)
    pi = np.arange(n)
    msk = np.zeros(n)
    msk[s] = 1.0
    # Without negative cycles distances settle within n - 1 rounds, plus one to notice.
    cap = n + 1
    hints = np.empty((3, cap, n))
    t = 0
    while True:
        if t == cap:
            raise ValueError("bellman_ford does not terminate: A has a negative cycle")
        for i in range(n):  # element-wise: numba's row assignment costs several times more
            hints[0, t, i] = pi[i]
            hints[1, t, i] = d[i]
            hints[2, t, i] = msk[i]
        prev_d, prev_msk = hints[1, t], hints[2, t]
        t += 1
        for u in range(n):
            if prev_msk[u] == 1:
                for v in range(n):
                    if A[u, v] != 0:
                        if msk[v] == 0 or prev_d[u] + A[u, v] < d[v]:
                            d[v] = prev_d[u] + A[u, v]
                            pi[v] = u
                        msk[v] = 1.0
        if np.all(d == prev_d):
            break
    return pi, hints[:, :t]


@register("bellman_ford")
def bellman_ford(A: np.ndarray, s: int) -> Execution:
    pi, (pi_h, d_h, msk_h) = _bellman_ford(A, s)
    return Execution(hints={"pi_h": pi_h, "d": d_h, "msk": msk_h}, outputs={"pi": pi})


@register("dijkstra")
def dijkstra(A: np.ndarray, s: int) -> Execution:
    return greedy_tree(A, s, path_length=True, key_name="d")


@numba.njit(cache=True)
def _floyd_warshall(A: np.ndarray, msk: np.ndarray):
    """Each ``k`` step reads the snapshot it records, so no extra copy of ``D``/``msk``."""
    n = A.shape[0]
    D = A.copy()
    Pi = np.empty((n, n))
    for i in range(n):
        Pi[i] = i
    D_h = np.empty((n, n, n))
    Pi_h = np.empty((n, n, n))
    msk_h = np.empty((n, n, n))
    for k in range(n):
        D_h[k] = D
        Pi_h[k] = Pi
        msk_h[k] = msk
        prev_D, prev_msk = D_h[k], msk_h[k]
        for i in range(n):
            if prev_msk[i, k] > 0:
                for j in range(n):
                    if prev_msk[k, j] > 0:
                        through_k = prev_D[i, k] + prev_D[k, j]
                        # Pi[k, j] is read live, as CLRS does (it moves only on a negative loop).
                        if msk[i, j] == 0 or through_k < D[i, j]:
                            D[i, j] = through_k
                            Pi[i, j] = Pi[k, j]
                        msk[i, j] = 1.0
    return Pi, Pi_h, D_h, msk_h


@register("floyd_warshall")
def floyd_warshall(A: np.ndarray) -> Execution:
    n = A.shape[0]
    Pi, Pi_h, D_h, msk_h = _floyd_warshall(A, graph(A))
    return Execution(hints={"Pi_h": Pi_h, "D": D_h, "msk": msk_h, "k": np.eye(n)}, outputs={"Pi": Pi})
