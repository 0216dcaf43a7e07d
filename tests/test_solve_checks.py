"""``dear.solve`` never answers silently wrong: bad graphs get one line naming the fix, equal
weights are tie-broken deterministically, and pointers that are no tree come back repaired (or
flagged with ``repair=False``)."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dear
from dear.checking import Edges, pointer_structure, tie_aware_check
from dear.cli import main
from dear.solve.check import checked_outputs
from dear.solve.convert import TIE_BREAK, GraphEdges, model_batch, tie_broken, validate_graph
from dear.solve.repair import max_arborescence, repair

SOURCED = ("bfs", "bellman_ford", "dag_shortest_paths", "mst_prim")


def _graph(edges: list, directed: bool = False) -> nx.Graph:
    graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_edges_from(edges)
    return graph


def _weighted(*triples: tuple) -> nx.Graph:
    graph = nx.Graph()
    for u, v, *w in triples:
        graph.add_edge(u, v, **({"weight": w[0]} if w else {}))
    return graph


# --- input validation: one line that names the fix --------------------------------------------

BAD_INPUTS = {
    "directed-for-bfs": ("bfs", _graph([(0, 1), (1, 2)], directed=True), 2,
                         r"bfs needs an undirected graph, got a directed one; pass G\.to_undirected\(\)"),
    "directed-for-mst": ("mst_prim", _graph([(0, 1)], directed=True), 0, r"G\.to_undirected\(\)"),
    "undirected-for-dfs": ("dfs", nx.path_graph(3), None,
                           r"dfs needs a directed graph, got an undirected one; pass G\.to_directed\(\)"),
    "undirected-for-scc": ("strongly_connected_components_local", nx.path_graph(3), None, r"G\.to_directed\(\)"),
    "undirected-for-dag": ("dag_shortest_paths", nx.path_graph(3), 0, r"G\.to_directed\(\)"),
    "self-loop": ("bfs", _graph([(0, 0), (0, 1)]), 0,
                  r"self-loop at node 0; remove self-loops with G\.remove_edges_from\(list\(nx\.selfloop_edges\(G\)\)\)"),
    "parallel-edges": ("bellman_ford", nx.MultiGraph([(0, 1), (0, 1)]), 0,
                       r"2 parallel edges between 0 and 1; keep one edge per pair \(nx\.Graph\(G\)"),
    "negative-weight": ("bellman_ford", _weighted((0, 1, -1.0), (1, 2, 1.0)), 0,
                        r"edge \(0, 1\) has the negative weight -1; bellman_ford needs positive weights"),
    "negative-weight-dag": ("dag_shortest_paths", nx.DiGraph([(0, 1, {"weight": -2.0})]), 0, "negative weight -2"),
    "nan-weight": ("mst_prim", _weighted((0, 1, math.nan)), 0, r"edge \(0, 1\) has weight NaN; give it a positive"),
    "inf-weight": ("bellman_ford", _weighted((0, 1, math.inf)), 0, "infinite weight; remove the edge"),
    "zero-weight": ("mst_prim", _weighted((0, 1, 0.0)), 0, "weight 0, which the models cannot tell from no edge"),
    "text-weight": ("bellman_ford", _weighted((0, 1, "heavy")), 0, "weight 'heavy', not a real number"),
    "missing-weight": ("mst_prim", _weighted((0, 1, 2.0), (1, 2)), 0,
                       r"edge \(1, 2\) has no 'weight' while 1 other edge\(s\) have one; give every edge a weight"),
    "empty-graph": ("bfs", nx.Graph(), None, r"the graph is empty \(no nodes\)"),
    "one-node": ("bfs", nx.empty_graph(1), 0, r"the graph has 1 node\(s\); bfs needs at least 2"),
    "source-not-a-node": ("bfs", nx.path_graph(3), 7, r"source 7 is not a node of the graph; pass one of its nodes"),
    "unhashable-source": ("bfs", nx.path_graph(3), [0], r"source \[0\] is not a node"),
    "source-for-dfs": ("dfs", nx.DiGraph([(0, 1)]), 0, "dfs takes no source node; leave source out"),
    "dag-with-cycle": ("dag_shortest_paths", nx.DiGraph([(0, 1), (1, 0)]), 0, r"needs a directed acyclic graph, but G "
                                                                             r"has the cycle \[0, 1\]"),
    "directed-for-kruskal": ("mst_kruskal", _graph([(0, 1), (1, 2)], directed=True), None, r"G\.to_undirected\(\)"),
    "directed-for-bridges": ("bridges", _graph([(0, 1)], directed=True), None, r"G\.to_undirected\(\)"),
    "directed-for-cut-nodes": ("articulation_points", _graph([(0, 1)], directed=True), None,
                               r"articulation_points needs an undirected graph.*G\.to_undirected\(\)"),
    "undirected-for-topological": ("topological_sort", nx.path_graph(3), None, r"G\.to_directed\(\)"),
    "topological-with-cycle": ("topological_sort", nx.DiGraph([(0, 1), (1, 2), (2, 1)]), None,
                               r"topological_sort needs a directed acyclic graph, but G has the cycle \[1, 2\]"),
    "source-for-topological": ("topological_sort", nx.DiGraph([(0, 1)]), 0, "takes no source node"),
    "not-a-graph": ("bfs", "0 1", 0, r"bfs needs a networkx graph, a torch_geometric Data or an adjacency matrix "
                                     r"\(or a list of them\), got str"),
    "adjacency-with-loops": ("bfs", np.ones((3, 3)), 0, "self-loop at node 0"),
    "asymmetric-adjacency": ("bfs", np.triu(np.ones((3, 3)), 1), 0,
                             r"bfs needs an undirected graph, but the adjacency matrix is not symmetric: it has the "
                             r"edge \(0, 1\) but not \(1, 0\)"),
}


@pytest.mark.parametrize("algorithm, graph, source, message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_graphs_get_one_line_naming_the_fix(algorithm: str, graph: object, source: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        dear.solve(algorithm, graph, source)  # refused before the model loads
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match=message):  # and on the path bench and the fuzz tests take
        model_batch(algorithm, graph, source, exact=False, steps=False)


def test_unweighted_algorithms_ignore_weights() -> None:
    graph = _weighted((0, 1, -1.0), (1, 2, math.nan), (2, 3))
    validate_graph("bfs", graph, 0)  # no error: bfs reads no weights
    batch, _, _ = model_batch("bfs", graph, 0, exact=False, steps=False)
    assert set(batch["input_A"].tolist()) <= {0.0, 1.0}


# --- the tie-break -------------------------------------------------------------------------------

def test_the_tie_break_separates_equal_weights_deterministically_and_symmetrically() -> None:
    senders, receivers = np.array([0, 1, 1, 2, 0, 2]), np.array([1, 0, 2, 1, 2, 0])
    edges = GraphEdges(senders, receivers, np.ones(6), 3, 0)
    broken = tie_broken(edges, directed=False)
    assert np.array_equal(broken.weights, tie_broken(edges, directed=False).weights)  # the same every run
    by_pair = {(min(u, v), max(u, v)): w for u, v, w in zip(senders, receivers, broken.weights)}
    assert all(by_pair[min(u, v), max(u, v)] == w for u, v, w in zip(senders, receivers, broken.weights))
    assert len(set(by_pair.values())) == 3  # ties broken
    assert np.all(np.abs(broken.weights - 1) <= TIE_BREAK)
    directed = tie_broken(edges, directed=True).weights
    assert len(set(directed.tolist())) == 6


@settings(derandomize=True, max_examples=25, deadline=None)
@given(n=st.integers(3, 10), p=st.floats(0.3, 0.9), seed=st.integers(0, 2**16))
def test_the_exact_answer_on_tied_weights_is_one_of_the_tied_answers(n: int, p: float, seed: int) -> None:
    """Unit weights tie everything; the tie-broken exact answer is still a valid optimal one."""
    graph = nx.gnp_random_graph(n, p, seed=seed)
    for algorithm in ("mst_prim", "bellman_ford"):
        _, nodes, trajectory = model_batch(algorithm, graph, 0, exact=True, steps=False)
        answer = [nodes[int(i)] for i in trajectory.outputs["pi"]]
        verdict = tie_aware_check(algorithm, graph, 0, answer)
        assert verdict["valid"] and verdict["correct"] == 1.0 and verdict["optimal"], (algorithm, verdict)


# --- the arborescence decoder --------------------------------------------------------------------

@settings(derandomize=True, max_examples=80, deadline=None)
@given(n=st.integers(2, 12), p=st.floats(0.1, 0.9), seed=st.integers(0, 2**16), integer=st.booleans())
def test_max_arborescence_matches_networkx(n: int, p: float, seed: int, integer: bool) -> None:
    rng = np.random.default_rng(seed)
    graph = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    graph.add_edges_from((0, v) for v in range(1, n) if not nx.has_path(graph, 0, v))
    parents, children = (np.array(side, dtype=np.int64) for side in zip(*graph.edges))
    scores = rng.integers(-3, 4, parents.size).astype(float) if integer else rng.normal(size=parents.size)
    result = max_arborescence(n, parents, children, scores, 0)
    mine = nx.DiGraph((int(result[v]), v) for v in range(1, n))
    mine.add_nodes_from(range(n))
    assert result[0] == 0 and nx.is_arborescence(mine)
    reference = nx.DiGraph()
    reference.add_weighted_edges_from((int(u), int(v), s) for u, v, s in zip(parents, children, scores) if v != 0)
    best = nx.maximum_spanning_arborescence(reference).size("weight")
    score = dict(zip(zip(parents.tolist(), children.tolist()), scores))
    assert sum(score[int(result[v]), v] for v in range(1, n)) == pytest.approx(best)


def test_max_arborescence_is_fast_on_ten_thousand_nodes() -> None:
    graph = nx.gnm_random_graph(10_000, 50_000, seed=0, directed=True)
    graph.add_edges_from((0, v) for v in range(1, 10_000, 7))
    reach = sorted(nx.descendants(graph, 0) | {0})
    sub = nx.convert_node_labels_to_integers(graph.subgraph(reach))
    parents, children = (np.array(side) for side in zip(*sub.edges))
    result = max_arborescence(len(reach), parents, children, np.random.default_rng(0).normal(size=parents.size), 0)
    assert (pointer_structure("bfs", Edges.of(len(reach), parents, children), 0, result)[0])


def test_max_arborescence_refuses_unreachable_nodes() -> None:
    with pytest.raises(ValueError, match="cannot be reached"):
        max_arborescence(3, np.array([0]), np.array([1]), np.array([1.0]), 0)


# --- repair --------------------------------------------------------------------------------------

def _random_scores(batch, seed: int) -> np.ndarray:  # noqa: ANN001
    return np.random.default_rng(seed).normal(size=batch.edge_index.shape[1])


@settings(derandomize=True, max_examples=30, deadline=None)
@given(algorithm=st.sampled_from(SOURCED + ("dfs", "strongly_connected_components_local")), n=st.integers(2, 12),
       p=st.floats(0.05, 0.6), seed=st.integers(0, 2**16))
def test_repair_of_random_scores_is_always_a_valid_answer(algorithm: str, n: int, p: float, seed: int) -> None:
    directed = algorithm in ("dfs", "dag_shortest_paths", "strongly_connected_components_local")
    graph = nx.gnp_random_graph(n, p, seed=seed, directed=directed)
    if algorithm == "dag_shortest_paths":
        graph = nx.DiGraph([(u, v) for u, v in graph.edges if u < v])
        graph.add_nodes_from(range(n))
    source = seed % n if algorithm in SOURCED else None
    batch, nodes, _ = model_batch(algorithm, graph, source, exact=False, steps=False)
    scores = _random_scores(batch, seed)
    edge_index = batch.edge_index.numpy()
    outputs = {"scc_id" if algorithm.startswith("strongly") else "pi": edge_index[0][np.argsort(-scores)][:n] % n}
    verdict = checked_outputs(algorithm, batch, outputs, {k: scores for k in outputs}, nodes)
    assert verdict["valid"] is True
    answer = [nodes[i] for i in next(iter(outputs.values()))]  # positions -> labels (a DAG's come in edge order)
    assert tie_aware_check(algorithm, graph, source, answer)["valid"]


def test_repair_keeps_what_the_model_likes_best() -> None:
    """The issue's mst_prim answer [0, 0, 2] on a path: node 2 points to itself; the repair
    hangs it under 1 (its only way into the tree) and keeps the rest."""
    graph = nx.path_graph(3)
    batch, nodes, _ = model_batch("mst_prim", graph, 0, exact=False, steps=False)
    edge_index = batch.edge_index.numpy()
    scores = np.where(edge_index[0] == edge_index[1], 2.0, 0.0)  # the model prefers self-pointers
    outputs = {"pi": np.array([0, 0, 2])}
    verdict = checked_outputs("mst_prim", batch, outputs, {"pi": scores}, nodes)
    assert verdict == {"valid": True, "repaired": True,
                       "problem": "1 reachable node(s) point to themselves, outside the tree (e.g. 2)"}
    assert outputs["pi"].tolist() == [0, 0, 1]
    raw = {"pi": np.array([0, 0, 2])}
    assert checked_outputs("mst_prim", batch, raw, {"pi": scores}, nodes, repair_invalid=False)["valid"] is False
    assert raw["pi"].tolist() == [0, 0, 2]


def test_repair_of_a_sort_is_one_chain_and_of_floyd_warshall_is_trees_per_row() -> None:
    rng = np.random.default_rng(0)
    chain = repair("insertion_sort", None, None, {"log_perm": rng.normal(size=(6, 6)), "first": rng.normal(size=6)},
                   np.zeros((2, 0), dtype=np.int64))
    assert pointer_structure("insertion_sort", None, None, chain, list(range(6))) == (True, None)
    graph = nx.Graph([(0, 1), (1, 2), (3, 4)])
    batch, nodes, _ = model_batch("floyd_warshall", graph, None, exact=False, steps=False)
    scores = rng.normal(size=(batch.edge_index.shape[1], 5))
    edges = Edges.of(5, [0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3])
    Pi = repair("floyd_warshall", edges, None, scores, batch.edge_index.numpy())
    assert pointer_structure("floyd_warshall", edges, None, Pi) == (True, None)


# --- solve with a shipped model: whatever its accuracy, valid or flagged ------------------------

@pytest.mark.parametrize("algorithm", ["mst_prim", "bfs"])
def test_solve_returns_a_valid_answer_or_its_own_flagged(algorithm: str) -> None:
    graph = nx.davis_southern_women_graph()  # unweighted: every spanning tree ties
    source = "Evelyn Jefferson"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = dear.solve(algorithm, graph, source, repair=False)
        fixed = dear.solve(algorithm, graph, source, check=True)
    assert fixed["valid"] is True and fixed["check"]["valid"] and fixed["check"]["ratio"] == pytest.approx(1.0)
    assert raw["repaired"] is False and raw["valid"] == (raw["problem"] is None)
    assert fixed["repaired"] == (not raw["valid"]) and fixed["problem"] == raw["problem"]
    if raw["valid"]:
        assert raw["pi"] == fixed["pi"]


def test_the_issue_example_is_a_tree() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = dear.solve("mst_prim", nx.path_graph(3), source=0, check=True)
    assert result["valid"] and result["pi"] == {0: 0, 1: 0, 2: 1} and result["check"]["correct"] == 1.0


# --- the command line ---------------------------------------------------------------------------

CLI_CASES = {
    "self-loop": ("bfs", "g.edgelist", "0 0 1.0\n0 1 1.0\n", [], "self-loop at node 0"),
    "negative": ("bellman_ford", "g.edgelist", "0 1 -1.0\n1 2 1.0\n", [], "negative weight -1"),
    "nan": ("mst_prim", "g.edgelist", "0 1 nan\n", [], "weight NaN"),
    "empty": ("bfs", "g.edgelist", "", [], "the graph is empty"),
    "source": ("bfs", "g.edgelist", "0 1 1.0\n", ["--source", "9"], "source 9 is not a node"),
    "directed-graphml": ("bfs", "g.graphml", None, [], r"G\.to_undirected\(\)"),
}


@pytest.mark.parametrize("algorithm, name, text, extra, message", CLI_CASES.values(), ids=CLI_CASES.keys())
def test_cli_refuses_bad_graphs_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture, algorithm: str, name: str,
                                            text: str | None, extra: list[str], message: str) -> None:
    path = tmp_path / name
    if text is None:
        nx.write_graphml(nx.DiGraph([(0, 1), (1, 2)]), path)
    else:
        path.write_text(text)
    assert main(["solve", algorithm, str(path), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dear solve: error: ") and "\n" not in err
    assert re.search(message, err), err


def test_cli_no_repair_returns_the_model_s_own_pointers(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "path.edgelist"
    path.write_text("0 1 1.0\n1 2 1.0\n")
    assert main(["solve", "mst_prim", str(path), "--source", "0", "--no-repair"]) == 0
    raw = json.loads(capsys.readouterr().out)
    assert main(["solve", "mst_prim", str(path), "--source", "0", "--check"]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert raw["repaired"] is False and fixed["valid"] is True and fixed["check"]["valid"] is True
    assert fixed["repaired"] == (raw["valid"] is False)
