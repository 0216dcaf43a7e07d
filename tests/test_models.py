"""Spec-driven models: every algorithm and model type runs forward/backward; metrics are CLRS's."""

from __future__ import annotations

import pytest
import torch

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate, probe_key
from dear.models import build_model
from dear.nn.graph import EncodedGraph
from dear.nn.metrics import probe_statistics, reduce_statistics
from dear.specs import ALGORITHMS, SPECS, Stage, Type
from tests.statistics_asserts import assert_statistics_cover_the_batch


def _batch(algorithm: str, n=(4, 7), count: int = 3):
    return collate(generate(algorithm, count, n, seed=0))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_nar_runs_on_every_algorithm(algorithm: str) -> None:
    torch.manual_seed(0)
    model = build_model(make_config(algorithm, "smoke", max_steps=4))
    batch = _batch(algorithm)
    prediction = model(batch)
    loss, parts = model.loss(batch, prediction)
    loss.backward()
    assert set(parts) == {k for k, v in SPECS[algorithm].items() if v[0] == Stage.OUTPUT}
    # The loss is the sum of the output probes' losses, each positive for an untrained model.
    assert float(loss) == pytest.approx(sum(parts.values()), rel=1e-6) and all(v > 0 for v in parts.values())
    assert all(p.grad is not None for p in model.processor.parameters())


@pytest.mark.parametrize("model_name", ["nar", "nar-lt", "nar-hints", "dear"])
@pytest.mark.parametrize("algorithm", ["bfs", "floyd_warshall", "insertion_sort", "mst_kruskal", "dfs"])
def test_model_types_train_and_eval(model_name: str, algorithm: str) -> None:
    torch.manual_seed(0)
    model = build_model(make_config(algorithm, "smoke", model=model_name, max_steps=5, max_iter=8, eval_max_iter=8))
    batch = _batch(algorithm)
    loss, _ = model.loss(batch, model(batch))
    loss.backward()
    model.eval()
    with torch.no_grad():
        prediction = model(batch)
        stats = model.statistics(batch, prediction)
    assert_statistics_cover_the_batch(model, batch, prediction, stats)


def _oracle_scores(batch, name: str, location: str, kind: str, graph: EncodedGraph) -> torch.Tensor:
    """Scores whose argmax/threshold is the ground truth."""
    target = batch[probe_key(Stage.OUTPUT, name)]
    if kind in (Type.POINTER, Type.SHOULD_BE_PERMUTATION):
        if location == "edge":
            n = int(torch.bincount(batch.batch).max())
            offsets = batch.ptr[graph.edge_batch]
            return torch.nn.functional.one_hot(target - offsets, n).float()
        sender, receiver = batch.edge_index
        return (target[receiver] == sender).float()
    if kind == Type.MASK:
        return target * 2 - 1
    return target


@pytest.mark.parametrize("algorithm", ["bfs", "floyd_warshall", "mst_kruskal", "minimum", "insertion_sort"])
def test_metrics_score_one_for_the_truth_and_less_for_noise(algorithm: str) -> None:
    batch = _batch(algorithm, n=(5, 8), count=4)
    graph = EncodedGraph(torch.zeros(batch.num_nodes, 1), torch.zeros(batch.edge_index.shape[1], 1),
                         torch.zeros(batch.num_graphs, 1), batch.edge_index, batch.batch, batch.num_graphs)
    for name, (stage, location, kind) in SPECS[algorithm].items():
        if stage != Stage.OUTPUT:
            continue
        target = batch[probe_key(stage, name)]
        truth = _oracle_scores(batch, name, location, kind, graph)
        assert reduce_statistics(kind, probe_statistics(truth, target, location, kind, graph)) == 1.0
        noise = torch.randn_like(truth.float(), generator=torch.Generator().manual_seed(0))
        assert reduce_statistics(kind, probe_statistics(noise, target, location, kind, graph)) < 1.0


def test_floyd_warshall_is_scored_on_all_pairs() -> None:
    """The published code scored FW only on existing edges; CLRS scores all n² pairs."""
    trajectories = generate("floyd_warshall", 2, 6, seed=1, p=0.2)
    batch = collate(trajectories)
    assert batch.output_Pi.shape[0] == sum(t.num_nodes**2 for t in trajectories)


def test_nar_runs_exactly_the_ground_truth_steps_per_graph() -> None:
    model = build_model(make_config("bfs", "smoke"))
    calls = []
    original = model.processor.forward

    def counting(h, graph, active=None):
        calls.append(active.clone())
        return original(h, graph, active)

    model.processor.forward = counting
    batch = _batch("bfs", n=(5, 9), count=4)
    model(batch)
    per_graph_steps = torch.stack([torch.zeros(batch.num_graphs, dtype=torch.long).index_add_(
        0, batch.batch, a.long()) > 0 for a in calls]).sum(0)
    assert torch.equal(per_graph_steps, batch.length)


def test_edge_pointer_scores_in_chunks_at_inference_match_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import dear.nn.graph as graph_module

    torch.manual_seed(0)
    model = build_model(make_config("floyd_warshall", "smoke")).eval()
    batch = _batch("floyd_warshall", n=(6, 9))
    with torch.no_grad():
        whole = model(batch).outputs["Pi"]
        monkeypatch.setattr(graph_module, "INFERENCE_BLOCK_ELEMENTS", 1000)  # a few edges per block
        chunked = model(batch).outputs["Pi"]
    assert torch.equal(torch.isinf(whole), torch.isinf(chunked))
    finite = torch.isfinite(whole)
    assert torch.allclose(whole[finite], chunked[finite], atol=1e-5)


def test_evaluation_diagnostics_weigh_each_graph_once_whatever_the_batching() -> None:
    """A short last batch must not count as much as a full one in the reported means."""
    from dear.evaluate import evaluate_model

    torch.manual_seed(0)
    model = build_model(make_config("bfs", "smoke", model="nar"))
    data = generate("bfs", 5, (4, 12), seed=1)  # ground-truth T differs between graphs
    steps = sum(t.length for t in data) / len(data)
    for batch_size in (1, 2, 5):
        assert evaluate_model(model, data, batch_size)["steps_mean"] == pytest.approx(steps)
