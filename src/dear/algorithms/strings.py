"""Strings (CLRS-30 ``naive_string_matcher``, ``kmp_matcher``, ``lcs_length``).

CLRS lays two strings out as one sequence of nodes: the first (the haystack ``T``, or ``x``
for LCS) on nodes ``0 .. h-1``, the second (the needle ``P``, or ``y``) on ``h .. n-1``.
``string`` marks the second part, ``key`` holds each letter one-hot over a 4-letter alphabet,
``pos`` restarts at 0 in each part, and ``pred_h`` chains each part's nodes in order (its
``probing.strings_pred``), the same at every step.

A matcher answers the node where the needle first starts in the haystack (the needle's first
node when there is none). ``lcs_length`` answers CLRS's ``b`` table (0: diagonal, 1: up,
2: left) on the edges ``x_i -> y_j``; every other edge is blank, which CLRS encodes as a
fourth class holding -1 (its ``MASKED``) rather than a one-hot 1. Its DP runs synchronously:
every cell is recomputed from the previous table until the table stops changing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from dear.algorithms._probes import categorical, mask_one, read_only
from dear.algorithms.record import Algorithm, Execution, register
from dear.algorithms.spec import CAT, M1, MK, PTR, SC, AlgorithmSpec, E, G, H, I, N, O
from dear.kernel import kernel

#: CLRS's alphabet (``_random_string``'s default ``chars`` and ``array_cat``'s width).
ALPHABET: Final = 4
#: ``b``'s classes: diagonal, up, left.
_DIRECTIONS: Final = 3
#: CLRS's ``_OutputClass.MASKED``: the blank class's value on edges outside the table.
_MASKED: Final = -1.0


@functools.lru_cache(maxsize=1024)
def _part_positions(h: int, m: int) -> np.ndarray:
    """CLRS's ``strings_pos``: ``i / len(part)`` within each part (one read-only array per layout,
    shared by the samples that have it)."""
    return read_only(np.concatenate([np.arange(h) / h, np.arange(m) / m]))


@functools.lru_cache(maxsize=1024)
def _part_flags(h: int, m: int) -> np.ndarray:
    """CLRS's ``string`` input: 0 on the first part's nodes, 1 on the second's (shared, read-only)."""
    return read_only(np.repeat([0.0, 1.0], [h, m]))


@functools.lru_cache(maxsize=1024)
def _pred_row(h: int, n: int) -> np.ndarray:
    """Each node's predecessor in its part (the first of each part its own), as int16 indices."""
    row = np.arange(n, dtype=np.int16) - 1
    row[[0, h]] = [0, h]
    return read_only(row)


def _pred_h(h: int, n: int, steps: int) -> np.ndarray:
    """CLRS's ``strings_pred`` at every step: the same row, broadcast over the steps (stored once)."""
    return np.broadcast_to(_pred_row(h, n), (steps, n))


