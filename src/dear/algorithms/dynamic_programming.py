"""Dynamic programming over intervals (CLRS-30 ``matrix_chain_order``, ``optimal_bst``).

Both fill an ``n x n`` table of intervals ``(i, j)``; the answer is the split of each interval
(``s``, ``root``): an edge pointer ``i -> j`` to the node it splits at, so it is defined on
every pair of nodes (the complete graph).

``matrix_chain_order`` is CLRS-30's parallel variant, not the textbook's loop over lengths:
every step recomputes every interval from the previous step's table (an interval is ready,
``msk``, once some split has both halves ready), until no cost changes. After ``r`` steps an
interval's cost is the best over parenthesisations of depth at most ``r``, so ``T <= n - 1``.

``optimal_bst`` is the textbook loop over lengths with ``n - 1`` keys on ``n`` nodes: node ``i``
holds key probability ``p[i]`` (the last node's is 0) and dummy probability ``q[i]``, as in
CLRS-30's sampler, whose ``length`` keys give ``length + 1`` nodes. Step ``l`` fills the
intervals of length ``l``, so ``T = n`` and each hint is the final table cut to ``j - i <= l``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dear.algorithms._probes import node_positions
from dear.algorithms.record import Algorithm, Execution, register
from dear.algorithms.searching import _identity_pred
from dear.algorithms.spec import MK, PTR, SC, E, H, I, N, O
from dear.kernel import kernel


@dataclass(frozen=True)
class ChainDimensions:
    """CLRS's sampler for ``matrix_chain_order`` (its ``SortingSampler``): ``n`` dimensions
    U[low, high], matrix ``i`` being ``p[i - 1] x p[i]``."""

    @property
    def arguments(self) -> tuple[str, ...]:
        return ("p",)

    def draw(self, rng: np.random.Generator, n: int, *, low: float = 0.0, high: float = 1.0) -> dict[str, np.ndarray]:
        return {"pos": node_positions(n), "p": rng.uniform(float(low), float(high), size=n)}


@dataclass(frozen=True)
class KeyProbabilities:
    """CLRS's ``OptimalBSTSampler`` for ``n - 1`` keys: ``2n - 1`` uniform draws normalised to
    sum 1, the first ``n - 1`` the keys' ``p`` (padded with a 0 for the last node), the rest ``q``."""

    @property
    def arguments(self) -> tuple[str, ...]:
        return ("p", "q")

    def draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        draws = rng.uniform(size=2 * n - 1)
        draws /= draws.sum()
        return {"pos": node_positions(n), "p": np.append(draws[: n - 1], 0.0), "q": draws[n - 1:]}


@kernel
def _bands(tables: np.ndarray, widths: np.ndarray, first: int) -> np.ndarray:
    """``[k, T, n, n]``: step ``t`` holds ``tables`` on the intervals ``first <= i <= j <= i +
    widths[t]`` (those filled by then), 0 elsewhere; in ``tables``' dtype (int8 masks and int16
    pointers, as generate stores them: these hints are the bulk of the trajectory)."""
    k, n = tables.shape[0], tables.shape[1]
    out = np.zeros((k, widths.shape[0], n, n), tables.dtype)
    for t in range(widths.shape[0]):
        for i in range(first, n):
            for j in range(i, min(i + widths[t] + 1, n)):
                for a in range(k):
                    out[a, t, i, j] = tables[a, i, j]
    return out


