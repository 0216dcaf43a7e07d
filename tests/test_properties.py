"""Property tests: on random CLRS-distributed inputs every algorithm's outputs solve its
problem (checked against networkx, robust to ties) and its length ``T`` is CLRS's.

The golden tests pin the exact CLRS trajectories on a few small inputs; these check the
meaning of the outputs on many inputs of sizes 2..64, where ties and odd graphs occur.
"""

from __future__ import annotations

import gc
from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.data import Trajectory, execute, generate, sample
from dear.algorithms.record import PAPER_EDGE_PROBABILITIES
from dear.specs import ALGORITHMS, is_graph_algorithm
from tests.trajectory_asserts import assert_same_trajectories

TOLERANCE = 1e-9


#: Node counts 2..64; ``sampled_from`` spreads them more evenly than ``integers``, which
#: spends a third of the examples on the smallest value.
SIZES = st.sampled_from(range(2, 65))


def random_instances(max_examples: int = 60):
    """Run the test on derandomised ``n``, ``seed``, ``p`` and ``ties`` (see :func:`draw`)."""

    def decorate(test):
        test = given(
            n=SIZES,
            seed=st.integers(0, 2**32 - 1),
            p=st.sampled_from(PAPER_EDGE_PROBABILITIES),
            ties=st.booleans(),
        )(test)
        return settings(derandomize=True, max_examples=max_examples, deadline=None)(test)

    return decorate


def draw(algorithm: str, n: int, seed: int, p: float, ties: bool) -> Trajectory:
    """``sample(algorithm, n, seed, p=p)``; with ``ties`` its weights or keys are rounded up to
    multiples of 1/4 and it is re-executed, so that equal costs and keys are common (rounding
    up keeps zero weights zero, sorted keys sorted and the fixed search target in range)."""
    options = {"p": p} if is_graph_algorithm(algorithm) else {}
    trajectory = sample(algorithm, n, seed, **options)
    if ties:
        main = "A" if "A" in trajectory.inputs else "key"
        trajectory = execute(algorithm, {**trajectory.inputs, main: np.ceil(trajectory.inputs[main] * 4) / 4})
    assert trajectory.num_nodes == n
    return trajectory


def source(trajectory: Trajectory) -> int:
    s = trajectory.inputs["s"]
    assert s.sum() == 1
    return int(np.argmax(s))


def pointers(trajectory: Trajectory, name: str) -> np.ndarray:
    values = np.asarray(trajectory.outputs[name], dtype=np.float64)
    assert np.array_equal(values, np.rint(values)), f"{name} holds non-integer node ids"
    return values.astype(np.int64)


def path_to_root(pi: np.ndarray, v: int) -> list[int]:
    """``[v, pi[v], pi[pi[v]], ...]`` up to the node that points to itself."""
    path = [v]
    while pi[path[-1]] != path[-1]:
        path.append(int(pi[path[-1]]))
        assert len(path) <= len(pi), f"pointers from {v} run in a cycle"
    return path


def path_cost(A: np.ndarray, path: list[int]) -> float:
    """Weight of the walk ``path[-1] -> ... -> path[0]`` (pointers lead back to the source)."""
    for child, parent in zip(path, path[1:]):
        assert A[parent, child] != 0, f"pointer {child} -> {parent} is not an edge"
    return float(sum(A[parent, child] for child, parent in zip(path, path[1:])))


def digraph(A: np.ndarray) -> nx.DiGraph:
    return nx.from_numpy_array(A, create_using=nx.DiGraph)


