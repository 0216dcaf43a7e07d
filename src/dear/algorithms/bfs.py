"""Breadth-first search (CLRS-30 ``bfs``): parallel frontier expansion from ``s``."""

from __future__ import annotations

import numpy as np

from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import GRAPH_INPUTS, MK, PTR, SOURCE, H, N, O
from dear.kernel import kernel


@kernel
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


def bfs(A: np.ndarray, s: int) -> Execution:
    pi, reach_h, pi_h = _bfs(A, s)
    return Execution(hints={"reach_h": reach_h, "pi_h": pi_h.astype(np.float64)}, outputs={"pi": pi})


def bfs_steps(num_nodes: int, senders: np.ndarray, receivers: np.ndarray, source: int | None) -> int:
    """bfs's T from an edge list, without the dense run: one step per level below the source,
    plus the round that finds nothing new."""
    reached = np.zeros(num_nodes, dtype=bool)
    reached[source] = True
    frontier, levels = reached.copy(), 0
    while True:
        found = np.zeros(num_nodes, dtype=bool)
        found[receivers[frontier[senders]]] = True
        found &= ~reached
        if not found.any():
            return levels + 1
        reached |= found
        frontier, levels = found, levels + 1


register(Algorithm(
    name="bfs",
    title="Breadth-first search",
    kernel=bfs,
    specs={**GRAPH_INPUTS, **SOURCE, "pi": (O, N, PTR), "reach_h": (H, N, MK), "pi_h": (H, N, PTR)},
    inputs=GraphInputs(directed=False, weighted=False),
    answer=Answer.SHORTEST_PATH_TREE,
    t_grows=False,
    steps=bfs_steps,
    clrs="bfs",
    clrs_samples_per_s=(2779, 420),
    paper_row=10,
))