@kernel
def _matrix_chain(p: np.ndarray):
    """Costs ``m`` and splits ``s`` after each step (``[n, n, n]`` each) and the number of steps
    ``T``: states ``0..T-1`` are the hints, state ``T`` (costs equal to state ``T - 1``'s) the
    answer. An interval of length ``L`` is ready once ``L <= 2^step``, so the splits tried are the
    ``k`` whose halves are at most ``2^(step - 1)`` long. An interval whose splits were all tried
    last step and whose sub-intervals' costs did not change keeps its cost and split, so it is
    skipped (the result is the same as recomputing it). The cap at ``n - 1`` steps only binds
    where a NaN never settles (CLRS would loop forever)."""
    n = p.shape[0]
    m = np.zeros((n, n, n))
    s = np.zeros((n, n, n), np.int16)  # split points: int16 pointers, as generate stores them
    row_first = np.zeros(n, dtype=np.int64)  # per row i: the first j whose cost changed last step
    col_last = np.full(n, n, dtype=np.int64)  # per column j: the last i whose cost changed (step 0: all)
    ready, settled = 1, 0  # intervals this long are ready / had every split tried last step
    for c in range(1, n):
        new_row_first = np.full(n, n, dtype=np.int64)
        new_col_last = np.full(n, -1, dtype=np.int64)
        changed = False
        for i in range(1, n):
            for j in range(i + 1, n):
                best, split = m[c - 1, i, j], s[c - 1, i, j]
                if j - i > settled or row_first[i] < j or col_last[j] > i:
                    flag = j - i < ready  # ready last step
                    for k in range(max(i, j - ready), min(j - 1, i + ready - 1) + 1):
                        q = m[c - 1, i, k] + m[c - 1, k + 1, j] + p[i - 1] * p[k] * p[j]
                        if not flag or q < best:
                            best, split, flag = q, k, True
                m[c, i, j], s[c, i, j] = best, split
                if best != m[c - 1, i, j]:  # NaN != NaN, as CLRS's ``prev_m == m``
                    changed = True
                    new_row_first[i] = min(new_row_first[i], j)
                    new_col_last[j] = max(new_col_last[j], i)
        if not changed:
            return m, s, c
        row_first, col_last = new_row_first, new_col_last
        settled, ready = ready, min(2 * ready, 2 * n)
    return m, s, n - 1


def matrix_chain_order(p: np.ndarray) -> Execution:
    m, s, steps = _matrix_chain(p)
    n = p.shape[0]
    widths = np.minimum(2 ** np.minimum(np.arange(steps), 62), n) - 1  # ready: j - i < 2^step
    (msk,) = _bands(np.ones((1, n, n), np.int8), widths, 1)
    hints = {"pred_h": _identity_pred(steps, n), "m": m[:steps], "s_h": s[:steps], "msk": msk}
    return Execution(hints=hints, outputs={"s": s[steps].copy()})


@kernel
def _optimal_bst(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The final tables ``[root, e, w, msk]`` of CLRS's OPTIMAL-BST (0-based, ``p`` the keys' ``n - 1``)."""
    n = q.shape[0]
    tables = np.zeros((4, n, n))
    root, e, w = tables[0], tables[1], tables[2]
    tables[3] = 1.0
    for i in range(n):
        e[i, i] = w[i, i] = q[i]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            e[i, j] = 1e9
            w[i, j] = w[i, j - 1] + p[j - 1] + q[j]
            for r in range(i, j):
                t = e[i, r] + e[r + 1, j] + w[i, j]
                if t < e[i, j]:
                    e[i, j], root[i, j] = t, r
    return tables


def optimal_bst(p: np.ndarray, q: np.ndarray) -> Execution:
    n = q.shape[0]
    tables = _optimal_bst(p, q)
    widths = np.arange(n)  # step l fills the intervals j - i = l
    # The pointers int16 (the hints are T x n x n, so n is far below 2**15), the mask int8.
    (root_h,) = _bands(tables[:1].astype(np.int16), widths, 0)
    e, w = _bands(tables[1:3], widths, 0)
    (msk,) = _bands(tables[3:].astype(np.int8), widths, 0)
    hints = {"pred_h": _identity_pred(n, n), "root_h": root_h, "e": e, "w": w, "msk": msk}
    return Execution(hints=hints, outputs={"root": tables[0].copy()})


register(Algorithm(
    name="matrix_chain_order",
    title="Matrix-chain multiplication",
    kernel=matrix_chain_order,
    specs={
        "pos": (I, N, SC),
        "p": (I, N, SC),
        "s": (O, E, PTR),
        "pred_h": (H, N, PTR),
        "m": (H, E, SC),
        "s_h": (H, E, PTR),
        "msk": (H, E, MK),
    },
    inputs=ChainDimensions(),
    answer=None,
    t_grows=True,
    clrs="matrix_chain_order",
))

register(Algorithm(
    name="optimal_bst",
    title="Optimal binary search tree",
    kernel=optimal_bst,
    specs={
        "pos": (I, N, SC),
        "p": (I, N, SC),
        "q": (I, N, SC),
        "root": (O, E, PTR),
        "pred_h": (H, N, PTR),
        "root_h": (H, E, PTR),
        "e": (H, E, SC),
        "w": (H, E, SC),
        "msk": (H, E, MK),
    },
    inputs=KeyProbabilities(),
    answer=None,
    t_grows=True,
    clrs="optimal_bst",
))
