"""Breadth-first search (CLRS-30 ``bfs``): parallel frontier expansion from ``s``."""

from __future__ import annotations

import numba
import numpy as np

from dear.algorithms._registry import Execution, register


@numba.njit(cache=True)
def _bfs(A: np.ndarray, s: int):
    n = A.shape[0]
    reach = np.zeros(n)
    pi = np.arange(n)
    reach[s] = 1.0
    reach_h = np.zeros((n + 1, n))
    pi_h = np.zeros((n + 1, n), dtype=np.int64)
    t = 0
    while True:
        prev_reach = reach.copy()
        reach_h[t] = prev_reach
        pi_h[t] = pi
        t += 1
        for i in range(n):
            if prev_reach[i] == 1.0:
                for j in range(n):
                    if A[i, j] > 0:
                        if pi[j] == j and j != s:
                            pi[j] = i
                        reach[j] = 1.0
        if np.all(reach == prev_reach):
            break
    return pi, reach_h[:t], pi_h[:t]


@register("bfs")
def bfs(A: np.ndarray, s: int) -> Execution:
    pi, reach_h, pi_h = _bfs(A, s)
    return Execution(hints={"reach_h": reach_h, "pi_h": pi_h.astype(np.float64)}, outputs={"pi": pi})
