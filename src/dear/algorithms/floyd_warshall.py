"""All-pairs shortest paths (CLRS-30 ``floyd_warshall``).

A transcription of CLRS-30's reference code: an edge is any ``A[u, v] != 0``, and a pair is
reached once ``msk`` says so (distances start at 0, not infinity).
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._probes import graph
from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import GRAPH_INPUTS, M1, MK, PTR, SC, E, H, N, O
from dear.kernel import kernel


@kernel
def _floyd_warshall(A: np.ndarray, msk: np.ndarray):
    """Each ``k`` step reads the snapshot it records, so no extra copy of ``D``/``msk``."""
    n = A.shape[0]
    D = A.copy()
    # Pointers int16 and masks int8, as generate stores them (T x n x n each: n is far below 2**15).
    Pi = np.empty((n, n), np.int16)
    for i in range(n):
        Pi[i] = i
    D_h = np.empty((n, n, n))
    Pi_h = np.empty((n, n, n), np.int16)
    msk_h = np.empty((n, n, n), np.int8)
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
                        msk[i, j] = 1
    return Pi, Pi_h, D_h, msk_h


def floyd_warshall(A: np.ndarray) -> Execution:
    n = A.shape[0]
    Pi, Pi_h, D_h, msk_h = _floyd_warshall(A, graph(A))
    return Execution(hints={"Pi_h": Pi_h, "D": D_h, "msk": msk_h, "k": np.eye(n, dtype=np.int8)}, outputs={"Pi": Pi})


def floyd_warshall_steps(num_nodes: int, senders: np.ndarray, receivers: np.ndarray, source: int | None) -> int:
    """One step per intermediate node (its exact run records ``O(n³)`` hints)."""
    return num_nodes


register(Algorithm(
    name="floyd_warshall",
    title="Floyd-Warshall",
    kernel=floyd_warshall,
    specs={
        **GRAPH_INPUTS,
        "Pi": (O, E, PTR),
        "Pi_h": (H, E, PTR),
        "D": (H, E, SC),
        "msk": (H, E, MK),
        "k": (H, N, M1),
    },
    inputs=GraphInputs(directed=False, weighted=True, source=False, complete=True),
    answer=Answer.ALL_PAIRS_TREES,
    t_grows=True,
    steps=floyd_warshall_steps,
    clrs="floyd_warshall",
    clrs_samples_per_s=(475, 5.9),  # DESIGN §6: 475 / 4.8
    paper_row=2,
    max_timed_nodes=128,
))
