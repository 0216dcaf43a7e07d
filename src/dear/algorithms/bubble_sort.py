"""Bubble sort (CLRS-30 ``bubble_sort``): one hint per comparison of neighbours.

Pass ``i`` bubbles the smallest remaining key down from the end to position ``i``; after each
comparison (and swap) CLRS probes the order (``pred_h``) and the nodes at positions ``i`` and
``j``, so ``T = 1 + n (n - 1) / 2``.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._probes import mask_one
from dear.algorithms._swap_trace import chain, replay, swap
from dear.algorithms.record import Algorithm, Answer, ArrayInputs, Execution, register
from dear.algorithms.sorting import SWAP_SORT_SPECS
from dear.kernel import kernel


@kernel
def _bubble_sort(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step: the swap made and the nodes at ``i`` and ``j`` (step 0: the initial probe)."""
    n = key.shape[0]
    A = key.copy()
    A_pos = np.arange(n)
    steps = 1 + n * (n - 1) // 2
    swaps = np.zeros((steps, 2), dtype=np.int64)
    nodes = np.zeros((steps, 2), dtype=np.int64)
    t = 1
    for i in range(n - 1):
        for j in range(n - 1, i, -1):
            if A[j] < A[j - 1]:
                swap(A, A_pos, j, j - 1)
                swaps[t, 0], swaps[t, 1] = j, j - 1
            nodes[t, 0], nodes[t, 1] = A_pos[i], A_pos[j]
            t += 1
    return swaps, nodes


def bubble_sort(key: np.ndarray) -> Execution:
    n = key.shape[0]
    swaps, nodes = _bubble_sort(key)
    pred_h = chain(replay(swaps, n))
    i, j = mask_one(nodes.T, n)  # [2, T, n]: each hint contiguous
    hints = {"pred_h": pred_h, "i": i, "j": j}
    return Execution(hints=hints, outputs={"pred": pred_h[-1].copy()})


register(Algorithm(
    name="bubble_sort",
    title="Bubble sort",
    kernel=bubble_sort,
    specs=SWAP_SORT_SPECS,
    inputs=ArrayInputs(),
    answer=Answer.SORTED_CHAIN,
    t_grows=True,
    clrs="bubble_sort",
))
