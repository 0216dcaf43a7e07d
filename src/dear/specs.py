"""Probe specifications: the single declarative table every other layer is driven by.

``SPECS[algorithm][probe] = (stage, location, type)`` with CLRS-30's vocabulary, so that
encoders, decoders, losses and metrics never need per-algorithm code.
"""

from __future__ import annotations

from typing import Final

from dear.errors import shown


class Stage:
    INPUT: Final = "input"
    HINT: Final = "hint"
    OUTPUT: Final = "output"


class Location:
    NODE: Final = "node"
    EDGE: Final = "edge"
    GRAPH: Final = "graph"


class Type:
    SCALAR: Final = "scalar"
    MASK: Final = "mask"
    MASK_ONE: Final = "mask_one"
    CATEGORICAL: Final = "categorical"
    POINTER: Final = "pointer"
    SHOULD_BE_PERMUTATION: Final = "should_be_permutation"
    PERMUTATION_POINTER: Final = "permutation_pointer"


#: Types whose values are node ids (pointers into the graph).
POINTER_TYPES: Final = (Type.POINTER, Type.SHOULD_BE_PERMUTATION, Type.PERMUTATION_POINTER)

ProbeSpec = tuple[str, str, str]
AlgorithmSpec = dict[str, ProbeSpec]

_I, _H, _O = Stage.INPUT, Stage.HINT, Stage.OUTPUT
_N, _E, _G = Location.NODE, Location.EDGE, Location.GRAPH
_SC, _MK, _M1, _CAT, _PTR = Type.SCALAR, Type.MASK, Type.MASK_ONE, Type.CATEGORICAL, Type.POINTER

_GRAPH_INPUTS: AlgorithmSpec = {"pos": (_I, _N, _SC), "A": (_I, _E, _SC), "adj": (_I, _E, _MK)}
_SOURCE: AlgorithmSpec = {"s": (_I, _N, _M1)}
_ARRAY_INPUTS: AlgorithmSpec = {"pos": (_I, _N, _SC), "key": (_I, _N, _SC)}

# Hints of the iterative DFS shared by dfs, dag_shortest_paths and scc (CLRS's s_prev stack).
_DFS_STACK_HINTS: AlgorithmSpec = {
    "color": (_H, _N, _CAT),
    "s_prev": (_H, _N, _PTR),
    "s": (_H, _N, _M1),
    "u": (_H, _N, _M1),
    "v": (_H, _N, _M1),
    "s_last": (_H, _N, _M1),
}

_SCC: AlgorithmSpec = {
    **_GRAPH_INPUTS,
    "scc_id": (_O, _N, _PTR),
    "scc_id_h": (_H, _N, _PTR),
    "A_t": (_H, _E, _MK),
    **_DFS_STACK_HINTS,
    "d": (_H, _N, _SC),
    "f": (_H, _N, _SC),
    "time": (_H, _G, _SC),
    "phase": (_H, _G, _MK),
}

_BINARY_SEARCH: AlgorithmSpec = {
    **_ARRAY_INPUTS,
    "target": (_I, _G, _SC),
    "return": (_O, _N, _M1),
    "low": (_H, _N, _M1),
    "high": (_H, _N, _M1),
    "mid": (_H, _N, _M1),
    "pred_h": (_H, _N, _PTR),
}

