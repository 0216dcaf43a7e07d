"""CLRS-30's iterative DFS on the ``s_prev`` stack, shared by dfs, scc, dag_shortest_paths and
topological_sort, articulation_points and bridges (:mod:`~dear.algorithms.dfs_applications`).

CLRS unrolls DFS into an explicit stack threaded through ``s_prev`` (``s_last`` is its top) and
records a hint after every discovery, push and finish. The algorithms differ only in
what they do around those events, so the stepping lives here once, as a resumable state
machine (:func:`advance`) whose registers sit in a small array so that callers can react to
each event and record their own probes.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms.spec import CAT, M1, PTR, AlgorithmSpec, H, N
from dear.kernel import kernel

#: The probes of the stack (CLRS's ``s_prev``, with the node colours), shared by all of them.
DFS_STACK_HINTS: AlgorithmSpec = {
    "color": (H, N, CAT),
    "s_prev": (H, N, PTR),
    "s": (H, N, M1),
    "u": (H, N, M1),
    "v": (H, N, M1),
    "s_last": (H, N, M1),
}

# Registers of the state machine: the probed node pointers, then where in the loop body we are.
S, U, V, S_LAST, STAGE = 0, 1, 2, 3, 4
_TOP, _SCAN, _CHECK, _POP, _RESCAN = 0, 1, 2, 3, 4

# Events reported by ``advance`` (each followed by a hint step in CLRS), plus a tree's start,
# plus a visited neighbour met in the scan (reported only when ``advance`` is ``seeing``).
DISCOVER, PUSH, FINISH, DONE, START, SEE = 0, 1, 2, 3, 4, 5

# How ``dfs_forest`` updates its ``label`` array (dfs's ``pi``, scc's ``scc_id``).
KEEP_LABEL, LABEL_PARENT, LABEL_ROOT = 0, 1, 2

TICK = 0.01  # CLRS's clock step for discovery/finish times.


@kernel
def start(reg: np.ndarray, s: int) -> None:
    """Begin a DFS tree at ``s``: CLRS sets ``s_last = u = v = s``."""
    reg[:STAGE] = s
    reg[STAGE] = _TOP


@kernel
def advance(
    A: np.ndarray, reg: np.ndarray, color: np.ndarray, d: np.ndarray, f: np.ndarray,
    s_prev: np.ndarray, clock: np.ndarray, timed: bool, seeing: bool = False,
) -> int:
    """Run CLRS's ``while True`` body until its next hint push and return which event it was.

    ``timed`` switches on dfs/scc's clock: it stamps ``d``/``f`` and also (re)discovers a
    grey node whose ``d`` is still 0 (a pushed child). ``seeing`` also stops the scan at each
    non-white neighbour ``v`` (``SEE``; the next call scans on from ``v + 1``), where
    articulation points and bridges update ``low``. ``v`` follows Python's for-loop
    semantics: it is ``n - 1`` after a scan that found no white neighbour.
    """
    n = A.shape[0]
    while True:
        u = reg[U]
        stage = reg[STAGE]
        if stage == _TOP:
            reg[STAGE] = _SCAN
            if color[u] == 0 or (timed and d[u] == 0.0):
                if timed:
                    clock[0] += TICK
                    d[u] = clock[0]
                color[u] = 1
                return DISCOVER
        elif stage == _SCAN or stage == _RESCAN:
            first = 0 if stage == _SCAN else reg[V] + 1
            reg[STAGE] = _CHECK
            for v in range(first, n):
                if A[u, v] == 0:
                    continue
                reg[V] = v
                if color[v] == 0:
                    color[v] = 1
                    s_prev[v] = reg[S_LAST]
                    reg[S_LAST] = v
                    return PUSH
                if seeing:
                    reg[STAGE] = _RESCAN
                    return SEE
            reg[V] = n - 1
        elif stage == _CHECK:
            if reg[S_LAST] == u:
                color[u] = 2
                if timed:
                    clock[0] += TICK
                    f[u] = clock[0]
                reg[STAGE] = _POP
                return FINISH
            reg[U] = reg[S_LAST]
            reg[STAGE] = _TOP
        else:
            if s_prev[u] == u:
                return DONE
            top = reg[S_LAST]
            reg[S_LAST] = s_prev[top]
            reg[U] = s_prev[top]
            s_prev[top] = top
            reg[STAGE] = _TOP


@kernel
def new_stack_trace(steps: int, n: int):
    """Buffers for the stack probes: ``(s, u, v, s_last)`` per step, ``color``, ``s_prev`` (int16
    node indices, as generate stores pointers)."""
    return np.empty((steps, 4), np.int64), np.empty((steps, n), np.int8), np.empty((steps, n), np.int16)


@kernel
def record_stack(trace: tuple, t: int, reg: np.ndarray, color: np.ndarray, s_prev: np.ndarray) -> None:
    """Snapshot the stack probes as hint step ``t``."""
    nodes_h, color_h, s_prev_h = trace
    nodes_h[t] = reg[:4]
    color_h[t] = color
    s_prev_h[t] = s_prev


@kernel
def new_dfs_trace(steps: int, n: int):
    """Buffers of a timed DFS: the stack trace and ``(label_h, d_h, f_h, time_h)`` (the label a
    pointer: int16)."""
    timed_h = (np.empty((steps, n), np.int16), np.empty((steps, n)), np.empty((steps, n)), np.empty(steps))
    return new_stack_trace(steps, n), timed_h


@kernel
def dfs_forest(
    A: np.ndarray, roots: np.ndarray, label: np.ndarray, label_mode: int,
    d: np.ndarray, f: np.ndarray, clock: np.ndarray, traces: tuple, t: int,
) -> int:
    """CLRS's timed DFS from every white root in ``roots``, recording from step ``t`` on;
    returns the next step. Colours and the stack start afresh, as in each of CLRS's loops.

    ``label`` is updated per ``label_mode``: ``LABEL_PARENT`` sets ``label[v] = u`` when ``v``
    is pushed (dfs's ``pi``, DEAR's local scc), ``LABEL_ROOT`` sets ``label[u] = s`` whenever
    ``u`` is current (CLRS's scc; done just before each recorded step, where CLRS's
    assignment at the top of its loop first shows, since ``u`` holds until the next step).
    """
    trace, (label_h, d_h, f_h, time_h) = traces
    n = A.shape[0]
    color, s_prev = np.zeros(n, np.int8), np.arange(n)
    reg = np.empty(5, np.int64)
    for s in roots:
        if color[s] != 0:
            continue
        start(reg, s)
        event = START
        while event != DONE:
            if label_mode == LABEL_PARENT and event == PUSH:
                label[reg[V]] = reg[U]
            elif label_mode == LABEL_ROOT:
                label[reg[U]] = s
            record_stack(trace, t, reg, color, s_prev)
            label_h[t] = label
            d_h[t] = d
            f_h[t] = f
            time_h[t] = clock[0]
            t += 1
            event = advance(A, reg, color, d, f, s_prev, clock, True)
    return t


@kernel
def _one_hot_stack(trace, steps):
    """One-hot ``color`` ``[T, n, 3]`` and the node registers ``[4, T, n]`` in one pass.

    Done here rather than with ``_probes.mask_one`` because these are the bulk of the
    hint bytes and numpy's ``put_along_axis`` is several times slower at this size.
    """
    nodes_h, color_h, _ = trace
    n = color_h.shape[1]
    color = np.zeros((steps, n, 3), np.int8)  # int8, as generate stores one-hots
    nodes = np.zeros((4, steps, n), np.int8)
    for t in range(steps):
        for i in range(n):
            color[t, i, color_h[t, i]] = 1
        for r in range(4):
            nodes[r, t, nodes_h[t, r]] = 1
    return color, nodes


def stack_hints(trace: tuple[np.ndarray, np.ndarray, np.ndarray], steps: int) -> dict[str, np.ndarray]:
    """The first ``steps`` recorded stack probes in CLRS's encodings (int8 one-hots, int16 pointers)."""
    color, nodes = _one_hot_stack(trace, steps)
    return {
        "color": color,
        "s_prev": trace[2][:steps],
        "s": nodes[S],
        "u": nodes[U],
        "v": nodes[V],
        "s_last": nodes[S_LAST],
    }


def dfs_hints(traces: tuple, steps: int, label: str) -> dict[str, np.ndarray]:
    """The first ``steps`` probes of a timed DFS, with its label pointer named ``label``."""
    trace, timed_h = traces
    label_h, d_h, f_h, time_h = (a[:steps] for a in timed_h)
    return {label: label_h, "d": d_h, "f": f_h, "time": time_h, **stack_hints(trace, steps)}
