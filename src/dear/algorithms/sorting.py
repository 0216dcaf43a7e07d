"""Insertion sort (CLRS-30 ``insertion_sort``): one hint per inserted key.

The order being built is probed as CLRS's ``probing.array``: each node points to the node
sorted just before it, the first to itself.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._probes import mask_one
from dear.algorithms.record import Algorithm, Answer, ArrayInputs, Execution, register
from dear.algorithms.spec import ARRAY_INPUTS, M1, PTR, H, N, O, Type
from dear.kernel import kernel


@kernel
def _order_pred(order: np.ndarray, out: np.ndarray) -> None:
    """CLRS's ``probing.array``: ``out[order[i]] = order[i - 1]``, ``out[order[0]] = order[0]``."""
    out[order[0]] = order[0]
    for i in range(1, order.shape[0]):
        out[order[i]] = order[i - 1]


@kernel
def _insertion_sort(key: np.ndarray):
    n = key.shape[0]
    A = key.copy()
    A_pos = np.arange(n)
    pred_h = np.empty((n, n))
    i_h = np.zeros(n, dtype=np.int64)
    j_h = np.zeros(n, dtype=np.int64)
    _order_pred(A_pos, pred_h[0])
    for j in range(1, n):
        k = A[j]
        i = j - 1
        while i >= 0 and A[i] > k:
            A[i + 1] = A[i]
            A_pos[i + 1] = A_pos[i]
            i -= 1
        A[i + 1] = k
        i_h[j] = A_pos[i + 1]  # CLRS's ``stor_pos``: the node just after the insertion point
        A_pos[i + 1] = j
        j_h[j] = j
        _order_pred(A_pos, pred_h[j])
    return pred_h, i_h, j_h


def insertion_sort(key: np.ndarray) -> Execution:
    n = key.shape[0]
    pred_h, i_h, j_h = _insertion_sort(key)
    hints = {"pred_h": pred_h, "i": mask_one(i_h, n), "j": mask_one(j_h, n)}
    return Execution(hints=hints, outputs={"pred": pred_h[-1].copy()})


#: Probes of a sort that moves one key at a time between two positions ``i`` and ``j`` (the
#: order so far as predecessor pointers): insertion sort's and bubble sort's.
SWAP_SORT_SPECS = {
    **ARRAY_INPUTS,
    "pred": (O, N, Type.SHOULD_BE_PERMUTATION),
    "pred_h": (H, N, PTR),
    "i": (H, N, M1),
    "j": (H, N, M1),
}

register(Algorithm(
    name="insertion_sort",
    title="Insertion sort",
    kernel=insertion_sort,
    specs=SWAP_SORT_SPECS,
    inputs=ArrayInputs(),
    answer=Answer.SORTED_CHAIN,
    t_grows=True,
    clrs="insertion_sort",
    clrs_samples_per_s=(4844, 880),  # DESIGN §6: 3382 / 652 (we keep the higher, harder target)
    paper_row=6,
))
