"""Reference implementations of the CLRS-30 algorithms, recording hints as CLRS does.

Each module holds one algorithm family; the hot loops are compiled with numba so that data
generation is fast, while the code stays a line-by-line transcription of the textbook
procedure that CLRS-30 probes.
"""

from dear.algorithms import (  # noqa: F401  (imports register the algorithms)
    bfs,
    dag_shortest_paths,
    dfs,
    mst,
    scc,
    searching,
    shortest_paths,
    sorting,
)
from dear.algorithms._registry import REGISTRY, Execution

__all__ = ["REGISTRY", "Execution"]
