"""Maximum subarray, Kadane's scan (CLRS-30 ``find_maximum_subarray_kadane``).

One hint per key (``T = n``): the best subarray so far (``best_low..best_high``, its sum),
the best one ending at ``j`` (``i..j``, its sum). Keys are CLRS's U[-1, 1], so that the
answer is not simply the whole array.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._probes import mask_one
from dear.algorithms.record import Algorithm, ArrayInputs, Execution, register
from dear.algorithms.searching import _identity_pred
from dear.algorithms.spec import ARRAY_INPUTS, M1, PTR, SC, G, H, N, O
from dear.kernel import kernel


@kernel
def _kadane(key: np.ndarray):
    """``[3, n]`` node ids (best_low, best_high, i) and ``[2, n]`` sums (best_sum, sum) per step."""
    n = key.shape[0]
    ids = np.zeros((3, n), dtype=np.int64)
    sums = np.empty((2, n))
    best_low = best_high = i = 0
    best_sum = total = key[0]
    sums[0, 0] = sums[1, 0] = key[0]
    for j in range(1, n):
        if total + key[j] >= key[j]:
            total += key[j]
        else:
            i, total = j, key[j]
        if total > best_sum:
            best_low, best_high, best_sum = i, j, total
        ids[0, j], ids[1, j], ids[2, j] = best_low, best_high, i
        sums[0, j], sums[1, j] = best_sum, total
    return ids, sums


def find_maximum_subarray_kadane(key: np.ndarray) -> Execution:
    n = key.shape[0]
    ids, sums = _kadane(key)
    best_low, best_high, i = mask_one(ids, n)
    hints = {"pred_h": _identity_pred(n, n), "best_low": best_low, "best_high": best_high, "best_sum": sums[0],
             "i": i, "j": np.eye(n), "sum": sums[1]}  # j = step
    return Execution(hints=hints, outputs={"start": best_low[-1].copy(), "end": best_high[-1].copy()})


register(Algorithm(
    name="find_maximum_subarray_kadane",
    title="Maximum subarray (Kadane)",
    kernel=find_maximum_subarray_kadane,
    specs={
        **ARRAY_INPUTS,
        "start": (O, N, M1),
        "end": (O, N, M1),
        "pred_h": (H, N, PTR),
        "best_low": (H, N, M1),
        "best_high": (H, N, M1),
        "best_sum": (H, G, SC),
        "i": (H, N, M1),
        "j": (H, N, M1),
        "sum": (H, G, SC),
    },
    inputs=ArrayInputs(low=-1.0),
    answer=None,
    t_grows=True,
    clrs="find_maximum_subarray_kadane",
))