@dataclass(frozen=True)
class StringInputs:
    """Two random strings over :data:`ALPHABET` letters, laid out as one node sequence.

    ``needle``: CLRS's ``MatcherSampler``, a needle of ``n // 5`` letters (1 below 5 nodes)
    copied into a haystack of the other nodes at a uniform offset that (as in CLRS) is never
    the last possible one, so that a match always exists. Otherwise CLRS's ``LCSSampler``:
    ``x`` of ``n - n // 2`` letters and ``y`` of ``n // 2``.
    """

    needle: bool

    @property
    def arguments(self) -> tuple[str, ...]:
        return ("string", "key")

    def lengths(self, n: int) -> tuple[int, int]:
        """Letters in the first and in the second part of ``n`` nodes."""
        second = (1 if n < 5 else n // 5) if self.needle else n // 2
        return n - second, second

    def positions(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        """``pos`` of the layout ``inputs["string"]`` (what ``execute`` derives when not given)."""
        second = int(np.count_nonzero(inputs["string"]))
        return _part_positions(inputs["string"].shape[0] - second, second)

    def draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        h, m = self.lengths(n)
        second = rng.integers(0, ALPHABET, size=m)
        first = rng.integers(0, ALPHABET, size=h)
        if self.needle:
            # CLRS draws the offset from ``range(h - m)``, empty at n = 2 (where CLRS fails): 0 there.
            offset = int(rng.integers(max(h - m, 1)))
            first[offset:offset + m] = second
        return {
            "string": _part_flags(h, m),
            "pos": _part_positions(h, m),
            "key": categorical(np.concatenate([first, second]), ALPHABET),
        }


def _letters(string: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, int]:
    """The letters of both parts as one ``int64`` array, and the first part's length; refuses a
    layout CLRS cannot produce (``string`` not 0s then 1s, ``key`` not one-hot)."""
    h = int(np.count_nonzero(string == 0))
    if not 0 < h < string.shape[0] or string[:h].any() or not (string[h:] == 1).all():
        raise ValueError("input 'string' must be 0 on the first string's nodes, then 1 on the second's (both non-empty)")
    if ((key != 0) & (key != 1)).any() or (key.sum(axis=1) != 1).any():
        raise ValueError(f"input 'key' must be one-hot over the {ALPHABET} letters on every node")
    return np.argmax(key, axis=1), h


def _matcher_letters(string: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, int]:
    letters, h = _letters(string, key)
    if letters.shape[0] - h > h:
        raise ValueError("the needle (nodes where 'string' is 1) must not be longer than the haystack")
    return letters, h


def _match(letters: np.ndarray, h: int, start: int, hints: dict[str, np.ndarray]) -> Execution:
    """A matcher's trajectory: the constant ``pred_h`` joins ``hints``; ``match`` is ``start``."""
    n = letters.shape[0]
    pred_h = _pred_h(h, n, next(iter(hints.values())).shape[0])
    return Execution(hints={"pred_h": pred_h, **hints}, outputs={"match": mask_one(start, n)})


_MATCHER_INPUTS: Final[AlgorithmSpec] = {
    "string": (I, N, MK),
    "pos": (I, N, SC),
    "key": (I, N, CAT),
    "match": (O, N, M1),
    "pred_h": (H, N, PTR),
}


@kernel
def _naive_string_matcher(letters: np.ndarray, h: int):
    """``[T, 3]`` of (s, i, j) per comparison, and the match (``h`` when none)."""
    m = letters.shape[0] - h
    trace = np.empty(((h - m + 1) * m, 3), dtype=np.int64)
    t = 0
    for s in range(h - m + 1):
        i, j = s, 0
        trace[t, 0], trace[t, 1], trace[t, 2] = s, i, j
        t += 1
        while letters[i] == letters[h + j]:
            if j == m - 1:
                return trace[:t], s
            i += 1
            j += 1
            trace[t, 0], trace[t, 1], trace[t, 2] = s, i, j
            t += 1
    return trace[:t], h


def naive_string_matcher(string: np.ndarray, key: np.ndarray) -> Execution:
    letters, h = _matcher_letters(string, key)
    trace, start = _naive_string_matcher(letters, h)
    nodes = mask_one(trace + np.array([0, 0, h]), letters.shape[0])  # j counts needle nodes
    return _match(letters, h, start, {"s": nodes[:, 0], "i": nodes[:, 1], "j": nodes[:, 2]})


register(Algorithm(
    name="naive_string_matcher",
    title="Naive string matcher",
    kernel=naive_string_matcher,
    specs={**_MATCHER_INPUTS, "s": (H, N, M1), "i": (H, N, M1), "j": (H, N, M1)},
    inputs=StringInputs(needle=True),
    answer=None,
    t_grows=True,
    clrs="naive_string_matcher",
    categories={"key": ALPHABET},
))

#: Columns of the KMP trace.
_K, _K_RESET, _Q, _Q_RESET, _S, _I, _PHASE = range(7)


@kernel
def _kmp_push(t, trace, pi_h, reset_h, pi, is_reset, k, k_reset, q, q_reset, s, i, phase):
    trace[t, _K], trace[t, _K_RESET], trace[t, _Q], trace[t, _Q_RESET] = k, k_reset, q, q_reset
    trace[t, _S], trace[t, _I], trace[t, _PHASE] = s, i, phase
    pi_h[t] = pi
    reset_h[t] = is_reset
    return t + 1


@kernel
def _kmp_matcher(letters: np.ndarray, h: int):
    """CLRS's KMP with its reset flags in place of ``k = -1`` / ``q = -1``: the trace of
    scalars per step, the needle's ``pi`` and ``is_reset`` per step, and the match."""
    n = letters.shape[0]
    m = n - h
    T, P = letters[:h], letters[h:]
    steps = 3 * n + 1  # phase 0: <= 3m - 2 (each k falls at most as often as it rose); phase 1: <= 3h
    trace = np.empty((steps, 7), dtype=np.int64)
    pi_h = np.empty((steps, m), dtype=np.int64)
    reset_h = np.empty((steps, m), dtype=np.int64)
    pi = np.arange(m)
    is_reset = np.zeros(m, dtype=np.int64)
    is_reset[0] = 1
    k, k_reset = 0, 1
    t = _kmp_push(0, trace, pi_h, reset_h, pi, is_reset, 0, 1, 1 if m > 1 else 0, 1, 0, 0, 0)
    for q in range(1, m):
        while k_reset == 0 and P[k + 1] != P[q]:
            if is_reset[k] == 1:
                k, k_reset = 0, 1
            else:
                k = pi[k]
            t = _kmp_push(t, trace, pi_h, reset_h, pi, is_reset, k, k_reset, q, 1, 0, 0, 0)
        if k_reset == 1:
            k, k_reset = -1, 0
        if P[k + 1] == P[q]:
            k += 1
        if k == -1:
            k, k_reset = 0, 1
            is_reset[q] = 1
        pi[q] = k
        t = _kmp_push(t, trace, pi_h, reset_h, pi, is_reset, k, k_reset, q, 1, 0, 0, 0)
    q, q_reset, s = 0, 1, 0
    for i in range(h):
        if i >= m:
            s += 1
        t = _kmp_push(t, trace, pi_h, reset_h, pi, is_reset, k, k_reset, q, q_reset, s, i, 1)
        while q_reset == 0 and P[q + 1] != T[i]:
            if is_reset[q] == 1:
                q, q_reset = 0, 1
            else:
                q = pi[q]
            t = _kmp_push(t, trace, pi_h, reset_h, pi, is_reset, k, k_reset, q, q_reset, s, i, 1)
        if q_reset == 1:
            q, q_reset = -1, 0
        if P[q + 1] == T[i]:
            if q == m - 2:
                return trace[:t], pi_h[:t], reset_h[:t], s
            q += 1
        if q == -1:
            q, q_reset = 0, 1
    return trace[:t], pi_h[:t], reset_h[:t], h


def kmp_matcher(string: np.ndarray, key: np.ndarray) -> Execution:
    letters, h = _matcher_letters(string, key)
    n = letters.shape[0]
    trace, pi_h, reset_h, start = _kmp_matcher(letters, h)
    steps = trace.shape[0]
    pi = np.empty((steps, n))
    pi[:, :h] = np.arange(h)
    pi[:, h:] = h + pi_h
    is_reset = np.zeros((steps, n))
    is_reset[:, h:] = reset_h
    nodes = mask_one(trace[:, [_K, _Q, _S, _I]] + np.array([h, h, 0, 0]), n)  # k, q index the needle
    flags = trace[:, [_K_RESET, _Q_RESET, _PHASE]].astype(np.float64)
    return _match(letters, h, start, {
        "pi": pi, "is_reset": is_reset, "k": nodes[:, 0], "k_reset": flags[:, 0], "q": nodes[:, 1],
        "q_reset": flags[:, 1], "s": nodes[:, 2], "i": nodes[:, 3], "phase": flags[:, 2],
    })


register(Algorithm(
    name="kmp_matcher",
    title="Knuth-Morris-Pratt matcher",
    kernel=kmp_matcher,
    specs={
        **_MATCHER_INPUTS,
        "pi": (H, N, PTR),
        "is_reset": (H, N, MK),
        "k": (H, N, M1),
        "k_reset": (H, G, MK),
        "q": (H, N, M1),
        "q_reset": (H, G, MK),
        "s": (H, N, M1),
        "i": (H, N, M1),
        "phase": (H, G, MK),
    },
    inputs=StringInputs(needle=True),
    answer=None,
    t_grows=True,
    clrs="kmp_matcher",
    categories={"key": ALPHABET},
))


@kernel
def _lcs_length(letters: np.ndarray, h: int):
    """CLRS's synchronous LCS: ``c`` at each step (``[T, h, m]``) and ``b`` at each step and
    after the last (``[T + 1, h, m]``). Cell ``(i, j)`` is final after sweep ``i + j - 1`` and
    one more sweep confirms, so ``T <= h + m - 1``: ``h + m`` tables hold every sweep."""
    m = letters.shape[0] - h
    x, y = letters[:h], letters[h:]
    c_h = np.zeros((h + m, h, m))
    b_h = np.zeros((h + m, h, m), dtype=np.int64)
    c, b = c_h[0], b_h[0]
    for i in range(h):  # column 0, then row 0 (which rewrites cell (0, 0) alike)
        if x[i] == y[0]:
            c[i, 0], b[i, 0] = 1.0, 0
        elif i > 0 and c[i - 1, 0] == 1.0:
            c[i, 0], b[i, 0] = 1.0, 1
        else:
            c[i, 0], b[i, 0] = 0.0, 1
    for j in range(m):
        if x[0] == y[j]:
            c[0, j], b[0, j] = 1.0, 0
        elif j > 0 and c[0, j - 1] == 1.0:
            c[0, j], b[0, j] = 1.0, 2
        else:
            c[0, j], b[0, j] = 0.0, 1
    t = 0
    while True:  # sweep t reads table t and writes table t + 1
        prev, c, b = c_h[t], c_h[t + 1], b_h[t + 1]
        c[:] = prev
        b[:] = b_h[t]
        for i in range(1, h):
            for j in range(1, m):
                if x[i] == y[j]:
                    c[i, j], b[i, j] = prev[i - 1, j - 1] + 1.0, 0
                elif prev[i - 1, j] >= prev[i, j - 1]:
                    c[i, j], b[i, j] = prev[i - 1, j], 1
                else:
                    c[i, j], b[i, j] = prev[i, j - 1], 2
        t += 1
        if np.all(prev == c):
            return c_h[:t], b_h[:t + 1]


@kernel
def _pair_cat(b: np.ndarray, n: int) -> np.ndarray:
    """CLRS's ``strings_pair_cat`` of ``[T, h, m]`` tables: one-hot on the edges
    ``x_i -> y_j``, the blank class at :data:`_MASKED` on every other edge (one pass over the
    output: it is the bulk of the trajectory)."""
    steps, h = b.shape[0], b.shape[1]
    out = np.empty((steps, n, n, _DIRECTIONS + 1), np.int8)  # int8, as generate stores categoricals
    masked = np.int8(_MASKED)
    for t in range(steps):
        for u in range(n):
            for v in range(n):
                table = u < h and v >= h
                for k in range(_DIRECTIONS):
                    out[t, u, v, k] = 1 if table and b[t, u, v - h] == k else 0
                out[t, u, v, _DIRECTIONS] = 0 if table else masked
    return out


def lcs_length(string: np.ndarray, key: np.ndarray) -> Execution:
    letters, h = _letters(string, key)
    n = letters.shape[0]
    c_h, b_h = _lcs_length(letters, h)
    steps = c_h.shape[0]
    c = np.zeros((steps, n, n))
    c[:, :h, h:] = c_h
    b = _pair_cat(b_h, n)
    outputs = {"b": b[-1].copy()}  # not a view of the hints: it outlives them when they are dropped
    return Execution(hints={"pred_h": _pred_h(h, n, steps), "b_h": b[:-1], "c": c}, outputs=outputs)


register(Algorithm(
    name="lcs_length",
    title="Longest common subsequence",
    kernel=lcs_length,
    specs={
        "string": (I, N, MK),
        "pos": (I, N, SC),
        "key": (I, N, CAT),
        "b": (O, E, CAT),
        "pred_h": (H, N, PTR),
        "b_h": (H, E, CAT),
        "c": (H, E, SC),
    },
    inputs=StringInputs(needle=False),
    answer=None,
    t_grows=True,
    clrs="lcs_length",
    categories={"key": ALPHABET, "b": _DIRECTIONS + 1, "b_h": _DIRECTIONS + 1},
))
