"""Searching (CLRS-30 ``minimum``, ``binary_search``; DEAR's ``binary_search_fixed``).

The keys sit in their given order, probed as CLRS's ``probing.array`` of the identity
(``pred_h``: each node points to the one before it), which is the same at every step.

``binary_search_fixed`` runs exactly CLRS's binary search. DEAR's fix of CLRS's ambiguity
is in the sampler, not the algorithm (``BetterSearchSampler`` in DEAR's
``datasets/samplers.py``): CLRS draws the target uniformly, so it can exceed every key and
the answer (the first key ``>= target``) does not exist, yet CLRS labels it ``n - 1``. DEAR
swaps such a target with the largest key, which keeps the keys sorted and puts the target
between the two largest; see :func:`dear.data.samplers.draw_array_inputs`.
"""

from __future__ import annotations

import functools

import numpy as np

from dear.algorithms._probes import mask_one, read_only
from dear.algorithms.record import Algorithm, Answer, ArrayInputs, Execution, register
from dear.algorithms.spec import ARRAY_INPUTS, M1, PTR, SC, G, H, I, N, O
from dear.kernel import kernel


@functools.lru_cache(maxsize=128)
def _identity_row(n: int) -> np.ndarray:
    return read_only(np.maximum(np.arange(n) - 1.0, 0.0))  # shared by every call with this n


def _identity_pred(steps: int, n: int) -> np.ndarray:
    """``pred_h`` of ``steps`` steps (a fresh array: it is part of the caller's trajectory), as
    int16 node indices, the dtype generate stores pointers in."""
    pred = np.empty((steps, n), np.int16)
    pred[:] = _identity_row(n)
    return pred


@kernel
def _minimum(key: np.ndarray) -> np.ndarray:
    min_h = np.zeros(key.shape[0], dtype=np.int64)
    for i in range(1, key.shape[0]):
        min_h[i] = i if key[min_h[i - 1]] > key[i] else min_h[i - 1]
    return min_h


def minimum(key: np.ndarray) -> Execution:
    n = key.shape[0]
    min_h = _minimum(key)
    hints = {"pred_h": _identity_pred(n, n), "min_h": mask_one(min_h, n), "i": np.eye(n, dtype=np.int8)}  # i = step
    return Execution(hints=hints, outputs={"min": hints["min_h"][-1].copy()})


register(Algorithm(
    name="minimum",
    title="Minimum",
    kernel=minimum,
    specs={**ARRAY_INPUTS, "min": (O, N, M1), "pred_h": (H, N, PTR), "min_h": (H, N, M1), "i": (H, N, M1)},
    inputs=ArrayInputs(),
    answer=Answer.MINIMUM,
    t_grows=False,
    clrs="minimum",
    clrs_samples_per_s=(4162, 916),
    paper_row=7,
))


@kernel
def _binary_search(key: np.ndarray, target: float):
    """The ``low``, ``high`` and ``mid`` hints (``[T, n]`` one-hots; the interval shrinks every
    step, so ``T <= n``) and the answer's index."""
    n = key.shape[0]
    trace = np.empty((n, 3), dtype=np.int64)
    low, high = 0, n - 1
    t = 0
    while True:
        mid = (low + high) // 2
        trace[t, 0], trace[t, 1], trace[t, 2] = low, high, mid
        t += 1
        if low >= high:
            break
        if target <= key[mid]:
            high = mid
        else:
            low = mid + 1
    low_h, high_h, mid_h = np.zeros((t, n), np.int8), np.zeros((t, n), np.int8), np.zeros((t, n), np.int8)
    for step in range(t):  # each its own array, as generate stores them: nothing to copy or track
        low_h[step, trace[step, 0]] = 1
        high_h[step, trace[step, 1]] = 1
        mid_h[step, trace[step, 2]] = 1
    return low_h, high_h, mid_h, high


def binary_search(key: np.ndarray, target: float) -> Execution:
    n = key.shape[0]
    low_h, high_h, mid_h, answer = _binary_search(key, target)
    hints = {"pred_h": _identity_pred(low_h.shape[0], n), "low": low_h, "high": high_h, "mid": mid_h}
    return Execution(hints=hints, outputs={"return": mask_one(answer, n)})


_SEARCH_SPECS = {
    **ARRAY_INPUTS,
    "target": (I, G, SC),
    "return": (O, N, M1),
    "low": (H, N, M1),
    "high": (H, N, M1),
    "mid": (H, N, M1),
    "pred_h": (H, N, PTR),
}

register(Algorithm(
    name="binary_search",
    title="Binary search",
    kernel=binary_search,
    specs=_SEARCH_SPECS,
    inputs=ArrayInputs(sorted_keys=True, target=True),
    answer=Answer.SEARCH,
    t_grows=False,
    clrs="binary_search",
    clrs_samples_per_s=(5548, 3996),
))

register(Algorithm(
    name="binary_search_fixed",
    title="Binary search (fixed)",
    kernel=binary_search,
    specs=_SEARCH_SPECS,
    inputs=ArrayInputs(sorted_keys=True, target=True, target_within_keys=True),
    answer=Answer.SEARCH,
    t_grows=False,
    clrs="binary_search",
    paper_row=8,
))
