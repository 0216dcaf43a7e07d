"""Depth-first search (CLRS-30 ``dfs``): a DFS forest over roots ``0..n-1``, timestamped."""

from __future__ import annotations

import numba
import numpy as np

from dear.algorithms._dfs_stack import LABEL_PARENT, dfs_forest, dfs_hints, new_dfs_trace
from dear.algorithms._registry import Execution, register


@numba.njit(cache=True)
def _dfs(A: np.ndarray):
    n = A.shape[0]
    traces = new_dfs_trace(3 * n, n)  # every node: a tree start or a push, a discovery, a finish
    pi = np.arange(n)
    t = dfs_forest(A, np.arange(n), pi, LABEL_PARENT, np.zeros(n), np.zeros(n), np.zeros(1), traces, 0)
    return pi, traces, t


@register("dfs")
def dfs(A: np.ndarray) -> Execution:
    pi, traces, t = _dfs(A)
    return Execution(hints=dfs_hints(traces, t, "pi_h"), outputs={"pi": pi})
