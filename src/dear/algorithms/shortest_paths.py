"""Single-source shortest paths (CLRS-30 ``bellman_ford``, ``dijkstra``).

Transcriptions of CLRS-30's reference code: an edge is any ``A[u, v] != 0``, and a node or
pair is reached once ``msk`` says so (distances start at 0, not infinity).
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._greedy import greedy_tree
from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import GRAPH_INPUTS, M1, MK, PTR, SC, SOURCE, H, N, O
from dear.kernel import kernel


@kernel
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


def bellman_ford(A: np.ndarray, s: int) -> Execution:
    pi, (pi_h, d_h, msk_h) = _bellman_ford(A, s)
    return Execution(hints={"pi_h": pi_h, "d": d_h, "msk": msk_h}, outputs={"pi": pi})


def dijkstra(A: np.ndarray, s: int) -> Execution:
    return greedy_tree(A, s, path_length=True, key_name="d")


_TREE_FROM_SOURCE = {**GRAPH_INPUTS, **SOURCE, "pi": (O, N, PTR), "pi_h": (H, N, PTR), "d": (H, N, SC)}

register(Algorithm(
    name="bellman_ford",
    title="Bellman-Ford",
    kernel=bellman_ford,
    specs={**_TREE_FROM_SOURCE, "msk": (H, N, MK)},
    inputs=GraphInputs(directed=False, weighted=True),
    answer=Answer.SHORTEST_PATH_TREE,
    t_grows=False,
    clrs="bellman_ford",
    clrs_samples_per_s=(2806, 227),  # DESIGN §6: 1967 / 166 (we keep the higher, harder target)
    paper_row=1,
))

register(Algorithm(
    name="dijkstra",
    title="Dijkstra",
    kernel=dijkstra,
    specs={**_TREE_FROM_SOURCE, "mark": (H, N, MK), "in_queue": (H, N, MK), "u": (H, N, M1)},
    inputs=GraphInputs(directed=False, weighted=True),
    answer=Answer.SHORTEST_PATH_TREE,
    t_grows=False,
    clrs="dijkstra",
    clrs_samples_per_s=(2326, 521),
))
