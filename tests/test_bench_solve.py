"""``dear bench solve``'s verdict and its graphs (the answers themselves are checked in
tests/test_solve_checks.py)."""

from __future__ import annotations

import networkx as nx

from dear.bench.solve_quality import DEFAULT_ALGORITHMS, random_graphs, solve_verdict


def _row(algorithm: str, n: int, valid: bool | None = True, correct: float = 1.0, ratio: float = 1.0) -> dict:
    return {"algorithm": algorithm, "model": "dear", "graph": f"g{n}", "n": n, "valid": valid,
            "flagged_or_valid": valid is not None, "correct": correct, "ratio": ratio}


def test_defaults_are_the_paper_rooted_trees_on_any_graph() -> None:
    assert set(DEFAULT_ALGORITHMS) == {"bfs", "bellman_ford", "mst_prim"}


def test_spanning_trees_need_validity_and_weight_within_two_percent() -> None:
    rows = [_row("mst_prim", 64, ratio=1.01)] * 99 + [_row("mst_prim", 256, ratio=1.01)]
    assert solve_verdict(rows)["dear"]["mst_prim"]["holds"]
    heavy = rows[:-1] + [_row("mst_prim", 256, ratio=4.0)]  # mean ratio 1.04
    assert not solve_verdict(heavy)["dear"]["mst_prim"]["holds"]
    invalid = rows[:-2] + [_row("mst_prim", 256, valid=False)] * 2  # 98 % valid
    assert not solve_verdict(invalid)["dear"]["mst_prim"]["holds"]


def test_an_msts_edge_set_is_weighed_as_a_spanning_tree_is() -> None:
    rows = [_row("mst_kruskal", 64, correct=0.5, ratio=1.01)]
    assert solve_verdict(rows)["dear"]["mst_kruskal"]["holds"]  # its weight, not its share of edges
    assert not solve_verdict([_row("mst_kruskal", 64, ratio=1.5)])["dear"]["mst_kruskal"]["holds"]


def test_a_refused_graph_is_counted_apart_and_is_not_silently_wrong() -> None:
    refused = {"algorithm": "mst_kruskal", "model": "nar", "graph": "g256", "n": 256, "refused": "too large",
               "flagged_or_valid": True}
    rows = [_row("mst_kruskal", 64) | {"model": "nar"}, refused]
    entry = solve_verdict(rows)["nar"]["mst_kruskal"]
    assert entry["refused"] == 1 and entry["valid"] == 1.0 and entry["never_silently_wrong"] and entry["holds"]


def test_shortest_paths_need_correct_pointers_at_the_largest_size() -> None:
    rows = [_row("bfs", 64, correct=0.5), _row("bfs", 256, correct=0.96)]
    verdict = solve_verdict(rows)["dear"]["bfs"]
    assert verdict["holds"] and verdict["correct_at_256"] == 0.96
    assert not solve_verdict([_row("bfs", 256, correct=0.94)])["dear"]["bfs"]["holds"]
    assert not solve_verdict([_row("bfs", 256, valid=None)])["dear"]["bfs"]["holds"]  # silently unchecked


def test_random_graphs_are_connected_and_weighted_as_the_algorithm_needs() -> None:
    graphs = list(random_graphs("bellman_ford", 32, 3, seed=0))
    assert len(graphs) == 3 and len({name for name, _ in graphs}) == 3
    for _, graph in graphs:
        assert nx.is_connected(graph) and graph.number_of_nodes() == 32
        assert all(0 < w <= 1 for _, _, w in graph.edges(data="weight"))
    (_, unweighted), = random_graphs("bfs", 16, 1, seed=0)
    assert all(w is None for _, _, w in unweighted.edges(data="weight"))


def test_report_shows_the_verdict_per_model_and_algorithm(tmp_path) -> None:
    import json

    from dear.bench.report import solve_section

    rows = [_row("bfs", 256, correct=0.9) | {"converged": False}, _row("bfs", 256, correct=0.9) | {"converged": True},
            _row("bfs", 256, correct=0.9) | {"model": "nar", "converged": None}]
    (tmp_path / "bench_solve.json").write_text(json.dumps({"meta": {"count": 1, "verdict": solve_verdict(rows)},
                                                           "rows": rows}))
    lines = solve_section(tmp_path)
    assert "| dear | bfs | 2 | yes | 100% | 1.000 | 0.900 | 50% | **misses** |" in lines
    assert "| nar | bfs | 1 | yes | 100% | 1.000 | 0.900 | – | **misses** |" in lines  # no solve to converge
    assert solve_section(tmp_path / "none") == ["*Not measured yet: run `dear bench solve`.*"]


def test_right_pointers_by_depth_add_up_over_the_largest_graphs_only() -> None:
    rows = [_row("bellman_ford", 256) | {"correct_by_hops": {"1": [3, 3], "2": [1, 2]}},
            _row("bellman_ford", 256) | {"correct_by_hops": {"2": [1, 2], "5": [0, 1]}},
            _row("bellman_ford", 64) | {"correct_by_hops": {"9": [0, 4]}}]
    assert solve_verdict(rows)["dear"]["bellman_ford"]["correct_by_hops_at_256"] == {
        "1": [1.0, 3], "2": [0.5, 4], "5": [0.0, 1]}
    assert "correct_by_hops_at_256" not in solve_verdict([_row("mst_prim", 256)])["dear"]["mst_prim"]