SPECS: Final[dict[str, AlgorithmSpec]] = {
    "bfs": {
        **_GRAPH_INPUTS,
        **_SOURCE,
        "pi": (_O, _N, _PTR),
        "reach_h": (_H, _N, _MK),
        "pi_h": (_H, _N, _PTR),
    },
    "dfs": {
        **_GRAPH_INPUTS,
        "pi": (_O, _N, _PTR),
        "pi_h": (_H, _N, _PTR),
        **_DFS_STACK_HINTS,
        "d": (_H, _N, _SC),
        "f": (_H, _N, _SC),
        "time": (_H, _G, _SC),
    },
    "bellman_ford": {
        **_GRAPH_INPUTS,
        **_SOURCE,
        "pi": (_O, _N, _PTR),
        "pi_h": (_H, _N, _PTR),
        "d": (_H, _N, _SC),
        "msk": (_H, _N, _MK),
    },
    "dijkstra": {
        **_GRAPH_INPUTS,
        **_SOURCE,
        "pi": (_O, _N, _PTR),
        "pi_h": (_H, _N, _PTR),
        "d": (_H, _N, _SC),
        "mark": (_H, _N, _MK),
        "in_queue": (_H, _N, _MK),
        "u": (_H, _N, _M1),
    },
    "dag_shortest_paths": {
        **_GRAPH_INPUTS,
        **_SOURCE,
        "pi": (_O, _N, _PTR),
        "pi_h": (_H, _N, _PTR),
        "d": (_H, _N, _SC),
        "mark": (_H, _N, _MK),
        "topo_h": (_H, _N, _PTR),
        "topo_head_h": (_H, _N, _M1),
        **{k: v for k, v in _DFS_STACK_HINTS.items() if k != "s"},
        "s": (_I, _N, _M1),
        "phase": (_H, _G, _MK),
    },
    "floyd_warshall": {
        **_GRAPH_INPUTS,
        "Pi": (_O, _E, _PTR),
        "Pi_h": (_H, _E, _PTR),
        "D": (_H, _E, _SC),
        "msk": (_H, _E, _MK),
        "k": (_H, _N, _M1),
    },
    "mst_prim": {
        **_GRAPH_INPUTS,
        **_SOURCE,
        "pi": (_O, _N, _PTR),
        "pi_h": (_H, _N, _PTR),
        "key": (_H, _N, _SC),
        "mark": (_H, _N, _MK),
        "in_queue": (_H, _N, _MK),
        "u": (_H, _N, _M1),
    },
    "mst_kruskal": {
        **_GRAPH_INPUTS,
        "in_mst": (_O, _E, _MK),
        "in_mst_h": (_H, _E, _MK),
        "pi": (_H, _N, _PTR),
        "u": (_H, _N, _M1),
        "v": (_H, _N, _M1),
        "root_u": (_H, _N, _M1),
        "root_v": (_H, _N, _M1),
        "mask_u": (_H, _N, _MK),
        "mask_v": (_H, _N, _MK),
        "phase": (_H, _G, _CAT),
    },
    "strongly_connected_components": _SCC,
    "strongly_connected_components_local": _SCC,
    "insertion_sort": {
        **_ARRAY_INPUTS,
        "pred": (_O, _N, Type.SHOULD_BE_PERMUTATION),
        "pred_h": (_H, _N, _PTR),
        "i": (_H, _N, _M1),
        "j": (_H, _N, _M1),
    },
    "minimum": {
        **_ARRAY_INPUTS,
        "min": (_O, _N, _M1),
        "pred_h": (_H, _N, _PTR),
        "min_h": (_H, _N, _M1),
        "i": (_H, _N, _M1),
    },
    "binary_search": _BINARY_SEARCH,
    "binary_search_fixed": _BINARY_SEARCH,
}

#: The 12 algorithms of CLRS-30 that the reference trajectories cover.
CLRS_ALGORITHMS: Final = (
    "bfs",
    "dfs",
    "bellman_ford",
    "dijkstra",
    "dag_shortest_paths",
    "floyd_warshall",
    "mst_prim",
    "mst_kruskal",
    "strongly_connected_components",
    "insertion_sort",
    "minimum",
    "binary_search",
)

#: Every algorithm name this package can execute (CLRS's 12 plus DEAR's two variants).
ALGORITHMS: Final = tuple(SPECS)

#: The 10 algorithms of the DEAR paper's tables.
PAPER_ALGORITHMS: Final = (
    "bellman_ford",
    "floyd_warshall",
    "dag_shortest_paths",
    "mst_prim",
    "strongly_connected_components_local",
    "insertion_sort",
    "minimum",
    "binary_search_fixed",
    "dfs",
    "bfs",
)


def check_algorithm(algorithm: str) -> AlgorithmSpec:
    """Return the spec of ``algorithm`` or raise a ``ValueError`` listing the known names."""
    try:
        return SPECS[algorithm]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown algorithm {shown(algorithm)}; choose one of: {', '.join(ALGORITHMS)}"
        ) from None


def probes(algorithm: str, stage: str) -> dict[str, ProbeSpec]:
    """The probes of ``algorithm`` at ``stage``, in declaration order."""
    return {k: v for k, v in check_algorithm(algorithm).items() if v[0] == stage}


def is_graph_algorithm(algorithm: str) -> bool:
    """Graph algorithms take an adjacency (``A``/``adj``); array ones take ``key``."""
    return "A" in check_algorithm(algorithm)


#: Number of classes of each categorical probe (the same in every algorithm that has it).
CATEGORICAL_CLASSES: Final = {"color": 3, "phase": 3}


def feature_width(algorithm: str, name: str) -> int:
    """Width of a probe's last axis once batched: classes for categorical probes, else 1."""
    kind = check_algorithm(algorithm)[name][2]
    return CATEGORICAL_CLASSES[name] if kind == Type.CATEGORICAL else 1
