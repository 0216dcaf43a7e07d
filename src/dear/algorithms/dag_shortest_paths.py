"""DAG shortest paths (CLRS-30 ``dag_shortest_paths``): DFS from ``s`` for a topological
order, then relax edges node by node in that order.

The order is a linked list in ``topo`` (``topo_head`` first, the tail points to itself) of
the nodes reachable from ``s``, built as they finish: each finisher becomes the head and
points to the previous one, except that CLRS's initial head 0 is a placeholder, linked to
only if it is black already (i.e. it was that first finisher itself).
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._dfs_stack import (
    DFS_STACK_HINTS,
    DONE,
    FINISH,
    START,
    U,
    advance,
    new_stack_trace,
    record_stack,
    stack_hints,
    start,
)
from dear.algorithms._probes import mask_one
from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import GRAPH_INPUTS, M1, MK, PTR, SC, SOURCE, G, H, I, N, O
from dear.kernel import kernel


@kernel
def _record(t, trace, reg, color, s_prev, own_h, head_h, pi, d, mark, topo, head) -> None:
    record_stack(trace, t, reg, color, s_prev)
    pi_h, d_h, mark_h, topo_h = own_h  # pointers stored as floats, as CLRS's hints are
    pi_h[t] = pi
    d_h[t] = d
    mark_h[t] = mark
    topo_h[t] = topo
    head_h[t] = head


@kernel
def _dag_shortest_paths(A: np.ndarray, s: int):
    n = A.shape[0]
    steps = 3 * n + 1  # 3 per reachable node, plus the final step
    trace = new_stack_trace(steps, n)
    own_h = (np.empty((steps, n)), np.empty((steps, n)), np.empty((steps, n)), np.empty((steps, n)))
    head_h = np.empty(steps, np.int64)
    pi, d, mark, topo, s_prev = np.arange(n), np.zeros(n), np.zeros(n), np.arange(n), np.arange(n)
    color = np.zeros(n, np.int8)
    head = 0
    reg = np.empty(5, np.int64)
    start(reg, s)
    t = 0
    event = START
    while event != DONE:
        if event == FINISH:
            if color[head] == 2:
                topo[reg[U]] = head
            head = reg[U]
        _record(t, trace, reg, color, s_prev, own_h, head_h, pi, d, mark, topo, head)
        t += 1
        # Untimed: no clock, and only white nodes are discovered (d, f and clock go unused).
        event = advance(A, reg, color, d, d, s_prev, np.zeros(1), False)
    t_dfs = t
    d[head] = 0.0
    mark[head] = 1.0
    while topo[head] != head:
        i = head
        mark[i] = 1.0
        _record(t, trace, reg, color, s_prev, own_h, head_h, pi, d, mark, topo, head)
        t += 1
        for j in range(n):
            if A[i, j] != 0.0 and (mark[j] == 0 or d[i] + A[i, j] < d[j]):
                d[j] = d[i] + A[i, j]
                pi[j] = i
                mark[j] = 1.0
        head = topo[head]
    _record(t, trace, reg, color, s_prev, own_h, head_h, pi, d, mark, topo, head)
    return pi, trace, own_h, head_h, t_dfs, t + 1


def dag_shortest_paths(A: np.ndarray, s: int) -> Execution:
    pi, trace, own_h, head_h, t_dfs, t = _dag_shortest_paths(A, s)
    pi_h, d_h, mark_h, topo_h = (a[:t] for a in own_h)
    hints = {
        "pi_h": pi_h,
        "d": d_h,
        "mark": mark_h,
        "topo_h": topo_h,
        "topo_head_h": mask_one(head_h[:t], A.shape[0]),
        **stack_hints(trace, t),
        "phase": (np.arange(t) >= t_dfs).astype(np.float64),
    }
    del hints["s"]  # an input here, not a hint
    return Execution(hints=hints, outputs={"pi": pi})


register(Algorithm(
    name="dag_shortest_paths",
    title="DAG shortest paths",
    kernel=dag_shortest_paths,
    specs={
        **GRAPH_INPUTS,
        **SOURCE,
        "pi": (O, N, PTR),
        "pi_h": (H, N, PTR),
        "d": (H, N, SC),
        "mark": (H, N, MK),
        "topo_h": (H, N, PTR),
        "topo_head_h": (H, N, M1),
        **{k: v for k, v in DFS_STACK_HINTS.items() if k != "s"},
        "s": (I, N, M1),
        "phase": (H, G, MK),
    },
    inputs=GraphInputs(directed=True, weighted=True, acyclic=True),
    answer=Answer.SHORTEST_PATH_TREE,
    t_grows=False,
    clrs="dag_shortest_paths",
    clrs_samples_per_s=(1286, 233),
    paper_row=3,
))
