"""Depth-first search (CLRS-30 ``dfs``): a DFS forest over roots ``0..n-1``, timestamped."""

from __future__ import annotations

import numpy as np

from dear.algorithms._dfs_stack import DFS_STACK_HINTS, LABEL_PARENT, dfs_forest, dfs_hints, new_dfs_trace
from dear.algorithms.record import Algorithm, Answer, Execution, GraphInputs, register
from dear.algorithms.spec import GRAPH_INPUTS, PTR, SC, G, H, N, O
from dear.kernel import kernel


@kernel
def _dfs(A: np.ndarray):
    n = A.shape[0]
    traces = new_dfs_trace(3 * n, n)  # every node: a tree start or a push, a discovery, a finish
    pi = np.arange(n)
    t = dfs_forest(A, np.arange(n), pi, LABEL_PARENT, np.zeros(n), np.zeros(n), np.zeros(1), traces, 0)
    return pi, traces, t


def dfs(A: np.ndarray) -> Execution:
    pi, traces, t = _dfs(A)
    return Execution(hints=dfs_hints(traces, t, "pi_h"), outputs={"pi": pi})


register(Algorithm(
    name="dfs",
    title="Depth-first search",
    kernel=dfs,
    specs={
        **GRAPH_INPUTS,
        "pi": (O, N, PTR),
        "pi_h": (H, N, PTR),
        **DFS_STACK_HINTS,
        "d": (H, N, SC),
        "f": (H, N, SC),
        "time": (H, G, SC),
    },
    inputs=GraphInputs(directed=True, weighted=False, source=False),
    answer=Answer.DFS_FOREST,
    t_grows=True,
    clrs="dfs",
    clrs_samples_per_s=(1315, 222),  # DESIGN §6: 914 / 142 (we keep the higher, harder target)
    paper_row=9,
))
