"""Graphs reach the models as edge lists: the same batch as the dense path, and 10⁴ nodes fit."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Callable

import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import dear
from dear.checkpoint import save_tensors, write_json
from dear.config import make_config
from dear.data import execute, sample
from dear.data.batching import collate, edge_list_batch
from dear.algorithms import REGISTRY
from dear.data.samplers import draw_inputs
from dear.models import build_model
from dear.run import load_run
from dear.solve.convert import graph_edges
from dear.solve.run import run_model
from dear.specs import ALGORITHMS, SPECS

GRAPH_ALGORITHMS = tuple(a for a in ALGORITHMS if "A" in SPECS[a])


@settings(derandomize=True, max_examples=80, deadline=None)
@given(algorithm=st.sampled_from(GRAPH_ALGORITHMS), n=st.integers(2, 9), seed=st.integers(0, 2**16),
       self_loops=st.lists(st.integers(0, 8), max_size=3))
def test_edge_list_batch_equals_the_dense_batch(algorithm: str, n: int, seed: int, self_loops: list[int]) -> None:
    inputs = sample(algorithm, n, seed).inputs
    A = inputs["A"].copy()
    if not REGISTRY[algorithm].inputs.acyclic:
        A[[i % n for i in self_loops], [i % n for i in self_loops]] = 0.5
    source = int(np.argmax(inputs["s"])) if "s" in inputs else None
    dense = collate([execute(algorithm, {"A": A} if source is None else {"A": A, "s": source})], hints=False)
    senders, receivers = np.nonzero(A)
    sparse = edge_list_batch(algorithm, senders, receivers, A[senders, receivers], n, source)
    assert set(sparse.keys()) == {k for k in dense.keys() if not k.startswith("output_") and k != "length"}
    assert all(torch.equal(sparse[k], dense[k]) for k in sparse.keys() if torch.is_tensor(sparse[k]))


GRAPH_TYPES = (nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(graph_type=st.sampled_from(GRAPH_TYPES), n=st.integers(2, 7),
       edges=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.floats(0.01, 100)), max_size=20))
def test_edge_list_of_a_graph_matches_its_adjacency_matrix(graph_type: type, n: int, edges: list) -> None:
    graph = graph_type()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from((u % n, v % n, w) for u, v, w in edges)
    expected = nx.to_numpy_array(graph, nodelist=list(graph.nodes), weight="weight", nonedge=0.0)
    A = graph_edges("dijkstra", graph, 0)[0].dense_inputs()["A"]
    np.testing.assert_allclose(A, expected / max(expected.max(), 1e-300), rtol=1e-12)
    assert (graph_edges("bfs", graph, 0)[0].dense_inputs()["A"] == (expected != 0)).all()


@pytest.mark.parametrize("algorithm", [name for name, record in REGISTRY.items() if record.steps is not None])
@settings(derandomize=True, max_examples=60, deadline=None)
@given(n=st.integers(2, 12), p=st.floats(0, 0.6), seed=st.integers(0, 2**16))
def test_closed_form_steps_match_the_exact_run(algorithm: str, n: int, p: float, seed: int) -> None:
    inputs = draw_inputs(algorithm, np.random.default_rng(seed), n, p=p)
    senders, receivers = np.nonzero(inputs["A"])
    source = int(np.argmax(inputs["s"])) if "s" in inputs else None
    steps = REGISTRY[algorithm].steps(n, senders, receivers, source)
    assert steps == execute(algorithm, inputs).length


@pytest.mark.parametrize("model", ["nar", "dear"])
def test_solve_gives_what_the_model_gives_on_the_dense_batch(smoke_run: Callable[..., Path], model: str) -> None:
    run = smoke_run("bfs", model)
    graph = nx.gnm_random_graph(14, 30, seed=3)
    result = dear.solve("bfs", graph, 2, model=str(run), check=True, repair=False)  # the model's own pointers
    trajectory = execute("bfs", {"A": nx.to_numpy_array(graph), "s": 2})
    expected, _ = run_model(load_run(run)[1], collate([trajectory], hints=False))
    assert list(result["pi"].values()) == expected["pi"].tolist()  # keyed by node, in node order
    assert list(result["exact"]["pi"].values()) == trajectory.outputs["pi"].tolist()


def test_solve_runs_on_ten_thousand_nodes(smoke_run: Callable[..., Path]) -> None:
    graph = nx.gnm_random_graph(10_000, 100_000, seed=0)
    for model in ("dear", "nar"):  # NAR's T comes from a sparse BFS: no dense run
        result = dear.solve("bfs", graph, 0, model=str(smoke_run("bfs", model)))
        assert len(result["pi"]) == 10_000 and set(result["pi"].values()) <= set(graph.nodes)
    # NAR ran bfs's T: one step per BFS level below the source, plus the round that finds nothing new.
    levels = max(nx.single_source_shortest_path_length(graph, 0).values())
    assert result["diagnostics"]["steps_mean"] == levels + 1


def test_nar_needs_a_dense_run_beyond_bfs(smoke_run: Callable[..., Path]) -> None:
    graph = nx.path_graph(1100)
    with pytest.raises(ValueError, match="exact bellman_ford runs on at most 1024 nodes, got 1100"):
        dear.solve("bellman_ford", graph, 0, model=str(smoke_run("bellman_ford", "nar")))


def test_solve_refuses_models_that_read_hints(tmp_path: Path) -> None:
    config = make_config("bfs", "smoke", model="nar-hints")
    write_json(tmp_path / "config.json", asdict(config))
    save_tensors(tmp_path / "model.safetensors", build_model(config).state_dict())
    with pytest.raises(ValueError, match="reads the algorithm's own hints"):
        dear.solve("bfs", nx.path_graph(3), 0, model=str(tmp_path))


def test_floyd_warshall_steps_need_no_exact_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """NAR's T for Floyd–Warshall is n (one step per intermediate node), so solving a large graph
    never records its O(n³) hints."""
    import dear.solve.convert as convert

    graph = nx.gnp_random_graph(9, 0.5, seed=0)
    exact = convert.model_batch("floyd_warshall", graph, None, exact=True, steps=True)[2]
    assert exact.length == 9
    monkeypatch.setattr(convert, "exact_run", lambda *args: pytest.fail("ran the dense exact algorithm"))
    batch, _, trajectory = convert.model_batch("floyd_warshall", graph, None, exact=False, steps=True)
    assert trajectory is None and int(batch.length) == 9
    assert batch.edge_index.shape[1] == 81  # the complete graph all the same
