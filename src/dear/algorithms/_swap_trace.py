"""Compact traces of in-place sorts: one swap per hint step, replayed into per-step orders.

CLRS probes the array being sorted at every step (``pred_h``: each node points to the node
stored just before it). Storing the whole order per step while the sort runs would need its
worst-case number of steps up front (quadratic for quicksort), so the kernels record only the
swap each step makes (a pair of positions; ``(0, 0)`` for none) and the node ids of their
pointer hints; :func:`replay` then rebuilds the ``[T, n]`` orders of exactly ``T`` steps.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms.sorting import _order_pred
from dear.kernel import kernel


@kernel
def swap(A: np.ndarray, A_pos: np.ndarray, a: int, b: int) -> None:
    """Exchange positions ``a`` and ``b`` of the keys and of the nodes stored there."""
    A[a], A[b] = A[b], A[a]
    A_pos[a], A_pos[b] = A_pos[b], A_pos[a]


@kernel
def replay(swaps: np.ndarray, n: int) -> np.ndarray:
    """``[T, n]``: the node at each position after each step's swap (from the identity)."""
    A_pos = np.arange(n)
    orders = np.empty((swaps.shape[0], n), dtype=np.int64)
    for t in range(swaps.shape[0]):
        a, b = swaps[t, 0], swaps[t, 1]
        A_pos[a], A_pos[b] = A_pos[b], A_pos[a]
        orders[t] = A_pos
    return orders


@kernel
def chain(orders: np.ndarray) -> np.ndarray:
    """CLRS's ``probing.array`` of every row: node ``orders[t, k]`` points to
    ``orders[t, k - 1]``, the first to itself (int16 node indices, as generate stores pointers:
    ``[T, n]`` with ``T`` quadratic in ``n``, so ``n`` is far below 2**15)."""
    pred = np.empty(orders.shape, np.int16)
    for t in range(orders.shape[0]):
        _order_pred(orders[t], pred[t])
    return pred
