"""Applications of CLRS-30's iterative DFS: ``topological_sort``, ``articulation_points`` and
``bridges``, each stepping the ``s_prev`` stack of :mod:`~dear.algorithms._dfs_stack` from
every white root in node order and recording its own probes around the stack's events.

Topological sort runs the untimed DFS (as dag_shortest_paths does) and links each finisher
into ``topo`` ahead of the previous one, so the order is the list from ``topo_head``.
Articulation points and bridges run the timed DFS that also stops at every visited neighbour
other than the parent to lower ``low`` (Tarjan's low-link), and judge each node's children
when it finishes.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._dfs_stack import (
    DFS_STACK_HINTS,
    DISCOVER,
    DONE,
    FINISH,
    PUSH,
    SEE,
    START,
    TICK,
    U,
    V,
    advance,
    new_stack_trace,
    record_stack,
    stack_hints,
    start,
)
from dear.algorithms._probes import graph, mask_one
from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import GRAPH_INPUTS, M1, MK, PTR, SC, E, G, H, N, O
from dear.kernel import kernel


@kernel
def _topological_sort(A: np.ndarray):
    n = A.shape[0]
    steps = 3 * n  # every node: a tree start or a push, and a finish; every root: a discovery
    trace = new_stack_trace(steps, n)
    topo_h, head_h = np.empty((steps, n)), np.empty(steps, np.int64)
    topo, s_prev, color = np.arange(n), np.arange(n), np.zeros(n, np.int8)
    unused, clock = np.zeros(n), np.zeros(1)  # untimed: d, f and the clock stay untouched
    reg = np.empty(5, np.int64)
    head, t = 0, 0
    for s in range(n):
        if color[s] != 0:
            continue
        start(reg, s)
        event = START
        while event != DONE:
            if event == FINISH:
                # CLRS's initial head 0 is a placeholder, linked to only once it has finished.
                if color[head] == 2:
                    topo[reg[U]] = head
                head = reg[U]
            record_stack(trace, t, reg, color, s_prev)
            topo_h[t] = topo
            head_h[t] = head
            t += 1
            event = advance(A, reg, color, unused, unused, s_prev, clock, False)
    return topo, head, trace, topo_h, head_h, t


def topological_sort(A: np.ndarray) -> Execution:
    topo, head, trace, topo_h, head_h, t = _topological_sort(A)
    n = A.shape[0]
    hints = {"topo_h": topo_h[:t], "topo_head_h": mask_one(head_h[:t], n), **stack_hints(trace, t)}
    return Execution(hints=hints, outputs={"topo": topo, "topo_head": mask_one(head, n)})


@kernel
def _lowlink_walk(A: np.ndarray, bridges: bool, trace: tuple, own_h: np.ndarray, time_h: np.ndarray):
    """CLRS's articulation points (``bridges=False``) or bridges, recording the stack and the
    per-node hints ``own_h`` (``pi_h, d, f, low, child_cnt``) unless the buffers are empty (a
    counting pass). Returns the number of steps and the step at which each cut node
    (``cut_at[u]``) or bridge (``bridge_at[u, v]``) is found (-1 if never)."""
    n = A.shape[0]
    record = time_h.size > 0
    pi, color, s_prev = np.arange(n), np.zeros(n, np.int8), np.arange(n)
    d, f, low, child_cnt, clock = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(1)
    cut_at, bridge_at = np.full(n, -1), np.full((n, n), -1)
    reg = np.empty(5, np.int64)
    t = 0
    for s in range(n):
        if color[s] != 0:
            continue
        start(reg, s)
        event = START
        while event != DONE:
            u, v = reg[U], reg[V]
            if event == SEE:
                if v == pi[u]:  # CLRS records no step for the tree edge back to the parent
                    event = advance(A, reg, color, d, f, s_prev, clock, True, True)
                    continue
                low[u] = min(low[u], d[v])
            elif event == DISCOVER:
                low[u] = d[u]
            elif event == PUSH:
                pi[v] = u
                child_cnt[u] += TICK
            elif event == FINISH:
                for c in range(n):
                    if pi[c] != u:
                        continue
                    low[u] = min(low[u], low[c])
                    if bridges and low[c] > d[u]:
                        bridge_at[u, c] = bridge_at[c, u] = t
                    if not bridges and pi[u] != u and low[c] >= d[u]:
                        cut_at[u] = t
                if not bridges and pi[u] == u and child_cnt[u] > TICK:
                    cut_at[u] = t
            if record:
                record_stack(trace, t, reg, color, s_prev)
                own_h[0, t] = pi
                own_h[1, t] = d
                own_h[2, t] = f
                own_h[3, t] = low
                own_h[4, t] = child_cnt
                time_h[t] = clock[0]
            t += 1
            event = advance(A, reg, color, d, f, s_prev, clock, True, True)
    return t, cut_at, bridge_at


@kernel
def _lowlink(A: np.ndarray, bridges: bool):
    """Count the steps (they depend on the graph), then record exactly that many."""
    n = A.shape[0]
    steps, _, _ = _lowlink_walk(A, bridges, new_stack_trace(0, n), np.empty((5, 0, n)), np.empty(0))
    trace, own_h, time_h = new_stack_trace(steps, n), np.empty((5, steps, n)), np.empty(steps)
    _, cut_at, bridge_at = _lowlink_walk(A, bridges, trace, own_h, time_h)
    return trace, own_h, time_h, cut_at, bridge_at, steps


@kernel
def _flags_by_step(initial: np.ndarray, found_at: np.ndarray, steps: int) -> np.ndarray:
    """``[steps, initial.size]``: ``initial`` at every step, each flag 1 from the step it was
    found on (filled here: the bridges' hint is ``T x n x n``, the bulk of their bytes; in
    ``initial``'s dtype, int8 masks as generate stores them)."""
    out = np.empty((steps, initial.size), initial.dtype)
    out[:] = initial.ravel()
    for i, t in enumerate(found_at.ravel()):
        if t >= 0:
            out[t:, i] = 1
    return out


def _lowlink_run(A: np.ndarray, bridges: bool) -> Execution:
    trace, (pi_h, d_h, f_h, low_h, child_h), time_h, cut_at, bridge_at, t = _lowlink(A, bridges)
    hints = {"pi_h": pi_h, "d": d_h, "f": f_h, "low": low_h, "time": time_h, **stack_hints(trace, t)}
    if bridges:
        # CLRS's edge mask: 1 on bridges, 0 on other edges and the diagonal, -1 (masked) elsewhere.
        is_bridge_h = _flags_by_step(graph(A) - np.int8(1), bridge_at, t).reshape((t,) + A.shape)
        outputs = {"is_bridge": is_bridge_h[-1].copy()}  # not a view: hints=False drops T x n x n
        return Execution(hints={"is_bridge_h": is_bridge_h, **hints}, outputs=outputs)
    is_cut_h = _flags_by_step(np.zeros(A.shape[0], np.int8), cut_at, t)
    hints = {"is_cut_h": is_cut_h, **hints, "child_cnt": child_h}
    return Execution(hints=hints, outputs={"is_cut": is_cut_h[-1].copy()})


def articulation_points(A: np.ndarray) -> Execution:
    return _lowlink_run(A, bridges=False)


def bridges(A: np.ndarray) -> Execution:
    return _lowlink_run(A, bridges=True)


_LOWLINK_HINTS = {
    "pi_h": (H, N, PTR),
    "color": DFS_STACK_HINTS["color"],
    "d": (H, N, SC),
    "f": (H, N, SC),
    "low": (H, N, SC),
}
_STACK_HINTS = {k: v for k, v in DFS_STACK_HINTS.items() if k != "color"}
# CLRS's ArticulationSampler (both): sparse undirected graphs, an edge kept with p**2.
_LOWLINK_INPUTS = GraphInputs(directed=False, weighted=False, source=False, p=(0.2,), clrs_p=0.2)

register(Algorithm(
    name="topological_sort",
    title="Topological sort",
    kernel=topological_sort,
    specs={
        **GRAPH_INPUTS,
        "topo": (O, N, PTR),
        "topo_head": (O, N, M1),
        "topo_h": (H, N, PTR),
        "topo_head_h": (H, N, M1),
        **DFS_STACK_HINTS,
    },
    # CLRS's TopoSampler: DAGs with p = 0.5.
    # The order's pointers link nodes that need not share an edge: decoded over every pair.
    inputs=GraphInputs(directed=True, weighted=False, acyclic=True, source=False, p=(0.5,), complete=True),
    answer=Answer.TOPOLOGICAL_ORDER,  # topo: each node's successor; topo_head: the first
    t_grows=True,
    clrs="topological_sort",
))

register(Algorithm(
    name="articulation_points",
    title="Articulation points",
    kernel=articulation_points,
    specs={
        **GRAPH_INPUTS,
        "is_cut": (O, N, MK),
        "is_cut_h": (H, N, MK),
        **_LOWLINK_HINTS,
        "child_cnt": (H, N, SC),
        **_STACK_HINTS,
        "time": (H, G, SC),
    },
    inputs=_LOWLINK_INPUTS,
    answer=Answer.CUT_NODES,
    t_grows=True,
    clrs="articulation_points",
))

register(Algorithm(
    name="bridges",
    title="Bridges",
    kernel=bridges,
    specs={
        **GRAPH_INPUTS,
        "is_bridge": (O, E, MK),
        "is_bridge_h": (H, E, MK),
        **_LOWLINK_HINTS,
        **_STACK_HINTS,
        "time": (H, G, SC),
    },
    inputs=_LOWLINK_INPUTS,
    answer=Answer.CUT_EDGES,
    t_grows=True,
    clrs="bridges",
))
