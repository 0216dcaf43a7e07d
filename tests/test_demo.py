"""The README's main command, at smoke size: every stage runs and leaves its artefacts."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import dear.demo
from dear.data import generate
from dear.demo import run_demo
from dear.data.splits import TEST
from dear.run import load_run
from tests.statistics_asserts import recounted_pointer_score

PNG = b"\x89PNG\r\n\x1a\n"


def test_quick_demo_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    solved = []
    solve = dear.demo.solve
    monkeypatch.setattr(dear.demo, "solve", lambda *args, **kwargs: solved.append((args, kwargs, solve(*args, **kwargs)))
                        or solved[-1][2])
    summary = run_demo(tmp_path, algorithm="bellman_ford", quick=True)

    assert set(summary["results"]) == {"nar", "dear"}
    for model, results in summary["results"].items():  # bellman_ford, 16 fresh graphs at each of 8 and 16 nodes
        config, reasoner = load_run(tmp_path / model)
        for size in (8, 16):
            data = generate("bellman_ford", 16, size, TEST.seed, random_pos=config.random_pos)
            expected = recounted_pointer_score(reasoner, data)
            assert results[str(size)]["score"] == pytest.approx(expected), (model, size)
    assert (tmp_path / "scores.png").read_bytes().startswith(PNG) and (tmp_path / "loss.png").read_bytes().startswith(PNG)

    # The solved example: the DEAR's agreement with the exact answer, which is a shortest-path tree.
    [((algorithm, graph), kwargs, answer)] = solved
    assert algorithm == "bellman_ford" and kwargs["model"] == str(tmp_path / "dear") and kwargs["check"]
    pi, exact = np.asarray(list(answer["pi"].values())), np.asarray(list(answer["exact"]["pi"].values()))  # node order
    source = kwargs["source"]
    assert summary["solve"] == answer["agreement"] == {"pi": pytest.approx(float(np.mean(pi == exact)))}
    assert summary["converged"] == answer["converged"]
    distance = nx.single_source_dijkstra_path_length(graph, source)
    for v, u in zip(graph.nodes, exact):
        if v == source or v not in distance:
            assert u == v
        else:  # a shortest path's last edge (equal weights aside: within the tie-break)
            assert distance[u] + graph[u][v]["weight"] == pytest.approx(distance[v], rel=1e-6)
