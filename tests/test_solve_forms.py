"""``dear.solve`` takes a graph in any usual form and answers by node: networkx graphs with any
node ids, torch_geometric ``Data``, dense adjacency matrices, lists of them in one batch; the
answer comes keyed by node (with distances along it), as a networkx graph, as a PNG, and from
``dear solve`` as JSON keyed by node id."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch
from torch_geometric.data import Data

import dear
from dear.solve import pipeline
from dear.checking import tie_aware_check
from dear.cli import main
from dear.solve import NotConvergedWarning

PNG = b"\x89PNG\r\n\x1a\n"


def _weighted(graph: nx.Graph, seed: int = 0) -> nx.Graph:
    rng = np.random.default_rng(seed)
    for u, v in graph.edges:
        graph[u][v]["weight"] = float(rng.uniform(0.1, 1.0))
    return graph


def _towns(n: int = 10, seed: int = 1) -> nx.Graph:
    """A weighted graph whose nodes are names."""
    graph = _weighted(nx.gnp_random_graph(n, 0.4, seed=seed), seed)
    return nx.relabel_nodes(graph, {i: f"town{i}" for i in graph})


def _quiet(*args: object, **kwargs: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotConvergedWarning)
        return dear.solve(*args, **kwargs)


# --- answers keyed by node -----------------------------------------------------------------------

@pytest.mark.parametrize(("algorithm", "default"), [("bellman_ford", "dear-train32"), ("bfs", "dear"),
                                                     ("mst_prim", "dear-train128"), ("dijkstra", "dear-train64")])
def test_string_node_ids_key_every_pointer(algorithm: str, default: str) -> None:
    """Also: the result names the model used, by default the DEAR for users' larger graphs where
    one ships (bfs has none: the paper-protocol DEAR)."""
    graph = _towns()
    result = _quiet(algorithm, graph, "town3")
    assert result["algorithm"] == algorithm and result["model"] == default and result["source"] == "town3"
    assert list(result["pi"]) == list(graph.nodes) and set(result["pi"].values()) <= set(graph.nodes)
    assert result["valid"] is True and result["pi"]["town3"] == "town3"
    verdict = tie_aware_check(algorithm, graph, "town3", result)  # the checker reads {node: parent}
    assert verdict["valid"]
    assert _quiet(algorithm, graph)["source"] == "town0"  # the first node when left out


@pytest.mark.parametrize("algorithm, weighted", [("bellman_ford", True), ("bfs", False)])
def test_distances_are_path_lengths_along_the_returned_tree(algorithm: str, weighted: bool) -> None:
    graph = _towns(12, seed=4)
    graph.add_edge("far", "away", weight=0.5)  # a component the source does not reach
    result = _quiet(algorithm, graph, "town0")
    pi, distance = result["pi"], result["distance"]
    assert distance["town0"] == 0.0 and "far" not in distance and "away" not in distance
    reached = set(nx.node_connected_component(graph, "town0"))
    assert set(distance) == reached  # the answer is a valid tree over what the source reaches
    for v in reached - {"town0"}:
        step = graph[pi[v]][v]["weight"] if weighted else 1.0
        assert distance[v] == pytest.approx(distance[pi[v]] + step)


def test_floyd_warshall_answers_per_pair_of_nodes() -> None:
    graph = _towns(6, seed=2)
    result = _quiet("floyd_warshall", graph, check=True)
    nodes = list(graph.nodes)
    assert list(result["Pi"]) == nodes and all(list(row) == nodes for row in result["Pi"].values())
    assert all(result["Pi"][i][i] == i for i in nodes)
    assert set(result["distance"]["town0"]) <= set(nodes) and result["distance"]["town0"]["town0"] == 0.0
    assert result["check"]["valid"] == result["valid"] is True


# --- input forms ---------------------------------------------------------------------------------

def _forms(graph: nx.Graph) -> dict[str, object]:
    """One graph on nodes 0..n-1 in every form solve reads."""
    A = nx.to_numpy_array(graph, nodelist=range(graph.number_of_nodes()))
    senders, receivers = np.nonzero(A)
    edge_index = torch.tensor(np.stack([senders, receivers]))
    weights = torch.tensor(A[senders, receivers], dtype=torch.float32)
    return {"numpy": A, "torch": torch.tensor(A), "edge_weight": Data(edge_index=edge_index, edge_weight=weights,
                                                                        num_nodes=len(A)),
            "edge_attr": Data(edge_index=edge_index, edge_attr=weights[:, None], num_nodes=len(A))}


@pytest.mark.parametrize("algorithm", ["bellman_ford", "dfs"])
def test_adjacency_matrices_and_pyg_data_answer_as_networkx_does(algorithm: str) -> None:
    directed = algorithm == "dfs"
    graph = _weighted(nx.gnp_random_graph(9, 0.35, seed=5, directed=directed), seed=5)
    graph.add_nodes_from(range(9))
    source = 2 if algorithm == "bellman_ford" else None
    expected = _quiet(algorithm, graph, source)
    for form, data in _forms(graph).items():
        result = _quiet(algorithm, data, source)
        assert result["pi"] == expected["pi"], form  # float32 weights: the same answer
        assert result.get("distance", {}).keys() == expected.get("distance", {}).keys(), form


BAD_FORMS = {
    "not-square": (np.ones((2, 3)),
                   r"needs a square adjacency matrix of real numbers, got an array of shape \(2, 3\)"),
    "strings": (np.array([["0", "1"], ["1", "0"]]), "dtype <U1"),
    "asymmetric": (np.array([[0, 1], [0, 0]]),
                   r"the adjacency matrix is not symmetric: it has the edge \(0, 1\) but not \(1, 0\); make it"),
    "asymmetric-weights": (np.array([[0, 1], [2, 0]]), r"the edge \(0, 1\) weighs 1\.0 and \(1, 0\) 2\.0"),
    "negative": (np.array([[0, -1], [-1, 0]]), r"edge \(0, 1\) has the negative weight -1"),
    "one-way-edge-index": (Data(edge_index=torch.tensor([[0], [1]]), num_nodes=2),
                           r"edge_index is not symmetric: it has the edge \(0, 1\) but not \(1, 0\); add the reverse "
                           r"edges \(torch_geometric\.utils\.to_undirected\)"),
    "node-out-of-range": (Data(edge_index=torch.tensor([[0, 3], [3, 0]]), num_nodes=3),
                          r"edge_index names node 3, but the graph has 3 nodes"),
    "repeated-edge": (Data(edge_index=torch.tensor([[0, 0, 1], [1, 1, 0]]), num_nodes=2),
                      r"edge_index holds the edge \(0, 1\) 2 times; keep one per pair"),
    "wide-edge-attr": (Data(edge_index=torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.ones(2, 3), num_nodes=2),
                       r"edge_attr must hold one real weight per edge \(shape \[2\] or \[2, 1\]\)"),
    "float-edge-index": (Data(edge_index=torch.tensor([[0.0, 1.0], [1.0, 0.0]]), num_nodes=2),
                         r"edge_index must be an integer array of shape \[2, E\]"),
}


@pytest.mark.parametrize("data, message", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_bad_matrices_and_pyg_data_are_refused_in_one_line(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        dear.solve("bellman_ford", data, 0)
    assert "\n" not in str(error.value)


def test_a_list_of_graphs_is_one_batch_with_the_answer_of_each_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    graphs = [_towns(8, seed=1), _forms(_weighted(nx.cycle_graph(6)))["numpy"],
              _forms(_weighted(nx.path_graph(5), seed=3))["edge_weight"]]
    sources = ["town2", 3, 0]
    calls = []
    run_graphs = pipeline.run_graphs
    monkeypatch.setattr(pipeline, "run_graphs", lambda *args: calls.append(args) or run_graphs(*args))
    together = _quiet("bellman_ford", graphs, sources, check=True)
    assert len(calls) == 1 and int(calls[0][1].num_graphs) == 3  # one forward pass
    alone = [_quiet("bellman_ford", graph, source, check=True) for graph, source in zip(graphs, sources)]
    for mine, single in zip(together, alone):
        for key in ("source", "pi", "distance", "valid", "repaired", "converged", "exact", "agreement", "check"):
            assert mine[key] == single[key], key
        assert mine["diagnostics"]["iterations"] == single["diagnostics"]["iterations"]
    assert [r["source"] for r in _quiet("bfs", [nx.path_graph(3), nx.path_graph(4)], 1)] == [1, 1]  # one for all


@pytest.mark.parametrize("graphs, source, message", [
    ([], None, "the list of graphs is empty"),
    ([nx.path_graph(3), nx.DiGraph([(0, 1)])], None, r"graph 1: bfs needs an undirected graph, got a directed one"),
    ([nx.path_graph(3), nx.path_graph(2)], [0], r"1 sources for 2 graphs; pass one source per graph"),
    ([nx.path_graph(3), nx.path_graph(2)], [0, 5], r"graph 1: source 5 is not a node of the graph"),
])
def test_a_refused_batch_names_the_graph(graphs: list, source: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dear.solve("bfs", graphs, source)


# --- the answer as a graph, and drawn ------------------------------------------------------------

def test_as_graph_gives_the_tree_with_node_attributes() -> None:
    graph = _towns(9, seed=6)
    result = _quiet("bellman_ford", graph, "town1")
    answer = _quiet("bellman_ford", graph, "town1", as_graph=True)
    assert isinstance(answer, nx.DiGraph) and list(answer.nodes) == list(graph.nodes)
    assert set(answer.edges) == {(p, v) for v, p in result["pi"].items() if p != v}
    assert all(answer[p][v]["weight"] == graph[p][v]["weight"] for p, v in answer.edges)
    assert nx.get_node_attributes(answer, "pi") == result["pi"]
    assert nx.get_node_attributes(answer, "distance") == result["distance"]
    assert answer.graph["source"] == "town1" and answer.graph["valid"] is True and "pi" not in answer.graph
    batch = _quiet("bfs", [nx.path_graph(3), nx.star_graph(3)], as_graph=True)
    assert [set(a.edges) for a in batch] == [{(0, 1), (1, 2)}, {(0, 1), (0, 2), (0, 3)}]


def test_as_graph_of_keys_marks_the_answer() -> None:
    keys = [0.4, 0.1, 0.7, 0.3]
    minimum = _quiet("minimum", keys, as_graph=True)
    assert minimum.graph["min"] == 1 and nx.get_node_attributes(minimum, "min") == {0: False, 1: True, 2: False,
                                                                                      3: False}
    assert nx.get_node_attributes(minimum, "key") == dict(enumerate(keys))
    chain = _quiet("insertion_sort", keys, as_graph=True)
    assert chain.number_of_edges() == 3 and nx.is_arborescence(chain)


@pytest.mark.parametrize("algorithm, data, source", [
    ("bellman_ford", _towns(), "town2"),
    ("floyd_warshall", _towns(6), None),
    ("dfs", nx.gnp_random_graph(8, 0.3, seed=0, directed=True), None),
    ("insertion_sort", [0.4, 0.1, 0.7, 0.3], None),
    ("minimum", {"key": [0.4, 0.1, 0.7]}, None),
])
def test_plot_writes_a_png(tmp_path: Path, algorithm: str, data: object, source: object) -> None:
    result = _quiet(algorithm, data, source)
    path = dear.solve.plot(result, data, tmp_path / "answer.png")
    assert path.read_bytes().startswith(PNG) and path.stat().st_size > 1000
    drawn = dear.solve.plot(_quiet(algorithm, data, source, as_graph=True), data, tmp_path / "graph.png")
    assert drawn.read_bytes().startswith(PNG)


# --- the command line ----------------------------------------------------------------------------

def _solve_cli(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    assert main(["solve", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_reads_node_names_and_prints_json_keyed_by_node(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    edges = tmp_path / "roads.edgelist"
    edges.write_text("# towns\nParis Lyon 4.6\nLyon Nice 4.7\nParis Nice 9.3\nNice Genoa 1.9\n")
    png = tmp_path / "a.png"
    out = _solve_cli(capsys, "bellman_ford", str(edges), "--source", "Lyon", "--check", "--plot", str(png))
    assert list(out)[:10] == ["algorithm", "model", "source", "valid", "repaired", "problem", "converged",
                              "iterations", "residual", "tol"]
    assert (out["algorithm"], out["model"], out["source"]) == ("bellman_ford", "dear-train32", "Lyon")
    assert out["converged"] is True and out["iterations"] > 0 and out["tol"] == out["diagnostics"]["tol"]
    towns = ["Paris", "Lyon", "Nice", "Genoa"]
    assert list(out["pi"]) == towns and set(out["pi"].values()) <= set(towns) and out["pi"]["Lyon"] == "Lyon"
    assert out["valid"] is True and out["check"]["valid"] is True and set(out["distance"]) == set(towns)
    weight = {frozenset(line.split()[:2]): float(line.split()[2]) for line in edges.read_text().splitlines()[1:]}
    for town in set(towns) - {"Lyon"}:  # lengths along the answer's own tree
        parent = out["pi"][town]
        assert out["distance"][town] == pytest.approx(out["distance"][parent] + weight[frozenset((town, parent))])
    assert png.read_bytes().startswith(PNG)

    graphml = tmp_path / "roads.graphml"
    nx.write_graphml(nx.read_weighted_edgelist(edges), graphml)
    assert _solve_cli(capsys, "bellman_ford", str(graphml), "--source", "Lyon")["pi"] == out["pi"]
    named = tmp_path / "roads.json"
    named.write_text(json.dumps({"edges": [line.split()[:2] + [float(line.split()[2])]
                                           for line in edges.read_text().splitlines()[1:]]}))
    assert _solve_cli(capsys, "bellman_ford", str(named), "--source", "Lyon")["pi"] == out["pi"]


def test_cli_integer_looking_names_are_node_ids(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    edges = tmp_path / "g.edgelist"
    edges.write_text("0 1\n1 2\n2 3\n")  # no weights: bfs needs none
    out = _solve_cli(capsys, "bfs", str(edges), "--source", "2")
    assert out["source"] == 2 and out["pi"] == {"0": 1, "1": 2, "2": 2, "3": 2}
    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps({"nodes": [5], "edges": [[10, 20], [20, 30]]}))  # integer ids, an isolated node
    out = _solve_cli(capsys, "bfs", str(ids), "--source", "20")
    assert out["source"] == 20 and out["pi"] == {"5": 5, "10": 20, "20": 20, "30": 20}
    assert main(["solve", "bfs", str(edges), "--source", "Paris"]) == 2
    assert "source 'Paris' is not a node of the graph" in capsys.readouterr().err


def test_cli_keys_stay_arrays(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"key": [0.1, 0.3, 0.5, 0.9]}))
    out = _solve_cli(capsys, "binary_search_fixed", str(keys), "--source", "0.4", "--model", "nar")
    assert out["source"] == 0.4 and out["return"] in (0, 1, 2, 3) and out["iterations"] is None
    assert main(["solve", "insertion_sort", str(tmp_path / "keys.edgelist")]) == 2


# --- the package ---------------------------------------------------------------------------------

def test_not_converged_warns_at_the_caller() -> None:
    with pytest.warns(NotConvergedWarning, match="did not reach its tolerance") as record:
        dear.solve("bfs", nx.path_graph(12), 0, tol=1e-12, max_iter=2)
    assert record[0].filename == __file__
    with pytest.warns(NotConvergedWarning, match=r"on 2 of 2 graphs \(graph 0: residual"):
        dear.solve("bfs", [nx.path_graph(12), nx.path_graph(9)], 0, tol=1e-12, max_iter=2)


def test_dear_solve_is_the_function_and_the_package_and_imports_lazily() -> None:
    code = ("import sys, dear; assert callable(dear.solve) and 'solve_file' in dir(dear.solve); "
            "print(sorted(m for m in ('torch', 'numba', 'networkx', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"  # the package loads its modules on first use
    assert dear.solve.plot.__module__ == "dear.solve.drawing"
    assert dear.solve.solve.__module__ == "dear.solve.pipeline"
    from dear.solving import model_batch, pretrained_dir, solve, solve_file  # the old module still answers

    assert solve is dear.solve.solve and solve_file is dear.solve.solve_file
    assert callable(model_batch) and callable(pretrained_dir)
