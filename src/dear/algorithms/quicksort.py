"""Quicksort and quickselect (CLRS-30 ``quicksort``, ``quickselect``): one hint per step of
Lomuto's ``PARTITION`` (each comparison with the pivot, then the pivot's final swap).

Both probe the order (``pred_h``) and the nodes at positions ``p``, ``r``, ``i + 1`` and ``j``
of the running partition. Quicksort has no hint before its first comparison (CLRS pushes
none). Quickselect finds the element of rank ``n // 2`` (0-based: the upper median for even
``n``) and also probes the rank sought within the current subarray (``target``), the pivot
and ``i_rank``, which CLRS records inconsistently: ``(i + 1) / n`` after each comparison but
``(i + 1 - p) / n`` after the pivot's swap. We keep its values.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dear.algorithms._probes import mask_one
from dear.algorithms._swap_trace import chain, replay, swap
from dear.algorithms.record import Algorithm, Answer, ArrayInputs, Execution, register
from dear.algorithms.spec import ARRAY_INPUTS, M1, PTR, SC, G, H, N, O, Type
from dear.kernel import kernel

#: Columns of the kernels' per-step record: the nodes of five pointer hints, then the ranks
#: (quickselect's ``i_rank`` and ``target``, times ``n``).
_P, _R, _I, _J, _PIVOT, _RANK, _TARGET = range(7)
_POINTERS = ("p", "r", "i", "j", "pivot")
#: ``key -> (swaps, record)`` of one run.
_Kernel = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@kernel
def _trace(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Room for the worst case: partitions of every size from ``n`` down to 1 (the record is
    uninitialised: every step writes its columns, but quicksort leaves ``_TARGET`` unset)."""
    capacity = n * (n + 1) // 2
    return np.zeros((capacity, 2), dtype=np.int64), np.empty((capacity, 7), dtype=np.int64)


@kernel
def _record(probe: np.ndarray, t: int, A_pos: np.ndarray, p: int, r: int, i: int, j: int, pivot: int,
            rank: int) -> None:
    """Step ``t``'s hints; every argument but ``rank`` is a position."""
    probe[t, _P], probe[t, _R], probe[t, _I] = A_pos[p], A_pos[r], A_pos[i]
    probe[t, _J], probe[t, _PIVOT], probe[t, _RANK] = A_pos[j], A_pos[pivot], rank


@kernel
def _partition(A: np.ndarray, A_pos: np.ndarray, p: int, r: int, swaps: np.ndarray, probe: np.ndarray,
               t: int) -> tuple[int, int]:
    """Lomuto's partition of ``A[p..r]`` around ``A[r]``: ``(q, next step)``."""
    x = A[r]
    i = p - 1
    for j in range(p, r):
        if A[j] <= x:
            i += 1
            swap(A, A_pos, i, j)
            swaps[t, 0], swaps[t, 1] = i, j
        _record(probe, t, A_pos, p, r, i + 1, j, r, i + 1)
        t += 1
    swap(A, A_pos, i + 1, r)
    swaps[t, 0], swaps[t, 1] = i + 1, r
    _record(probe, t, A_pos, p, r, i + 1, r, i + 1, i + 1 - p)
    return i + 1, t + 1


@kernel
def _quicksort(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CLRS's recursion (left part, then right part) with an explicit stack."""
    n = key.shape[0]
    A = key.copy()
    A_pos = np.arange(n)
    swaps, probe = _trace(n)
    t = 0
    stack = [(0, n - 1)]
    while len(stack) > 0:
        p, r = stack.pop()
        if p < r:
            q, t = _partition(A, A_pos, p, r, swaps, probe, t)
            stack.append((q + 1, r))
            stack.append((p, q - 1))
    return swaps[:t], probe[:t]


@kernel
def _quickselect(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CLRS's tail recursion as a loop: partition, then keep the side holding rank ``n // 2``."""
    n = key.shape[0]
    A = key.copy()
    A_pos = np.arange(n)
    swaps, probe = _trace(n)
    t = 0
    p, r, rank = 0, n - 1, n // 2
    while True:
        start = t
        q, t = _partition(A, A_pos, p, r, swaps, probe, t)
        probe[start:t, _TARGET] = rank
        k = q - p
        if rank == k:
            return swaps[:t], probe[:t]
        if rank < k:
            r = q - 1
        else:
            p, rank = q + 1, rank - k - 1


def _hints(key: np.ndarray, kernel: _Kernel, pointers: tuple[str, ...]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The order and the named pointer hints of ``kernel``'s trace, and the trace itself."""
    n = key.shape[0]
    swaps, probe = kernel(key)
    hints = {"pred_h": chain(replay(swaps, n))}
    hints.update(zip(pointers, mask_one(probe[:, : len(pointers)].T, n)))
    return hints, probe


def quicksort(key: np.ndarray) -> Execution:
    hints, _ = _hints(key, _quicksort, _POINTERS[:_PIVOT])
    return Execution(hints=hints, outputs={"pred": hints["pred_h"][-1].copy()})


def quickselect(key: np.ndarray) -> Execution:
    n = key.shape[0]
    hints, probe = _hints(key, _quickselect, _POINTERS)
    hints["i_rank"] = probe[:, _RANK] / n
    hints["target"] = probe[:, _TARGET] / n
    return Execution(hints=hints, outputs={"median": hints["pivot"][-1].copy()})  # the last pivot


_POINTER_SPECS = {"pred_h": (H, N, PTR), "p": (H, N, M1), "r": (H, N, M1), "i": (H, N, M1), "j": (H, N, M1)}

register(Algorithm(
    name="quicksort",
    title="Quicksort",
    kernel=quicksort,
    specs={**ARRAY_INPUTS, "pred": (O, N, Type.SHOULD_BE_PERMUTATION), **_POINTER_SPECS},
    inputs=ArrayInputs(),
    answer=Answer.SORTED_CHAIN,
    t_grows=True,
    clrs="quicksort",
))

register(Algorithm(
    name="quickselect",
    title="Quickselect",
    kernel=quickselect,
    specs={
        **ARRAY_INPUTS,
        "median": (O, N, M1),
        **_POINTER_SPECS,
        "i_rank": (H, G, SC),
        "target": (H, G, SC),
        "pivot": (H, N, M1),
    },
    inputs=ArrayInputs(),
    answer=None,
    t_grows=True,
    clrs="quickselect",
))
