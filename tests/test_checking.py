"""The answer checker against plain networkx: exact answers pass, every tied alternative that
networkx calls optimal passes, and broken answers are flagged with what is wrong."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.algorithms import Answer, get
from dear.checking import (
    CHECKED,
    UNCHECKED_SET,
    Edges,
    chain_order,
    graph_edges,
    in_some_mst,
    path_sums,
    pointer_roots,
    structure,
    tie_aware_check,
)
from dear.data import execute

PROPERTY = settings(derandomize=True, max_examples=40, deadline=None)
SOURCED = ("bfs", "bellman_ford", "dijkstra", "dag_shortest_paths", "mst_prim")
GRAPH_ALGORITHMS = tuple(a for a in CHECKED if get(a).is_graph)
UNCHECKED_SETS = (Answer.CUT_NODES, Answer.CUT_EDGES)


def random_graph(algorithm: str, n: int, p: float, seed: int, max_weight: int = 3) -> nx.Graph:
    """A graph of the kind ``algorithm`` reads, small integer weights (so lengths tie exactly)."""
    rng = np.random.default_rng(seed)
    graph = nx.gnp_random_graph(n, p, seed=seed, directed=get(algorithm).inputs.directed)
    if get(algorithm).inputs.acyclic:
        graph = nx.DiGraph([(u, v) for u, v in graph.edges if u < v])
    simple = graph.__class__()
    simple.add_nodes_from(range(n))
    simple.add_weighted_edges_from((u, v, float(rng.integers(1, max_weight + 1))) for u, v in graph.edges)
    return simple


def exact_outputs(algorithm: str, graph: nx.Graph, source: int | None) -> dict[str, np.ndarray]:
    inputs = {"A": nx.to_numpy_array(graph, nodelist=range(graph.number_of_nodes()))}
    if source is not None:
        inputs["s"] = source
    return execute(algorithm, inputs).outputs


def exact_answer(algorithm: str, graph: nx.Graph, source: int | None) -> np.ndarray:
    return exact_outputs(algorithm, graph, source)[CHECKED[algorithm]].astype(int)


# --- exact answers are right ------------------------------------------------------------------

@PROPERTY
@given(algorithm=st.sampled_from(GRAPH_ALGORITHMS), n=st.integers(2, 9), p=st.floats(0.0, 0.7),
       seed=st.integers(0, 2**16))
def test_the_exact_algorithm_passes_every_check(algorithm: str, n: int, p: float, seed: int) -> None:
    graph = random_graph(algorithm, n, p, seed)
    source = seed % n if algorithm in SOURCED else None
    verdict = tie_aware_check(algorithm, graph, source, exact_outputs(algorithm, graph, source))  # CLRS's arrays
    if get(algorithm).answer in UNCHECKED_SETS:
        assert verdict["valid"] is None and verdict["problem"].startswith("a set of"), verdict
        assert verdict["precision"] == verdict["recall"] == 1.0, verdict
    else:
        assert verdict["valid"] and verdict["problem"] is None, verdict
    assert verdict["correct"] == 1.0 and verdict["optimal"], verdict
    if verdict["ratio"] is not None:
        assert verdict["ratio"] == pytest.approx(1.0)


@PROPERTY
@given(algorithm=st.sampled_from(["insertion_sort", "minimum", "binary_search", "binary_search_fixed"]),
       keys=st.lists(st.integers(0, 4), min_size=2, max_size=9), target=st.integers(-1, 5))
def test_exact_array_answers_pass_with_tied_keys(algorithm: str, keys: list[int], target: int) -> None:
    key = np.array(sorted(keys) if algorithm.startswith("binary") else keys, dtype=float)
    inputs = {"key": key} | ({"target": float(target)} if algorithm.startswith("binary") else {})
    output = execute(algorithm, inputs).outputs[CHECKED[algorithm]]
    answer = output.astype(int) if algorithm == "insertion_sort" else int(np.argmax(output))
    verdict = tie_aware_check(algorithm, key.tolist(), float(target), {CHECKED[algorithm]: answer})
    assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"], verdict


# --- ties: every optimal alternative networkx knows passes -------------------------------------

@PROPERTY
@given(algorithm=st.sampled_from(["bfs", "bellman_ford", "dijkstra", "dag_shortest_paths"]),
       n=st.integers(2, 8), p=st.floats(0.1, 0.8), seed=st.integers(0, 2**16))
def test_a_parent_counts_iff_networkx_lists_it_as_a_shortest_path_predecessor(algorithm: str, n: int, p: float,
                                                                             seed: int) -> None:
    graph = random_graph(algorithm, n, p, seed, max_weight=1 if algorithm == "bfs" else 3)
    source = seed % n
    parents, _ = nx.dijkstra_predecessor_and_distance(graph, source)  # every shortest-path parent
    exact = exact_answer(algorithm, graph, source)
    for v in range(n):
        for u in (graph.predecessors(v) if graph.is_directed() else graph.neighbors(v)):
            answer = exact.copy()
            answer[v] = u
            verdict = tie_aware_check(algorithm, graph, source, answer)
            assert (verdict["correct"] == 1.0) == (v != source and u in parents.get(v, [])), (v, u, verdict)


@PROPERTY
@given(algorithm=st.sampled_from(["bfs", "bellman_ford"]), n=st.integers(2, 10), p=st.floats(0.1, 0.8),
       seed=st.integers(0, 2**16))
def test_any_choice_of_shortest_path_parents_is_a_valid_optimal_answer(algorithm: str, n: int, p: float,
                                                                      seed: int) -> None:
    graph = random_graph(algorithm, n, p, seed, max_weight=1 if algorithm == "bfs" else 2)
    source, rng = seed % n, np.random.default_rng(seed)
    parents, _ = nx.dijkstra_predecessor_and_distance(graph, source)
    answer = {v: (parents[v][rng.integers(len(parents[v]))] if parents.get(v) else v) for v in graph}
    verdict = tie_aware_check(algorithm, graph, source, answer)
    assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"], verdict
    assert verdict["total"] == pytest.approx(sum(nx.single_source_dijkstra_path_length(graph, source).values()))


@settings(derandomize=True, max_examples=60, deadline=None)
@given(n=st.integers(2, 6), p=st.floats(0.3, 1.0), seed=st.integers(0, 2**16))
def test_an_edge_is_in_some_mst_iff_one_of_networkx_s_minimum_spanning_trees_has_it(n: int, p: float,
                                                                                    seed: int) -> None:
    graph = random_graph("mst_prim", n, p, seed, max_weight=2)
    if not nx.is_connected(graph):
        graph = nx.compose(graph, nx.path_graph(n))  # unweighted additions weigh 1
        nx.set_edge_attributes(graph, {e: graph.edges[e].get("weight", 1.0) for e in graph.edges}, "weight")
    union = set()
    best = None
    for tree in nx.SpanningTreeIterator(graph, weight="weight", minimum=True):
        best = tree.size("weight") if best is None else best
        if tree.size("weight") > best:
            break
        union |= {frozenset(e) for e in tree.edges}
    edges, _ = graph_edges(graph)
    inside = in_some_mst(edges)
    mine = {frozenset((int(u), int(v))) for u, v, x in zip(edges.senders, edges.receivers, inside) if x}
    assert mine == union


@PROPERTY
@given(n=st.integers(2, 12), p=st.floats(0.1, 0.8), seed=st.integers(0, 2**16))
def test_any_minimum_spanning_tree_rooted_at_the_source_passes_and_a_heavier_one_does_not(n: int, p: float,
                                                                                           seed: int) -> None:
    graph = random_graph("mst_prim", n, p, seed, max_weight=2)
    source, rng = seed % n, np.random.default_rng(seed)
    shuffled = nx.Graph()  # networkx's MST follows edge order among ties: shuffle it
    shuffled.add_nodes_from(graph)
    shuffled.add_edges_from(rng.permutation(np.array(list(graph.edges(data=True)), dtype=object)).tolist())
    component = nx.node_connected_component(graph, source)
    for tree, best in ((nx.minimum_spanning_tree(shuffled.subgraph(component)), True),
                       (nx.maximum_spanning_tree(shuffled.subgraph(component)), False)):
        answer = {v: v for v in graph} | {v: u for u, v in nx.bfs_edges(tree, source)}
        verdict = tie_aware_check("mst_prim", graph, source, answer)
        assert verdict["valid"], verdict
        optimum = nx.minimum_spanning_tree(graph.subgraph(component)).size("weight")
        assert verdict["optimum"] == pytest.approx(optimum)
        assert verdict["total"] == pytest.approx(tree.size("weight"))
        if best or tree.size("weight") == optimum:
            assert verdict["correct"] == 1.0 and verdict["optimal"]
        else:  # each of its edges may still be in *some* MST (ties): the weight tells
            assert verdict["ratio"] > 1 and not verdict["optimal"]


def test_a_fully_valid_answer_on_tied_lengths_is_correct_where_plain_agreement_is_not() -> None:
    """The issue's case: on a graph of tied path lengths a valid answer differs from the one the
    exact algorithm picks, yet every pointer is a shortest-path parent."""
    graph = nx.grid_2d_graph(4, 4)
    nx.set_edge_attributes(graph, 1.0, "weight")
    source = (0, 0)
    other = {v: v for v in graph} | {(i, j): ((i, j - 1) if j > 0 else (i - 1, j)) for i, j in graph if (i, j) != source}
    verdict = tie_aware_check("bellman_ford", graph, source, other)
    assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["ratio"] == 1.0


# --- dfs, scc, floyd_warshall ----------------------------------------------------------------

@PROPERTY
@given(n=st.integers(2, 9), p=st.floats(0.1, 0.6), seed=st.integers(0, 2**16))
def test_a_dfs_in_any_neighbour_order_is_a_dfs_forest(n: int, p: float, seed: int) -> None:
    graph = random_graph("dfs", n, p, seed)
    rng = np.random.default_rng(seed)
    shuffled = nx.DiGraph()
    shuffled.add_nodes_from(range(n))  # roots in node order, neighbours in a random order
    shuffled.add_edges_from(rng.permutation(np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)).tolist())
    answer = {v: v for v in graph} | {v: u for u, v in nx.dfs_edges(shuffled)}
    verdict = tie_aware_check("dfs", graph, None, answer)
    assert verdict["valid"] and verdict["optimal"], verdict


def test_a_spanning_forest_that_no_dfs_makes_is_valid_but_not_optimal() -> None:
    graph = nx.DiGraph([(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)])  # a triangle both ways
    verdict = tie_aware_check("dfs", graph, None, [0, 0, 0])  # a star: DFS would go 0 -> 1 -> 2
    assert verdict["valid"] and not verdict["optimal"] and verdict["correct"] == pytest.approx(2 / 3)


@PROPERTY
@given(n=st.integers(2, 9), p=st.floats(0.1, 0.7), seed=st.integers(0, 2**16))
def test_any_tree_per_component_along_out_edges_is_a_right_scc_answer(n: int, p: float, seed: int) -> None:
    graph = random_graph("strongly_connected_components_local", n, p, seed)
    exact = exact_answer("strongly_connected_components_local", graph, None)
    answer = {}
    for members in nx.strongly_connected_components(graph):
        root = next(v for v in members if exact[v] == v)
        inside = graph.subgraph(members).reverse()  # v points to u along v -> u
        answer |= {root: root} | {v: u for u, v in nx.bfs_edges(inside, root)}
    verdict = tie_aware_check("strongly_connected_components_local", graph, None, answer)
    assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"], verdict
    clrs = exact_answer("strongly_connected_components", graph, None)
    assert tie_aware_check("strongly_connected_components", graph, None, clrs)["correct"] == 1.0


@settings(derandomize=True, max_examples=20, deadline=None)
@given(n=st.integers(2, 7), p=st.floats(0.1, 0.8), seed=st.integers(0, 2**16))
def test_floyd_warshall_rows_of_any_shortest_path_parents_pass(n: int, p: float, seed: int) -> None:
    graph = random_graph("floyd_warshall", n, p, seed, max_weight=2)
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        parents, _ = nx.dijkstra_predecessor_and_distance(graph, i)
        rows.append([parents[j][rng.integers(len(parents[j]))] if parents.get(j) else i for j in range(n)])
    verdict = tie_aware_check("floyd_warshall", graph, None, {"Pi": np.array(rows)})
    assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"], verdict


# --- minimum spanning forests, topological orders, cut sets ---------------------------------------

def undirected(*pairs: tuple) -> dict:
    """Flags ``{u: {v: True}}`` on each pair, both ways (an undirected edge as solve returns it)."""
    flags: dict = {}
    for u, v in pairs:
        flags.setdefault(u, {})[v] = True
        flags.setdefault(v, {})[u] = True
    return flags


def one_way(n: int, *pairs: tuple) -> np.ndarray:
    """``n x n`` flags on exactly the given ordered pairs."""
    flags = np.zeros((n, n), dtype=bool)
    for u, v in pairs:
        flags[u, v] = True
    return flags


def chain(order: list) -> dict:
    """A topological answer listing ``order``: successors and the first node."""
    return {"topo": dict(zip(order, order[1:] + order[-1:])), "topo_head": order[0]}


SQUARE = nx.Graph()  # a 4-cycle of weights 1, 2, 1, 2 and a diagonal of weight 3: minimum weight 4
SQUARE.add_weighted_edges_from([(0, 1, 1.0), (1, 2, 2.0), (2, 3, 1.0), (3, 0, 2.0), (0, 2, 3.0)])
DIAMOND = nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)])  # two topological orders
BOWTIE = nx.Graph([(0, 1), (1, 2), (2, 3), (3, 4), (4, 2)])  # cut nodes 1, 2; bridges 0-1, 1-2


def test_a_minimum_spanning_forest_on_a_hand_checked_graph() -> None:
    for best in (undirected((0, 1), (1, 2), (2, 3)), undirected((0, 1), (3, 0), (2, 3))):  # tied weight-2 edges
        assert tie_aware_check("mst_kruskal", SQUARE, None, {"in_mst": best}) == {
            "valid": True, "problem": None, "correct": 1.0, "total": 4.0, "optimum": 4.0, "ratio": 1.0, "optimal": True}
    heavy = tie_aware_check("mst_kruskal", SQUARE, None, undirected((0, 1), (2, 3), (0, 2)))  # the diagonal: in no MST
    assert heavy["valid"] and heavy["correct"] == pytest.approx(2 / 3)
    assert heavy["total"] == 5.0 and heavy["ratio"] == 1.25 and not heavy["optimal"]
    two_parts = nx.Graph([(0, 1), (2, 3), (3, 4), (4, 2)])
    assert structure("mst_kruskal", two_parts, None, undirected((0, 1), (2, 3), (3, 4))) == (True, None)  # n - 2 edges
    assert tie_aware_check("mst_kruskal", SQUARE, None, one_way(4, (0, 1), (1, 0)))["correct"] == 1.0  # a dense mask


@PROPERTY
@given(n=st.integers(2, 10), p=st.floats(0.0, 0.8), seed=st.integers(0, 2**16))
def test_any_minimum_spanning_forest_passes_and_a_heavier_one_is_valid_but_not_optimal(n: int, p: float,
                                                                                       seed: int) -> None:
    graph = random_graph("mst_kruskal", n, p, seed, max_weight=2)
    shuffled = nx.Graph()  # networkx's forests follow edge order among ties: shuffle it
    shuffled.add_nodes_from(graph)
    rng = np.random.default_rng(seed)
    shuffled.add_edges_from(rng.permutation(np.array(list(graph.edges(data=True)), dtype=object)).tolist())
    optimum = nx.minimum_spanning_tree(graph).size("weight")
    for forest in (nx.minimum_spanning_tree(shuffled), nx.maximum_spanning_tree(shuffled)):
        verdict = tie_aware_check("mst_kruskal", graph, None, {"in_mst": undirected(*forest.edges)})
        assert verdict["valid"] and verdict["optimum"] == optimum, verdict
        assert verdict["total"] == forest.size("weight") and verdict["optimal"] == (verdict["total"] == optimum)
        assert verdict["correct"] == 1.0 or not verdict["optimal"]


def test_every_topological_order_is_right_and_an_order_against_an_arc_is_not() -> None:
    for order in ([0, 1, 2, 3], [0, 2, 1, 3]):
        verdict = tie_aware_check("topological_sort", DIAMOND, None, chain(order))
        assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"], verdict
    backwards = tie_aware_check("topological_sort", DIAMOND, None, chain([0, 1, 3, 2]))  # 2 -> 3 runs back
    assert not backwards["valid"] and backwards["correct"] == 0.75 and not backwards["optimal"]
    assert tie_aware_check("topological_sort", DIAMOND, None, [1, 1, 3, 3])["correct"] == 0.0  # no chain, no order
    assert structure("topological_sort", DIAMOND, None, [1, 2, 3, 3]) == (True, None)  # the head left out


@PROPERTY
@given(n=st.integers(2, 9), p=st.floats(0.1, 0.8), seed=st.integers(0, 2**16))
def test_a_random_topological_order_passes_and_swapping_an_arc_s_ends_fails(n: int, p: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    graph = nx.relabel_nodes(random_graph("topological_sort", n, p, seed), dict(enumerate(rng.permutation(n))))
    rank = rng.permutation(n)
    order = list(nx.lexicographical_topological_sort(graph, key=lambda v: rank[v]))
    verdict = tie_aware_check("topological_sort", graph, None, chain(order))
    assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"], verdict
    if graph.number_of_edges():
        u, v = next(iter(graph.edges))
        swapped = [v if x == u else u if x == v else x for x in order]
        valid, problem = structure("topological_sort", graph, None, chain(swapped))
        assert valid is False and "arc(s) run against the order" in problem, problem


def test_chain_order_lists_one_chain_and_refuses_anything_else() -> None:
    assert chain_order([0, 2, 0]).tolist() == [1, 2, 0]
    assert chain_order([1, 0, 2]) is None and chain_order([0, 1]) is None and chain_order([3, 0]) is None


def test_cut_sets_are_unchecked_as_structure_but_compared_with_networkx() -> None:
    exact = tie_aware_check("articulation_points", BOWTIE, None, {"is_cut": {v: v in (1, 2) for v in BOWTIE}})
    assert exact == {"valid": None, "problem": UNCHECKED_SET.format("nodes"), "correct": 1.0, "total": None,
                     "optimum": None, "ratio": None, "optimal": True, "precision": 1.0, "recall": 1.0}
    half = tie_aware_check("articulation_points", BOWTIE, None, [0, 1, 0, 1, 0])  # flags in node order: 1 and 3
    assert (half["correct"], half["precision"], half["recall"], half["optimal"]) == (0.6, 0.5, 0.5, False)
    bridges = tie_aware_check("bridges", BOWTIE, None, {"is_bridge": undirected((0, 1), (2, 3))})
    assert bridges["valid"] is None and bridges["problem"] == UNCHECKED_SET.format("edges")
    assert (bridges["correct"], bridges["precision"], bridges["recall"]) == (0.6, 0.5, 0.5)
    none = tie_aware_check("bridges", BOWTIE, None, {"is_bridge": {}})
    assert (none["correct"], none["precision"], none["recall"], none["optimal"]) == (0.6, 1.0, 0.0, False)


@PROPERTY
@given(algorithm=st.sampled_from(["articulation_points", "bridges"]), n=st.integers(2, 9), p=st.floats(0.1, 0.8),
       seed=st.integers(0, 2**16))
def test_a_cut_set_s_share_right_is_one_minus_its_difference_from_networkx_s(algorithm: str, n: int, p: float,
                                                                             seed: int) -> None:
    graph = random_graph(algorithm, n, p, seed)
    rng = np.random.default_rng(seed)
    if algorithm == "articulation_points":
        mine, truth, items = {v for v in graph if rng.random() < 0.3}, set(nx.articulation_points(graph)), n
        answer = {v: v in mine for v in graph}
    else:
        mine = {frozenset(e) for e in graph.edges if rng.random() < 0.3}
        truth, items = {frozenset(e) for e in nx.bridges(graph)}, graph.number_of_edges()
        answer = undirected(*map(tuple, mine))
    verdict = tie_aware_check(algorithm, graph, None, answer)
    assert verdict["valid"] is None and verdict["optimal"] == (mine == truth)
    assert verdict["correct"] == pytest.approx(1 - len(mine ^ truth) / items if items else 1.0)


# --- arrays --------------------------------------------------------------------------------------

@PROPERTY
@given(keys=st.lists(st.integers(0, 3), min_size=2, max_size=9), seed=st.integers(0, 2**16))
def test_any_sorted_order_of_tied_keys_is_a_right_sort(keys: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    order = sorted(range(len(keys)), key=lambda i: (keys[i], rng.random()))  # ties in a random order
    pred = np.empty(len(keys), dtype=int)
    pred[order[0]] = order[0]
    pred[order[1:]] = order[:-1]
    verdict = tie_aware_check("insertion_sort", keys, None, pred)
    assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"]
    backwards = np.empty(len(keys), dtype=int)
    backwards[order[-1]] = order[-1]
    backwards[order[:-1]] = order[1:]
    verdict = tie_aware_check("insertion_sort", keys, None, backwards)
    assert verdict["valid"] and verdict["optimal"] == (len(set(keys)) == 1)


def test_minimum_and_search_accept_every_position_of_a_tied_answer() -> None:
    assert tie_aware_check("minimum", [3, 1, 2, 1], None, {"min": 3})["correct"] == 1.0
    assert tie_aware_check("minimum", [3, 1, 2, 1], None, {"min": 2})["correct"] == 0.0
    keys = {"key": [0.1, 0.5, 0.5, 0.9], "target": 0.3}
    assert [tie_aware_check("binary_search_fixed", keys, None, i)["correct"] for i in range(4)] == [0, 1, 1, 0]
    assert tie_aware_check("binary_search", [0.1, 0.2], 0.9, 1)["correct"] == 1.0  # none >= target: CLRS's last


# --- broken answers say what is wrong -----------------------------------------------------------

PATH = nx.path_graph(4)
ORDERED_10 = nx.DiGraph()
ORDERED_10.add_nodes_from([0, 1])  # node order 0, 1: no earlier node reaches 0
ORDERED_10.add_edge(1, 0)
BROKEN = {
    "mst-self-pointer": ("mst_prim", nx.path_graph(3), 0, [0, 0, 2], "1 reachable node.* point to themselves.*e.g. 2"),
    "cycle": ("bfs", PATH, 0, [0, 2, 1, 2], r"do not lead back to the source \(e.g. 1, in a cycle\)"),
    "not-an-edge": ("bfs", PATH, 0, [0, 0, 1, 0], r"along no edge of the graph \(e.g. 3 -> 0\)"),
    "source-moves": ("bellman_ford", PATH, 1, [1, 0, 1, 2], "the source 1 points to 0, not to itself"),
    "unreachable-points": ("bfs", nx.Graph([(0, 1), (2, 3)]), 0, [0, 0, 3, 2], "unreachable node.*e.g. 2 -> 3"),
    "not-a-node": ("bfs", PATH, 0, [0, 0, 1, 9], "names something that is not a node"),
    "dag-backwards": ("dag_shortest_paths", nx.DiGraph([(0, 1), (1, 2)]), 0, [0, 2, 1], "along no edge"),
    "dfs-root-reached": ("dfs", nx.DiGraph([(0, 1)]), None, [0, 1], "point to themselves though an earlier root"),
    "dfs-missing-root": ("dfs", ORDERED_10, None, [1, 1], "do not point to themselves"),
    "scc-two-roots": ("strongly_connected_components_local", nx.DiGraph([(0, 1), (1, 0)]), None, [0, 1],
                      "1 component.* have 2 roots, not 1"),
    "scc-across": ("strongly_connected_components_local", nx.DiGraph([(0, 1)]), None, [1, 1],
                   "leave their component"),
    "sort-two-heads": ("insertion_sort", [3, 1, 2], None, [2, 1, 2], "2 nodes point to themselves, not 1"),
    "sort-fork": ("insertion_sort", [3, 1, 2], None, [1, 1, 1], "predecessor of several"),
    "floyd-row": ("floyd_warshall", PATH, None, np.array([[0, 0, 1, 2]] * 4), "rows are not shortest-path trees"),
    "mst-cycle": ("mst_kruskal", SQUARE, None, undirected((0, 1), (1, 2), (2, 0), (2, 3)),
                  r"the flagged edges close 1 cycle\(s\) \(e.g. through \d\)"),
    "mst-not-spanning": ("mst_kruskal", PATH, None, {"in_mst": undirected((1, 2), (2, 3))},
                         r"1 connected component\(s\) of the graph are not spanned .*\(e.g. the one of 0\)"),
    "mst-one-way": ("mst_kruskal", PATH, None, one_way(4, (0, 1), (1, 2), (2, 1), (2, 3), (3, 2)),
                    r"1 edge\(s\) flagged one way only \(e.g. \(0, 1\)\)"),
    "mst-off-graph": ("mst_kruskal", PATH, None, undirected((0, 1), (1, 2), (2, 3), (0, 3)),
                      r"^2 flag\(s\) on no edge of the graph \(e.g. \(0, 3\)\)$"),  # the path is still a tree
    "bridge-off-graph": ("bridges", PATH, None, {"is_bridge": {0: {2: True}}}, r"1 flag\(s\) on no edge.*\(0, 2\)"),
    "bridge-one-way": ("bridges", PATH, None, {"is_bridge": {2: {1: True}}}, r"flagged one way only \(e.g. \(2, 1\)\)"),
    "topo-two-ends": ("topological_sort", DIAMOND, None, [1, 1, 3, 3], "2 nodes point to themselves, not 1"),
    "topo-fork": ("topological_sort", DIAMOND, None, [1, 3, 3, 3], r"1 node\(s\) are the successor of several"),
    "topo-cycle": ("topological_sort", DIAMOND, None, [1, 0, 3, 3], "lead into a cycle"),
    "topo-head": ("topological_sort", DIAMOND, None, chain([0, 1, 2, 3]) | {"topo_head": 2},
                  "the head is 2, but the chain starts at 0"),
    "topo-head-not-a-node": ("topological_sort", DIAMOND, None, chain([0, 1, 2, 3]) | {"topo_head": 7},
                             "names something that is not a node"),
    "topo-backwards": ("topological_sort", DIAMOND, None, [1, 3, 2, 2],
                       r"1 arc\(s\) run against the order \(e.g. 2 -> 3\)"),
}


@pytest.mark.parametrize("algorithm, data, source, answer, problem", BROKEN.values(), ids=BROKEN.keys())
def test_broken_answers_are_flagged_with_what_is_wrong(algorithm: str, data: object, source: object,
                                                       answer: object, problem: str) -> None:
    valid, message = structure(algorithm, data, source, answer)
    assert not valid and message and "\n" not in message
    assert re.search(problem, message), message
    verdict = tie_aware_check(algorithm, data, source, answer)
    assert not verdict["valid"] and verdict["problem"] == message and verdict["total"] is None


def test_answers_in_every_shape_solve_returns_or_a_user_writes() -> None:
    graph = nx.relabel_nodes(nx.path_graph(3), {0: "a", 1: "b", 2: "c"})
    for answer in ({"pi": np.array(["a", "a", "b"], dtype=object)}, ["a", "a", "b"], {"a": "a", "b": "a", "c": "b"}):
        assert structure("bfs", graph, "a", answer) == (True, None)
    grid = nx.grid_2d_graph(1, 3)  # tuple labels
    assert structure("bfs", grid, (0, 0), [(0, 0), (0, 0), (0, 1)]) == (True, None)
    assert structure("bridges", graph, None, {"a": {"b": True}, "b": {"a": True}})[0] is None
    assert structure("articulation_points", graph, None, np.array([0.0, 1.0, 0.0]))[0] is None
    with pytest.raises(ValueError, match="the answer flags 'z', which is not a node of the graph"):
        structure("bridges", graph, None, {"a": {"z": True}})
    with pytest.raises(ValueError, match=r"expected flags of shape \(3, 3\)"):
        structure("mst_kruskal", graph, None, [1, 0, 1])
    with pytest.raises(ValueError, match="no structural check for 'quickselect'"):
        structure("quickselect", [3, 1, 2], None, 0)


# --- building blocks -----------------------------------------------------------------------------

def test_edges_merge_parallel_arcs_into_the_lightest_and_drop_self_loops() -> None:
    edges = Edges.of(3, [0, 0, 1, 2], [1, 1, 1, 0], [2.0, 1.0, 5.0, 3.0])
    assert edges.senders.tolist() == [0, 2] and edges.receivers.tolist() == [1, 0]
    assert edges.weights.tolist() == [1.0, 3.0]
    assert edges.find(np.array([2, 1]), np.array([0, 0])).tolist() == [1, -1]


def test_pointer_roots_and_path_sums() -> None:
    pointer = np.array([0, 0, 1, 4, 3, 5])  # a chain to 0, a 2-cycle, a root
    assert pointer_roots(pointer).tolist() == [0, 0, 0, -1, -1, 5]
    tree = np.array([0, 0, 1, 2])
    assert path_sums(tree, np.array([9.0, 1.0, 2.0, 4.0])).tolist() == [0.0, 1.0, 3.0, 7.0]


def test_shortest_path_pointers_are_judged_by_depth_the_fewest_arcs_of_a_shortest_path() -> None:
    graph = nx.Graph()
    graph.add_weighted_edges_from([(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0), (0, 3, 3.0), (0, 4, 1.0)])
    # 3 is reached as well by 0-3 (one arc) as by 0-1-2-3: depth 1; pointer 3 -> 0 is right
    right = tie_aware_check("bellman_ford", graph, 0, {"pi": {0: 0, 1: 0, 2: 1, 3: 0, 4: 0}})
    assert right["correct_by_hops"] == {1: [3, 3], 2: [1, 1]}
    wrong = tie_aware_check("bellman_ford", graph, 0, {"pi": {0: 0, 1: 0, 2: 3, 3: 0, 4: 1}})
    assert wrong["correct_by_hops"] == {1: [2, 3], 2: [0, 1]}  # 4 -> 1 and 2 -> 3 are longer
    assert "correct_by_hops" not in tie_aware_check("mst_prim", graph, 0, {"pi": {0: 0, 1: 0, 2: 1, 3: 2, 4: 0}})
