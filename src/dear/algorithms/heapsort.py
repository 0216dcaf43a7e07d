"""Heapsort (CLRS-30 ``heapsort``): one hint per step of ``MAX-HEAPIFY`` and per extraction.

Phases (the ``phase`` hint): 0 builds the max-heap (``MAX-HEAPIFY`` of every position, leaves
included, from the last), 1 swaps the root with the last heap element, 2 sifts the new root
down. Besides the order (``pred_h``) CLRS probes the heap itself: ``parent`` points each node
of the heap to its parent in the heap, every other node to itself.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._probes import categorical, mask_one
from dear.algorithms._swap_trace import chain, replay, swap
from dear.algorithms.record import Algorithm, Answer, ArrayInputs, Execution, register
from dear.algorithms.spec import ARRAY_INPUTS, CAT, M1, PTR, G, H, N, O, Type
from dear.kernel import kernel

#: Columns of the kernel's per-step record: the nodes of the four pointer hints, the phase and
#: the heap size (which ``parent`` needs).
_I, _J, _LARGEST, _LAST, _PHASE, _SIZE = range(6)


@kernel
def _record(probe: np.ndarray, t: int, A_pos: np.ndarray, ind: int, j: int, largest_node: int, size: int,
            phase: int) -> None:
    """Step ``t``'s hints; ``ind`` and ``j`` are positions, ``largest_node`` already a node."""
    probe[t, _I], probe[t, _J], probe[t, _LARGEST] = A_pos[ind], A_pos[j], largest_node
    probe[t, _LAST], probe[t, _PHASE], probe[t, _SIZE] = A_pos[size - 1], phase, size


@kernel
def _max_heapify(A: np.ndarray, A_pos: np.ndarray, i: int, size: int, ind: int, phase: int,
                 swaps: np.ndarray, probe: np.ndarray, t: int) -> int:
    """CLRS's recursive ``MAX-HEAPIFY`` as a loop, one step per level; returns the next step."""
    while True:
        left, right = 2 * i + 1, 2 * i + 2
        largest = left if left < size and A[left] > A[i] else i
        if right < size and A[right] > A[largest]:
            largest = right
        if largest != i:
            swap(A, A_pos, i, largest)
            swaps[t, 0], swaps[t, 1] = i, largest
        _record(probe, t, A_pos, ind, i, A_pos[largest], size, phase)
        t += 1
        if largest == i:
            return t
        i = largest


@kernel
def _heapsort(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step: the swap made and the ``_I..._SIZE`` record, cut to the steps taken."""
    n = key.shape[0]
    A = key.copy()
    A_pos = np.arange(n)
    levels = 1  # MAX-HEAPIFY takes at most this many steps (floor(log2 n) + 1)
    while (1 << levels) <= n:
        levels += 1
    capacity = n + (2 * n - 1) * levels
    swaps = np.zeros((capacity, 2), dtype=np.int64)
    probe = np.empty((capacity, 6), dtype=np.int64)
    _record(probe, 0, A_pos, n - 1, n - 1, n - 1, n, 0)
    t = 1
    for i in range(n - 1, -1, -1):
        t = _max_heapify(A, A_pos, i, n, i, 0, swaps, probe, t)
    for i in range(n - 1, 0, -1):
        swap(A, A_pos, 0, i)
        swaps[t, 0], swaps[t, 1] = 0, i
        _record(probe, t, A_pos, 0, i, 0, i, 1)  # CLRS probes node 0 as `largest` here
        t = _max_heapify(A, A_pos, 0, i, i, 2, swaps, probe, t + 1)
    return swaps[:t], probe[:t]


@kernel
def _heap_parents(orders: np.ndarray, size: np.ndarray) -> np.ndarray:
    """CLRS's ``probing.heap`` of every row: within the first ``size[t]`` positions each node
    points to the node at its parent position, every other node (and the root) to itself."""
    parent = np.empty(orders.shape)
    for t in range(orders.shape[0]):
        for k in range(orders.shape[1]):
            parent[t, orders[t, k]] = orders[t, (k - 1) // 2] if 0 < k < size[t] else orders[t, k]
    return parent


def heapsort(key: np.ndarray) -> Execution:
    n = key.shape[0]
    swaps, probe = _heapsort(key)
    orders = replay(swaps, n)
    pred_h = chain(orders)
    i, j, largest, last = mask_one(probe[:, :_PHASE].T, n)
    hints = {
        "pred_h": pred_h,
        "parent": _heap_parents(orders, probe[:, _SIZE]),
        "i": i,
        "j": j,
        "largest": largest,
        "heap_size": last,
        "phase": categorical(probe[:, _PHASE], 3),
    }
    return Execution(hints=hints, outputs={"pred": pred_h[-1].copy()})


register(Algorithm(
    name="heapsort",
    title="Heapsort",
    kernel=heapsort,
    specs={
        **ARRAY_INPUTS,
        "pred": (O, N, Type.SHOULD_BE_PERMUTATION),
        "pred_h": (H, N, PTR),
        "parent": (H, N, PTR),
        "i": (H, N, M1),
        "j": (H, N, M1),
        "largest": (H, N, M1),
        "heap_size": (H, N, M1),
        "phase": (H, G, CAT),
    },
    inputs=ArrayInputs(),
    answer=Answer.SORTED_CHAIN,
    t_grows=True,
    clrs="heapsort",
))
