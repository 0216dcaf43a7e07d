"""Meaning checks for the DFS family (dfs, Kosaraju scc and DEAR's local scc, DAG shortest
paths) on random graphs against networkx; the golden test pins the exact CLRS hints."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from dear.data import execute

SIZES = (2, 5, 16, 33)
P = (0.1, 0.3, 0.6)


def random_graphs(seed: int = 0, directed_acyclic: bool = False):
    """Weighted digraphs (self-loops included), or DAGs whose node order is shuffled."""
    rng = np.random.default_rng(seed)
    for n in SIZES:
        for p in P:
            A = (rng.random((n, n)) < p) * rng.uniform(0.1, 1.0, (n, n))
            if directed_acyclic:
                perm = rng.permutation(n)
                A = np.triu(A, 1)[np.ix_(perm, perm)]
            yield A


def nx_graph(A: np.ndarray) -> nx.DiGraph:
    """Nodes and out-edges in index order, so networkx scans neighbours as CLRS does."""
    G = nx.DiGraph()
    G.add_nodes_from(range(len(A)))
    G.add_weighted_edges_from((int(u), int(v), A[u, v]) for u, v in zip(*np.nonzero(A)))
    return G


def roots(pointer: np.ndarray) -> np.ndarray:
    """Follow a forest of pointers up to its self-pointing roots."""
    out = np.asarray(pointer).copy()
    for _ in range(len(out)):
        out = out[out]
    return out


def test_dfs_forest_is_networkx_dfs_forest() -> None:
    for A in random_graphs():
        n = len(A)
        trajectory = execute("dfs", {"A": A})
        pi = trajectory.outputs["pi"]
        tree_edges = {(int(pi[v]), v) for v in range(n) if pi[v] != v}
        assert tree_edges == set(nx.dfs_edges(nx_graph(A)))
        assert trajectory.length == 3 * n  # a start or push, a discovery and a finish per node
        np.testing.assert_array_equal(trajectory.hints["pi_h"][-1], pi)


def test_dfs_times_nest_like_parentheses() -> None:
    for A in random_graphs(seed=1):
        trajectory = execute("dfs", {"A": A})
        d, f, pi = trajectory.hints["d"][-1], trajectory.hints["f"][-1], trajectory.outputs["pi"]
        assert np.all(d < f) and len(np.unique(np.r_[d, f])) == 2 * len(A)
        child = pi != np.arange(len(A))
        assert np.all(d[pi[child]] < d[child]) and np.all(f[child] < f[pi[child]])


SCC = ("strongly_connected_components", "strongly_connected_components_local")


@pytest.mark.parametrize("algorithm", SCC)
def test_scc_partition_matches_networkx(algorithm: str) -> None:
    for A in random_graphs(seed=2):
        scc_id = execute(algorithm, {"A": A}).outputs["scc_id"]
        ours = {frozenset(np.flatnonzero(roots(scc_id) == r)) for r in np.unique(roots(scc_id))}
        assert ours == {frozenset(c) for c in nx.strongly_connected_components(nx_graph(A))}


def test_scc_local_points_along_transposed_edges() -> None:
    for A in random_graphs(seed=3):
        n = len(A)
        local = execute("strongly_connected_components_local", {"A": A})
        clrs = execute("strongly_connected_components", {"A": A})
        scc_id = local.outputs["scc_id"]
        # scc_id[v] = u is the tree edge u -> v of A^T, i.e. v -> u of A, unless v is a root.
        assert np.all((A.T[scc_id, np.arange(n)] != 0) | (scc_id == np.arange(n)))
        np.testing.assert_array_equal(roots(scc_id), clrs.outputs["scc_id"])
        assert local.length == clrs.length
        for name, hint in clrs.hints.items():
            if name != "scc_id_h":
                np.testing.assert_array_equal(local.hints[name], hint, err_msg=name)


def test_dag_shortest_paths_match_networkx() -> None:
    for A in random_graphs(seed=4, directed_acyclic=True):
        n = len(A)
        trajectory = execute("dag_shortest_paths", {"A": A, "s": 0})
        pi, d = trajectory.outputs["pi"], trajectory.hints["d"][-1]
        expected = nx.single_source_dijkstra_path_length(nx_graph(A), 0)
        reached = np.array(sorted(expected))
        np.testing.assert_allclose(d[reached], [expected[v] for v in reached])
        others = reached[reached != 0]
        np.testing.assert_allclose(d[pi[others]] + A[pi[others], others], d[others])
        unreached = np.setdiff1d(np.arange(n), reached)
        np.testing.assert_array_equal(pi[unreached], unreached)
        assert trajectory.length == 3 * len(reached) + 1
