"""``dear.solve`` on the answers that are no pointer tree: a minimum spanning forest's edges,
a topological order, cut nodes and bridges. Their checks and repairs on hand-made scores, the
repairs of random scores, the shipped mst_kruskal model end to end, and how their answers read."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dear
from dear.algorithms import get
from dear.checking import UNCHECKED_SET, structure, tie_aware_check
from dear.solve.answer import answer_graph, keyed_outputs, topological_order
from dear.solve.check import checked_outputs
from dear.solve.convert import Problem, batch_of, problem_of
from dear.specs import Type

SETS_AND_ORDERS = ("mst_kruskal", "topological_sort", "articulation_points", "bridges")


def _problem(algorithm: str, graph: nx.Graph) -> tuple[Problem, object, np.ndarray]:
    """The validated problem, the model's batch and its edges, as solve makes them."""
    problem = problem_of(algorithm, graph)
    batch, _ = batch_of(algorithm, [problem], exact=False, steps=False)
    return problem, batch, batch.edge_index.numpy()


def _on_edges(edge_index: np.ndarray, score: dict, default: float = -1.0) -> np.ndarray:
    """Per batch edge: ``score[(sender, receiver)]``, ``default`` elsewhere."""
    return np.array([score.get((u, v), default) for u, v in edge_index.T.tolist()])


def _hard(algorithm: str, edge_index: np.ndarray, n: int, scores: dict) -> dict[str, np.ndarray]:
    """What a model with these scores answers: each node's best-scoring pointer (the sender of
    its best in-edge), positive mask logits, the best one-node output."""
    outputs = {}
    for name, (_, _, kind) in get(algorithm).probes("output").items():
        values = scores[name]
        if kind == Type.POINTER:
            outputs[name] = np.array([edge_index[0][edge_index[1] == i][np.argmax(values[edge_index[1] == i])]
                                      for i in range(n)])
        elif kind == Type.MASK_ONE:
            outputs[name] = (np.arange(n) == np.argmax(values)).astype(np.float32)
        else:
            outputs[name] = (values > 0).astype(np.float32)
    return outputs


def _flagged(edge_index: np.ndarray, mask: np.ndarray) -> set:
    return {(u, v) for (u, v), flag in zip(edge_index.T.tolist(), mask.tolist()) if flag}


def _both_ways(*pairs: tuple) -> set:
    return {(u, v) for pair in pairs for u, v in (pair, pair[::-1])}


# --- repairs follow the scores ------------------------------------------------------------------

SQUARE = nx.Graph()  # a 4-cycle of weights 1, 2, 1, 2 with a diagonal of weight 3
SQUARE.add_weighted_edges_from([(0, 1, 1.0), (1, 2, 2.0), (2, 3, 1.0), (3, 0, 2.0), (0, 2, 3.0)])


def test_an_mst_repair_is_the_spanning_forest_the_scores_like_best() -> None:
    problem, batch, edge_index = _problem("mst_kruskal", SQUARE)
    liked = _both_ways((1, 2), (2, 3), (0, 2))  # a spanning tree, though not a minimum one
    scores = {"in_mst": _on_edges(edge_index, dict.fromkeys(liked, 1.0))}
    outputs = {"in_mst": np.ones(edge_index.shape[1], dtype=np.float32)}  # every edge and self-loop flagged
    verdict = checked_outputs("mst_kruskal", batch, outputs, scores, problem.nodes)
    assert verdict == {"valid": True, "repaired": True, "problem": "4 flag(s) on no edge of the graph (e.g. (0, 0)); "
                       "the flagged edges close 2 cycle(s) (e.g. through 0)"}
    assert _flagged(edge_index, outputs["in_mst"]) == liked and outputs["in_mst"].dtype == np.float32


def test_an_mst_repair_scores_an_edge_by_the_mean_of_its_two_logits() -> None:
    problem, batch, edge_index = _problem("mst_kruskal", nx.complete_graph(3))
    logits = {(0, 1): 3.0, (1, 0): -1.0, (1, 2): 0.5, (2, 1): 0.5, (0, 2): 0.8, (2, 0): 0.8}  # means 1, 0.5, 0.8
    scores = {"in_mst": _on_edges(edge_index, logits)}
    outputs = _hard("mst_kruskal", edge_index, 3, scores)  # 0 -> 1 flagged one way only
    assert checked_outputs("mst_kruskal", batch, outputs, scores, problem.nodes)["repaired"]
    assert _flagged(edge_index, outputs["in_mst"]) == _both_ways((0, 1), (0, 2))


DIAMOND = nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)])  # two topological orders


def _order_scores(edge_index: np.ndarray, order: list, n: int) -> dict:
    """Scores favouring ``order``: ``topo[u] = next`` at batch edge ``(next, u)``, the first as head."""
    follow = {(nxt, u): 1.0 for u, nxt in zip(order, order[1:] + order[-1:])}
    return {"topo": _on_edges(edge_index, follow), "topo_head": np.where(np.arange(n) == order[0], 1.0, -1.0)}


