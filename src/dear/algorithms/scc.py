"""Kosaraju's strongly connected components (CLRS-30 ``strongly_connected_components``) and
DEAR's ``strongly_connected_components_local``.

CLRS labels every node with the root of its tree in the second DFS (on the transposed graph,
roots by decreasing finish time); that pointer may jump across the graph. DEAR's local
variant points each node at its parent in that tree instead (roots at themselves), so every
output pointer lies on an edge of ``A^T`` and a message-passing model can reach it.
"""

from __future__ import annotations

import numpy as np

from dear.algorithms._dfs_stack import (
    DFS_STACK_HINTS,
    KEEP_LABEL,
    LABEL_PARENT,
    LABEL_ROOT,
    dfs_forest,
    dfs_hints,
    new_dfs_trace,
)
from dear.algorithms._probes import graph
from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import GRAPH_INPUTS, MK, PTR, SC, E, G, H, N, O
from dear.kernel import kernel


@kernel
def _scc(A: np.ndarray, local: bool):
    n = A.shape[0]
    # First DFS: 3 steps per node; second: a push (or a start and a discovery) and a finish.
    traces = new_dfs_trace(6 * n, n)
    scc_id = np.arange(n)
    d, f, clock = np.zeros(n), np.zeros(n), np.zeros(1)
    t1 = dfs_forest(A, np.arange(n), scc_id, KEEP_LABEL, d, f, clock, traces, 0)
    # d is not reset, so in the second DFS only roots are (re)discovered and re-stamped.
    mode = LABEL_PARENT if local else LABEL_ROOT
    t = dfs_forest(A.T.copy(), np.argsort(-f), scc_id, mode, d, f, clock, traces, t1)
    return scc_id, traces, t1, t


def _run(A: np.ndarray, local: bool) -> Execution:
    scc_id, traces, t1, t = _scc(A, local)
    hints = {
        **dfs_hints(traces, t, "scc_id_h"),
        "A_t": np.broadcast_to(graph(A.T), (t,) + A.shape),  # constant; a view, not t copies
        "phase": (np.arange(t) >= t1).astype(np.float64),
    }
    return Execution(hints=hints, outputs={"scc_id": scc_id})


def strongly_connected_components(A: np.ndarray) -> Execution:
    return _run(A, local=False)


def strongly_connected_components_local(A: np.ndarray) -> Execution:
    return _run(A, local=True)


_SPECS = {
    **GRAPH_INPUTS,
    "scc_id": (O, N, PTR),
    "scc_id_h": (H, N, PTR),
    "A_t": (H, E, MK),
    **DFS_STACK_HINTS,
    "d": (H, N, SC),
    "f": (H, N, SC),
    "time": (H, G, SC),
    "phase": (H, G, MK),
}
_INPUTS = GraphInputs(directed=True, weighted=False, community=True, source=False)

register(Algorithm(
    name="strongly_connected_components",
    title="Strongly connected components",
    kernel=strongly_connected_components,
    specs=_SPECS,
    inputs=_INPUTS,
    answer=Answer.COMPONENT_ROOTS,
    t_grows=True,
    clrs="strongly_connected_components",
    clrs_samples_per_s=(358, 40),
))

register(Algorithm(
    name="strongly_connected_components_local",
    title="Strongly connected components (local)",
    kernel=strongly_connected_components_local,
    specs=_SPECS,
    inputs=_INPUTS,
    answer=Answer.COMPONENT_TREES,
    t_grows=True,
    clrs="strongly_connected_components",
    paper_row=5,
))
