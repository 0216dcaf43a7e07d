"""The extract-min loop that CLRS-30's ``dijkstra`` and ``mst_prim`` share.

The two differ only in the key a relaxation offers a neighbour: the path length
``key[u] + A[u, v]`` (Dijkstra) or the edge weight ``A[u, v]`` (Prim).
"""

from __future__ import annotations

import numpy as np

from dear.algorithms.record import Execution
from dear.kernel import kernel


@kernel
def _extract_min(key: np.ndarray, in_queue: np.ndarray) -> int:
    """CLRS's ``np.argsort(key + (1 - in_queue) * 1e9)[0]``; ties go to the lowest index."""
    best_u, best = 0, np.inf
    for i in range(key.shape[0]):
        value = key[i] + (1.0 - in_queue[i]) * 1e9
        if value < best:
            best_u, best = i, value
    return best_u


@kernel
def _grow(A: np.ndarray, s: int, path_length: bool):
    """Hints ``[pi_h, key, mark, in_queue, u]`` stacked in one ``[5, T, n]`` array (``u`` one-hot)."""
    n = A.shape[0]
    key = np.zeros(n)
    mark = np.zeros(n)
    in_queue = np.zeros(n)
    pi = np.arange(n)
    in_queue[s] = 1.0
    hints = np.zeros((5, n + 1, n))
    u = s
    t = 0
    for step in range(n + 1):
        if step > 0:
            u = _extract_min(key, in_queue)
            if in_queue[u] == 0:
                break
            mark[u] = 1.0
            in_queue[u] = 0.0
            for v in range(n):
                if A[u, v] != 0:
                    offer = key[u] + A[u, v] if path_length else A[u, v]
                    if mark[v] == 0 and (in_queue[v] == 0 or offer < key[v]):
                        pi[v] = u
                        key[v] = offer
                        in_queue[v] = 1.0
        for i in range(n):  # element-wise: numba's row assignment costs several times more
            hints[0, t, i] = pi[i]
            hints[1, t, i] = key[i]
            hints[2, t, i] = mark[i]
            hints[3, t, i] = in_queue[i]
        hints[4, t, u] = 1.0
        t += 1
    return pi, hints[:, :t]


def greedy_tree(A: np.ndarray, s: int, *, path_length: bool, key_name: str) -> Execution:
    """Run the shared loop; ``key_name`` is the hint CLRS calls the key (``d`` or ``key``)."""
    pi, (pi_h, key_h, mark_h, in_queue_h, u_h) = _grow(A, s, path_length)
    hints = {"pi_h": pi_h, key_name: key_h, "mark": mark_h, "in_queue": in_queue_h, "u": u_h}
    return Execution(hints=hints, outputs={"pi": pi})