def test_a_topological_repair_returns_the_order_the_scores_favour() -> None:
    problem, batch, edge_index = _problem("topological_sort", DIAMOND)
    scores = _order_scores(edge_index, [0, 2, 1, 3], 4)
    outputs = {"topo": np.arange(4), "topo_head": np.eye(4, dtype=np.float32)[3]}  # every node its own end
    verdict = checked_outputs("topological_sort", batch, outputs, scores, problem.nodes)
    assert verdict == {"valid": True, "repaired": True, "problem": "4 nodes point to themselves, not 1"}
    assert outputs["topo"].tolist() == [2, 3, 1, 3] and outputs["topo_head"].tolist() == [1, 0, 0, 0]


def test_a_topological_repair_keeps_every_arc_forward_whatever_the_scores() -> None:
    problem, batch, edge_index = _problem("topological_sort", nx.DiGraph([(0, 1), (1, 2), (2, 3)]))
    scores = _order_scores(edge_index, [3, 2, 1, 0], 4)  # the one order against every arc
    outputs = _hard("topological_sort", edge_index, 4, scores)
    verdict = checked_outputs("topological_sort", batch, outputs, scores, problem.nodes)
    assert verdict["valid"] and verdict["repaired"] and "against the order" in verdict["problem"]
    assert outputs["topo"].tolist() == [1, 2, 3, 3] and np.argmax(outputs["topo_head"]) == 0


def test_a_bridge_repair_drops_flags_off_the_graph_and_settles_one_way_flags_by_the_mean_logit() -> None:
    problem, batch, edge_index = _problem("bridges", nx.path_graph(4))
    logits = {(0, 1): 2.0, (1, 0): -1.0, (1, 2): 1.0, (2, 1): -3.0, (2, 3): 1.0, (3, 2): 1.0, (0, 0): 5.0}
    scores = {"is_bridge": _on_edges(edge_index, logits)}
    outputs = _hard("bridges", edge_index, 4, scores)
    verdict = checked_outputs("bridges", batch, outputs, scores, problem.nodes)
    assert verdict == {"valid": None, "repaired": True, "problem": "1 flag(s) on no edge of the graph (e.g. (0, 0)); "
                       "2 edge(s) flagged one way only (e.g. (0, 1))"}
    assert _flagged(edge_index, outputs["is_bridge"]) == _both_ways((0, 1), (2, 3))
    raw = _hard("bridges", edge_index, 4, scores)
    assert checked_outputs("bridges", batch, raw, scores, problem.nodes, repair_invalid=False)["valid"] is False


def test_cut_nodes_are_never_repaired_and_stay_unchecked() -> None:
    problem, batch, _ = _problem("articulation_points", nx.path_graph(4))
    outputs = {"is_cut": np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)}  # wrong, yet a set of nodes
    verdict = checked_outputs("articulation_points", batch, outputs, {"is_cut": np.zeros(4)}, problem.nodes)
    assert verdict == {"valid": None, "repaired": False, "problem": UNCHECKED_SET.format("nodes")}
    assert outputs["is_cut"].tolist() == [1.0, 0.0, 0.0, 1.0]


# --- any scores: the answer returned is well formed ----------------------------------------------

def _random_graph(algorithm: str, n: int, p: float, seed: int) -> nx.Graph:
    """A graph of the kind ``algorithm`` reads, its nodes relabelled (so positions are no order)."""
    kind = get(algorithm).inputs
    graph = nx.gnp_random_graph(n, p, seed=seed, directed=kind.directed)
    if kind.acyclic:
        graph = nx.DiGraph([(u, v) for u, v in graph.edges if u < v])
        graph.add_nodes_from(range(n))
    order = np.random.default_rng(seed).permutation(n)
    return nx.relabel_nodes(graph, {i: f"v{order[i]}" for i in range(n)})


@settings(derandomize=True, max_examples=60, deadline=None)
@given(algorithm=st.sampled_from(SETS_AND_ORDERS), n=st.integers(2, 12), p=st.floats(0.0, 0.7),
       seed=st.integers(0, 2**16))
def test_the_answer_to_random_scores_is_well_formed_and_reads_the_same_by_node(algorithm: str, n: int, p: float,
                                                                              seed: int) -> None:
    graph = _random_graph(algorithm, n, p, seed)
    problem, batch, edge_index = _problem(algorithm, graph)
    rng = np.random.default_rng(seed)
    scores = {name: rng.normal(size=edge_index.shape[1] if location == "edge" or kind == Type.POINTER else n)
              for name, (_, location, kind) in get(algorithm).probes("output").items()}
    outputs = _hard(algorithm, edge_index, n, scores)
    verdict = checked_outputs(algorithm, batch, outputs, scores, problem.nodes)
    assert verdict["valid"] is not False, verdict
    keyed = keyed_outputs(algorithm, outputs, edge_index, problem)
    assert structure(algorithm, graph, None, keyed)[0] is verdict["valid"]
    if get(algorithm).head is not None:
        assert topological_order(algorithm, outputs, problem) is not None


