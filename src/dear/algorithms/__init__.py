"""Reference implementations of the CLRS-30 algorithms, recording hints as CLRS does.

Each module holds one algorithm family: its kernels, compiled with numba at their first call
(:mod:`dear.kernel`) so that data generation is fast while the code stays a line-by-line
transcription of the textbook procedure that CLRS-30 probes, and one
:class:`~dear.algorithms.record.Algorithm` record per algorithm. Importing this package registers them all, in the order listed here.
"""

from dear.algorithms import (  # noqa: F401  (imports register the algorithms)
    bfs,
    dfs,
    shortest_paths,
    dag_shortest_paths,
    floyd_warshall,
    mst,
    scc,
    dfs_applications,
    sorting,
    searching,
    bubble_sort,
    heapsort,
    quicksort,
    strings,
    geometry,
    greedy, kadane, dynamic_programming,
)
from dear.algorithms.record import REGISTRY, Algorithm, Answer, ArrayInputs, Execution, GraphInputs, get

__all__ = ["REGISTRY", "Algorithm", "Answer", "ArrayInputs", "Execution", "GraphInputs", "get"]
