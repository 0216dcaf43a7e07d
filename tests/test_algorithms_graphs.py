"""Meaning checks for the DFS applications (topological sort, articulation points, bridges) on
random graphs against networkx; the golden test pins the exact CLRS hints."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.algorithms import get
from dear.data import execute, generate
from tests.conftest import REFERENCE_DIR

FAMILY = ("topological_sort", "articulation_points", "bridges")
LOWLINK = ("articulation_points", "bridges")

sizes = st.integers(2, 24)
seeds = st.integers(0, 2**32 - 1)
densities = st.sampled_from((0.05, 0.15, 0.3, 0.6, 0.9))


def undirected(n: int, p: float, seed: int) -> np.ndarray:
    """A symmetric 0/1 matrix, self-loops included (they must change nothing)."""
    upper = np.triu(np.random.default_rng(seed).random((n, n)) < p).astype(np.float64)
    return np.maximum(upper, upper.T)


def dag(n: int, p: float, seed: int) -> np.ndarray:
    """A DAG whose topological order is a random permutation of the nodes."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    return np.triu(rng.random((n, n)) < p, 1)[np.ix_(perm, perm)].astype(np.float64)


def nx_graph(A: np.ndarray) -> nx.Graph:
    """The undirected graph without self-loops, neighbours in index order as CLRS scans them."""
    G = nx.Graph()
    G.add_nodes_from(range(len(A)))
    G.add_edges_from(zip(*map(np.ndarray.tolist, np.nonzero(np.triu(A, 1)))))
    return G


def linked_order(topo: np.ndarray, head: int) -> list[int]:
    """The nodes of the ``topo`` list from ``head`` to its tail (the node pointing to itself)."""
    order = [head]
    while topo[order[-1]] != order[-1] and len(order) <= topo.size:
        order.append(int(topo[order[-1]]))
    return order


@pytest.mark.parametrize("algorithm", FAMILY)
def test_specs_are_clrs30s(algorithm: str) -> None:
    reference = json.loads((REFERENCE_DIR / "specs_clrs30.json").read_text())[algorithm]
    assert get(algorithm).specs == {name: tuple(spec) for name, spec in reference.items()}


@settings(derandomize=True, max_examples=60, deadline=None)
@given(n=sizes, p=densities, seed=seeds)
def test_topo_lists_every_node_in_a_topological_order(n: int, p: float, seed: int) -> None:
    A = dag(n, p, seed)
    G = nx.DiGraph(A)
    assert nx.is_directed_acyclic_graph(G)
    trajectory = execute("topological_sort", {"A": A})
    topo, head = trajectory.outputs["topo"], int(np.argmax(trajectory.outputs["topo_head"]))
    order = linked_order(topo, head)
    assert sorted(order) == list(range(n))
    rank = np.argsort(order)
    assert all(rank[u] < rank[v] for u, v in G.edges)
    # Each tree: a start and its root's discovery; each other node: a push; each node: a finish.
    roots = 0
    reached: set[int] = set()
    for s in range(n):
        if s not in reached:
            roots += 1
            reached |= nx.descendants(G, s) | {s}
    assert trajectory.length == 2 * n + roots
    np.testing.assert_array_equal(trajectory.hints["topo_h"][-1], topo)
    np.testing.assert_array_equal(trajectory.hints["topo_head_h"][-1], trajectory.outputs["topo_head"])


@settings(derandomize=True, max_examples=80, deadline=None)
@given(n=sizes, p=densities, seed=seeds)
def test_is_cut_marks_networkx_articulation_points(n: int, p: float, seed: int) -> None:
    A = undirected(n, p, seed)
    trajectory = execute("articulation_points", {"A": A})
    is_cut = trajectory.outputs["is_cut"]
    assert set(np.flatnonzero(is_cut)) == set(nx.articulation_points(nx_graph(A)))
    assert set(np.unique(is_cut)) <= {0.0, 1.0}
    np.testing.assert_array_equal(trajectory.hints["is_cut_h"][-1], is_cut)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(n=sizes, p=densities, seed=seeds)
def test_is_bridge_marks_networkx_bridges_on_clrs_edge_mask(n: int, p: float, seed: int) -> None:
    A = undirected(n, p, seed)
    trajectory = execute("bridges", {"A": A})
    is_bridge = trajectory.outputs["is_bridge"]
    expected = np.where((A != 0) | np.eye(n, dtype=bool), 0.0, -1.0)  # -1: no edge (masked)
    for u, v in nx.bridges(nx_graph(A)):
        expected[u, v] = expected[v, u] = 1.0
    np.testing.assert_array_equal(is_bridge, expected)
    np.testing.assert_array_equal(trajectory.hints["is_bridge_h"][-1], is_bridge)


@pytest.mark.parametrize("algorithm", LOWLINK)
@settings(derandomize=True, max_examples=30, deadline=None)
@given(n=sizes, p=densities, seed=seeds)
def test_lowlink_dfs_is_networkx_dfs_forest(algorithm: str, n: int, p: float, seed: int) -> None:
    """The recorded parents are the DFS forest over roots and neighbours in index order, and
    every flag only turns on."""
    A = undirected(n, p, seed)
    trajectory = execute(algorithm, {"A": A})
    pi = trajectory.hints["pi_h"][-1].astype(np.int64)
    assert {(int(pi[v]), v) for v in range(n) if pi[v] != v} == set(nx.dfs_edges(nx_graph(A)))
    flags = trajectory.hints["is_cut_h" if algorithm == "articulation_points" else "is_bridge_h"]
    assert np.all(np.diff(flags, axis=0) >= 0)
    for name, (stage, _, kind) in get(algorithm).specs.items():
        if stage == "hint" and kind in ("mask_one", "categorical"):
            np.testing.assert_array_equal(trajectory.hints[name].sum(axis=-1), 1.0)


@pytest.mark.parametrize("algorithm", LOWLINK)
def test_lowlink_draws_clrs_articulation_sampler_graphs(algorithm: str) -> None:
    """CLRS's ArticulationSampler: ER with p = 0.2 kept only where both directions were drawn,
    so off-diagonal edges have probability 0.04 and self-loops 0.2."""
    A = np.stack([t.inputs["A"] for t in generate(algorithm, 300, 16, seed=0, hints=False)])
    assert set(np.unique(A)) <= {0.0, 1.0}
    np.testing.assert_array_equal(A, A.transpose(0, 2, 1))
    off = ~np.eye(16, dtype=bool)
    assert abs(A[:, off].mean() - 0.04) < 0.005
    assert abs(A[:, ~off].mean() - 0.2) < 0.02


def test_topological_sort_draws_clrs_dags() -> None:
    """CLRS's TopoSampler: ER with p = 0.5 over a random order's upper triangle."""
    trajectories = generate("topological_sort", 300, 16, seed=0, hints=False)
    A = np.stack([t.inputs["A"] for t in trajectories])
    assert set(np.unique(A)) <= {0.0, 1.0}
    assert all(nx.is_directed_acyclic_graph(nx.DiGraph(a)) for a in A)
    assert abs(A.mean() - 0.5 * 15 / 32) < 0.01  # p times the share of pairs above the diagonal