# --- end to end: the shipped mst_kruskal ---------------------------------------------------------

def test_solve_mst_kruskal_returns_a_spanning_forest_or_its_own_answer_flagged() -> None:
    graph = nx.karate_club_graph()  # weighted by interaction counts; 34 nodes, one component
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = dear.solve("mst_kruskal", graph, repair=False)
        fixed = dear.solve("mst_kruskal", graph, check=True)
        drawn = dear.solve("mst_kruskal", graph, as_graph=True)
    assert raw["repaired"] is False and raw["valid"] == (raw["problem"] is None)
    assert fixed["valid"] is True and fixed["repaired"] == (not raw["valid"]) and fixed["problem"] == raw["problem"]
    assert sum(flag for row in fixed["in_mst"].values() for flag in row.values()) == 2 * 33  # 33 edges, both ways
    assert fixed["check"]["valid"] and fixed["check"]["ratio"] >= 1.0
    assert drawn.number_of_edges() == 2 * 33 and nx.is_tree(drawn.to_undirected())


def test_check_on_a_graph_too_large_for_the_exact_run_still_weighs_the_answer() -> None:
    from dear.solve.convert import EXACT_MAX_NODES_EDGE_HINTS, exact_fits

    n = EXACT_MAX_NODES_EDGE_HINTS + 2  # mst_kruskal records n x n hints: no exact run here
    assert not exact_fits("mst_kruskal", n) and exact_fits("mst_kruskal", n - 2)
    graph = nx.cycle_graph(n)
    nx.set_edge_attributes(graph, {e: 1.0 + i / n for i, e in enumerate(graph.edges)}, "weight")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = dear.solve("mst_kruskal", graph, check=True)
    assert "exact" not in result and "agreement" not in result
    assert result["check"]["valid"] and result["check"]["optimum"] == pytest.approx(
        nx.minimum_spanning_tree(graph).size("weight"))


# --- how the answers read ------------------------------------------------------------------------

def test_a_topological_answer_lists_its_order_and_draws_along_it() -> None:
    graph = nx.DiGraph([("c", "a"), ("a", "b")])  # node positions: c 0, a 1, b 2
    problem, _, edge_index = _problem("topological_sort", graph)
    outputs = {"topo": np.array([1, 2, 2]), "topo_head": np.array([1.0, 0.0, 0.0])}
    assert topological_order("topological_sort", outputs, problem) == ["c", "a", "b"]
    result = {"algorithm": "topological_sort", "order": ["c", "a", "b"]}
    result |= keyed_outputs("topological_sort", outputs, edge_index, problem)
    assert result["topo"] == {"c": "a", "a": "b", "b": "b"} and result["topo_head"] == "c"
    answer = answer_graph("topological_sort", result, problem)
    assert set(answer.edges) == {("c", "a"), ("a", "b")} and answer.graph["order"] == ["c", "a", "b"]
    assert answer.nodes["c"]["topo_head"] and not answer.nodes["a"]["topo_head"]
    no_chain = {"topo": np.array([1, 1, 2]), "topo_head": np.array([1.0, 0.0, 0.0])}
    assert topological_order("topological_sort", no_chain, problem) is None
    assert topological_order("topological_sort", outputs | {"topo_head": np.array([0.0, 1.0, 0.0])}, problem) is None


@pytest.mark.parametrize("algorithm, flags, marked_nodes, marked_edges", [
    ("articulation_points", [0.0, 1.0, 0.0], {"b"}, set()),
    ("bridges", [[0, 1, 0], [1, 0, 1], [0, 1, 0]], set(), _both_ways(("a", "b"), ("b", "c"))),
    ("mst_kruskal", [[0, 1, 0], [1, 0, 1], [0, 1, 0]], set(), _both_ways(("a", "b"), ("b", "c"))),
])
def test_sets_draw_as_marked_nodes_or_edges(algorithm: str, flags: list, marked_nodes: set,
                                            marked_edges: set) -> None:
    problem, _, edge_index = _problem(algorithm, nx.path_graph(["a", "b", "c"]))
    flags = np.asarray(flags, dtype=np.float32)
    outputs = {get(algorithm).output: flags[edge_index[0], edge_index[1]] if flags.ndim == 2 else flags}
    result = {"algorithm": algorithm} | keyed_outputs(algorithm, outputs, edge_index, problem)
    answer = answer_graph(algorithm, result, problem)
    assert {v for v, data in answer.nodes(data=True) if data.get(get(algorithm).output)} == marked_nodes
    assert set(answer.edges) == marked_edges
    assert tie_aware_check(algorithm, nx.path_graph(["a", "b", "c"]), None, result)["correct"] == 1.0