def partition(labels: dict[int, int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = defaultdict(set)
    for v, label in labels.items():
        groups[label].add(v)
    return {frozenset(group) for group in groups.values()}


@random_instances()
def test_bfs_pointers_form_a_bfs_tree(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("bfs", n, seed, p, ties)
    A, s, pi = t.inputs["A"], source(t), pointers(t, "pi")
    hops = nx.single_source_shortest_path_length(digraph(A), s)
    for v in range(n):
        if v not in hops:
            assert pi[v] == v, f"unreachable {v} must point to itself"
            continue
        path = path_to_root(pi, v)
        path_cost(A, path)  # every pointer is an edge
        assert path[-1] == s and len(path) - 1 == hops[v], f"{v} is not at BFS depth {hops[v]}"
    assert t.length == max(hops.values()) + 1, "bfs T = eccentricity of s in its component + 1"


def _assert_shortest_path_tree(t: Trajectory) -> dict[int, float]:
    A, s, pi = t.inputs["A"], source(t), pointers(t, "pi")
    dist = nx.single_source_dijkstra_path_length(digraph(A), s)
    for v in range(t.num_nodes):
        if v not in dist:
            assert pi[v] == v, f"unreachable {v} must point to itself"
            continue
        path = path_to_root(pi, v)
        assert path[-1] == s
        assert abs(path_cost(A, path) - dist[v]) <= TOLERANCE, f"path to {v} is not shortest"
    return dist


@random_instances()
def test_bellman_ford_pointers_give_shortest_paths(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("bellman_ford", n, seed, p, ties)
    dist = _assert_shortest_path_tree(t)
    # Round k settles the nodes whose shortest path has k edges; one more round sees no change.
    hops = max(len(path_to_root(pointers(t, "pi"), v)) - 1 for v in dist)
    assert t.length == hops + 1, "bellman_ford T = 1 + rounds with a change"


@random_instances()
def test_dijkstra_pointers_give_shortest_paths(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("dijkstra", n, seed, p, ties)
    dist = _assert_shortest_path_tree(t)
    assert t.length == len(dist) + 1, "dijkstra T = 1 + one step per reachable node"


@random_instances()
def test_dag_shortest_paths_pointers_give_shortest_paths(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("dag_shortest_paths", n, seed, p, ties)
    assert nx.is_directed_acyclic_graph(digraph(t.inputs["A"]))
    dist = _assert_shortest_path_tree(t)
    assert t.length == 3 * len(dist) + 1, "dag T = 3 DFS steps per reachable node + 1"


@random_instances(max_examples=30)
def test_floyd_warshall_pi_reconstructs_shortest_paths(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("floyd_warshall", n, seed, p, ties)
    A, Pi = t.inputs["A"], pointers(t, "Pi")
    dist = dict(nx.all_pairs_dijkstra_path_length(digraph(A)))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if j not in dist[i]:
                assert Pi[i, j] == i, f"unreachable pair ({i}, {j}) must keep Pi = i"
                continue
            path = path_to_root(np.where(np.arange(n) == i, i, Pi[i]), j)  # row i: predecessors
            assert path[-1] == i
            assert abs(path_cost(A, path) - dist[i][j]) <= TOLERANCE, f"path {i} -> {j} is not shortest"
    assert t.length == n, "floyd_warshall T = n"


@random_instances()
def test_mst_prim_spans_the_component_of_s_minimally(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("mst_prim", n, seed, p, ties)
    A, s, pi = t.inputs["A"], source(t), pointers(t, "pi")
    G = nx.from_numpy_array(A)
    component = nx.node_connected_component(G, s)
    for v in range(n):
        if v not in component:
            assert pi[v] == v, f"{v} outside the component of s must point to itself"
        else:
            assert path_to_root(pi, v)[-1] == s
    weight = sum(path_cost(A, [v, int(pi[v])]) for v in component - {s})
    expected = nx.minimum_spanning_tree(G.subgraph(component)).size(weight="weight")
    assert abs(weight - expected) <= TOLERANCE
    assert t.length == len(component) + 1, "mst_prim T = 1 + one step per node of the component"


@random_instances()
def test_mst_kruskal_marks_a_minimum_spanning_forest(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("mst_kruskal", n, seed, p, ties)
    A, in_mst = t.inputs["A"], t.outputs["in_mst"]
    assert np.array_equal(in_mst, in_mst.T) and np.isin(in_mst, (0, 1)).all()
    assert np.all(A[in_mst == 1] > 0), "in_mst marks a non-edge"
    G = nx.from_numpy_array(A)
    forest = nx.from_numpy_array(np.triu(in_mst, 1))
    assert nx.is_forest(forest) and forest.number_of_edges() == n - nx.number_connected_components(G)
    expected = nx.minimum_spanning_tree(G).size(weight="weight")
    assert abs(A[np.triu(in_mst, 1) == 1].sum() - expected) <= TOLERANCE
    # A start and an end step per edge considered, plus a step per pointer hop of find.
    assert t.length >= 1 + 2 * np.count_nonzero(np.triu(A, 1) > 0)


def _draw_scc(
    algorithm: str, n: int, seed: int, p: float, ties: bool
) -> tuple[Trajectory, set[frozenset[int]]]:
    """Draw, check T, and return the trajectory and networkx's components."""
    t = draw(algorithm, n, seed, p, ties)
    components = {frozenset(c) for c in nx.strongly_connected_components(digraph(t.inputs["A"]))}
    assert t.length == 5 * n + len(components), "scc T = 3n (first DFS) + 2n + one per component"
    return t, components


@random_instances()
def test_scc_labels_partition_into_components(n: int, seed: int, p: float, ties: bool) -> None:
    t, components = _draw_scc("strongly_connected_components", n, seed, p, ties)
    scc_id = pointers(t, "scc_id")
    assert partition(dict(enumerate(scc_id))) == components
    assert all(scc_id[scc_id[v]] == scc_id[v] for v in range(n)), "labels are members of their component"


@random_instances()
def test_scc_local_pointers_lead_to_roots_along_edges(n: int, seed: int, p: float, ties: bool) -> None:
    t, components = _draw_scc("strongly_connected_components_local", n, seed, p, ties)
    A, scc_id = t.inputs["A"], pointers(t, "scc_id")
    assert partition({v: path_to_root(scc_id, v)[-1] for v in range(n)}) == components
    for v in range(n):
        if scc_id[v] != v:
            assert A[v, scc_id[v]] != 0, f"pointer {v} -> {scc_id[v]} is not an edge of A^T"


@random_instances()
def test_dfs_pointers_form_a_forest_of_edges(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("dfs", n, seed, p, ties)
    A, pi = t.inputs["A"], pointers(t, "pi")
    for v in range(n):
        path = path_to_root(pi, v)
        path_cost(A, path)  # every pi[v] -> v is an edge
        # Roots are taken in index order, so a tree's root is its smallest node.
        assert path[-1] <= v
    assert t.length == 3 * n, "dfs T = 3n (a start or push, a discovery and a finish per node)"


@random_instances()
def test_insertion_sort_pred_chains_the_keys_in_order(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("insertion_sort", n, seed, p, ties)
    key, pred = t.inputs["key"], pointers(t, "pred")
    (last,) = set(range(n)) - {pred[v] for v in range(n) if pred[v] != v}
    chain = path_to_root(pred, last)[::-1]
    # Insertion sort is stable: equal keys keep their input order.
    assert chain == list(np.argsort(key, kind="stable")), "pred does not chain the keys in sorted order"
    assert t.length == n, "insertion_sort T = n"


@random_instances()
def test_minimum_is_the_argmin(n: int, seed: int, p: float, ties: bool) -> None:
    t = draw("minimum", n, seed, p, ties)
    out, key = t.outputs["min"], t.inputs["key"]
    assert out.sum() == 1 and np.argmax(out) == np.argmin(key), "not the (first) minimum"
    assert t.length == n, "minimum T = n"


@pytest.mark.parametrize("algorithm", ["binary_search", "binary_search_fixed"])
@random_instances()
def test_binary_search_returns_the_first_key_not_below_target(
    algorithm: str, n: int, seed: int, p: float, ties: bool
) -> None:
    t = draw(algorithm, n, seed, p, ties)
    key, target, out = t.inputs["key"], float(t.inputs["target"]), t.outputs["return"]
    assert np.all(np.diff(key) >= 0) and out.sum() == 1
    r = int(np.argmax(out))
    if algorithm == "binary_search_fixed":
        assert target <= key[-1], "the fixed sampler never draws a target above every key"
    if target > key[-1]:  # CLRS's ambiguous case: no key qualifies, the answer is the last node
        assert r == n - 1
    else:
        assert key[r] >= target and (r == 0 or key[r - 1] < target)
    halvings = np.log2(n)
    assert np.floor(halvings) + 1 <= t.length <= np.ceil(halvings) + 1, "binary_search T = 1 + halvings"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_generate_is_deterministic_and_prefix_stable(algorithm: str) -> None:
    first = generate(algorithm, 5, (4, 9), seed=3)
    assert_same_trajectories(first, generate(algorithm, 5, (4, 9), seed=3))
    assert_same_trajectories(first[:2], generate(algorithm, 2, (4, 9), seed=3))
    assert_same_trajectories(first[:1], [sample(algorithm, (4, 9), seed=3)])
    assert all(4 <= t.num_nodes <= 9 and t.algorithm == algorithm for t in first)


@pytest.mark.parametrize("enabled", [True, False])
def test_generate_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    """``generate`` pauses the cyclic collector while it builds trajectories; the caller's
    setting must come back, after an error too."""
    was_enabled = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        generate("bfs", 3, 5, seed=0)
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError, match="bad generator option"):
            generate("bfs", 3, 5, seed=0, p=2.0)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was_enabled else gc.disable()


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    algorithm=st.sampled_from(ALGORITHMS),
    lo=st.integers(2, 40),
    width=st.integers(0, 24),
    seed=st.integers(0, 2**63),
)
def test_sample_sizes_stay_in_range(algorithm: str, lo: int, width: int, seed: int) -> None:
    assert lo <= sample(algorithm, (lo, lo + width), seed).num_nodes <= lo + width


@settings(derandomize=True, max_examples=20, deadline=None)
@given(n=SIZES, seed=st.integers(0, 2**32 - 1), p=st.sampled_from(PAPER_EDGE_PROBABILITIES))
def test_connected_option_connects_the_graph(n: int, seed: int, p: float) -> None:
    for algorithm in ("bfs", "dfs", "dag_shortest_paths", "strongly_connected_components"):
        G = digraph(sample(algorithm, n, seed, p=p, connected=True).inputs["A"])
        assert nx.is_weakly_connected(G), algorithm
        if algorithm == "dag_shortest_paths":
            assert nx.is_directed_acyclic_graph(G)
