"""Spec-driven models: every algorithm and model type runs forward/backward; metrics are CLRS's."""

from __future__ import annotations

import math

import pytest
import torch

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate, probe_key
from dear.models import build_model
from dear.nn.graph import EncodedGraph
from dear.nn.losses import probe_loss
from dear.nn.metrics import probe_statistics, reduce_statistics
from dear.specs import ALGORITHMS, CLRS_ALGORITHMS, SPECS, Stage, Type
from tests.statistics_asserts import assert_statistics_cover_the_batch


def _batch(algorithm: str, n=(4, 7), count: int = 3):
    return collate(generate(algorithm, count, n, seed=0))


@pytest.mark.parametrize("model_name", ["nar", "dear"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_models_run_on_every_algorithm(algorithm: str, model_name: str) -> None:
    """One forward and backward of NAR and DEAR on every algorithm, every probe type and location
    read from the specs: the loss is finite and no part of it is negative (CLRS's masked entries,
    e.g. lcs_length's ``b`` outside the table, carry no label); then one evaluation, whose metric
    statistics cover the batch and whose scores lie in [0, 1]."""
    torch.manual_seed(0)
    model = build_model(make_config(algorithm, "smoke", model=model_name, max_steps=4, max_iter=8,
                                    backward_max_iter=8, eval_max_iter=8))
    batch = _batch(algorithm)
    prediction = model(batch)
    loss, parts = model.loss(batch, prediction)
    loss.backward()
    assert set(parts) == {k for k, v in SPECS[algorithm].items() if v[0] == Stage.OUTPUT}
    # The loss is the sum of the output probes' losses, each positive for an untrained model.
    assert math.isfinite(loss.item()) and loss.item() >= 0
    assert loss.item() == pytest.approx(sum(parts.values()), rel=1e-6) and all(v > 0 for v in parts.values())
    assert all(p.grad is not None for p in model.processor.parameters())
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    model.eval()
    with torch.no_grad():
        prediction = model(batch)
        stats = model.statistics(batch, prediction)
    assert_statistics_cover_the_batch(model, batch, prediction, stats)
    kinds = {name: kind for name, (_, _, kind) in model.output_specs().items()}
    assert all(0.0 <= reduce_statistics(kinds[name], s) <= 1.0
               for name, s in stats.items() if kinds[name] != Type.SCALAR)


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


@pytest.mark.slow
@pytest.mark.parametrize("model_name", ["nar", "nar-lt", "dear"])
@pytest.mark.parametrize("algorithm", CLRS_ALGORITHMS)
def test_every_clrs_algorithm_smoke_trains_and_evaluates(tmp_path, algorithm: str, model_name: str) -> None:
    """``dear train <algorithm> --profile smoke`` then ``dear eval``, for each of CLRS-30's
    algorithms and NAR, NAR with learnt termination and DEAR: every probe type goes through
    training, validation and CLRS's test metrics (minutes on 2 CPU cores, ``make test-slow``)."""
    import json

    from dear.run import evaluate_run
    from dear.train import train

    out = tmp_path / "run"
    train(make_config(algorithm, "smoke", model=model_name), out, progress=False)
    final = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    results, _ = evaluate_run(out, sizes=(8,), samples=16)
    result = results["8"]
    print(f"\nSMOKE {algorithm} {model_name} loss={final['loss']:.4f} score={result['score']:.4f} "
          f"probes={json.dumps(result['probes'])}")
    assert math.isfinite(final["loss"]) and final["loss"] >= 0
    assert 0.0 <= result["score"] <= 1.0
    assert all(0.0 <= value <= 1.0 for value in result["probes"].values())


# --- CLRS's evaluation per probe type (clrs/_src/evaluation.py), against hand-computed values ---


def _layout(sizes=(3, 2)) -> EncodedGraph:
    """Complete graphs (self-loops included) of the given sizes: edge ``j -> i`` for every pair."""
    batch = torch.cat([torch.full((n,), g) for g, n in enumerate(sizes)])
    starts = torch.tensor([0, *sizes]).cumsum(0)[:-1].tolist()
    pairs = [(o + j, o + i) for o, n in zip(starts, sizes) for i in range(n) for j in range(n)]
    edge_index = torch.tensor(pairs).T
    return EncodedGraph(torch.zeros(len(batch), 1), torch.zeros(edge_index.shape[1], 1),
                        torch.zeros(len(sizes), 1), edge_index, batch, len(sizes))


def _score(scores, target, location: str, kind: str, graph: EncodedGraph) -> tuple[dict, float]:
    stats = probe_statistics(scores, target, location, kind, graph)
    return stats, reduce_statistics(kind, stats)


@pytest.mark.parametrize("location", ["node", "graph"])
def test_mask_scores_f1_leaving_masked_entries_out(location: str) -> None:
    graph = _layout((3, 3)) if location == "node" else _layout((1,) * 6)
    target = torch.tensor([1.0, 0, -1, 1, -1, 0])
    scores = torch.tensor([2.0, 1, 3, -1, -2, -3])  # predicts 1, 1, 1, 0, 0, 0
    stats, f1 = _score(scores, target, location, Type.MASK, graph)
    # tp: entry 0; fp: entry 1 (entry 2 is masked); fn: entry 3. Precision = recall = 1/2.
    assert stats == {"tp": 1.0, "fp": 1.0, "fn": 1.0} and f1 == pytest.approx(0.5)
    # Nothing positive, nothing predicted: F1 is 1 (CLRS's convention), masked entries aside.
    assert _score(torch.tensor([-1.0, -1, 5, -1, 5, -1]), torch.tensor([0.0, 0, -1, 0, -1, 0]), location,
                  Type.MASK, graph)[1] == 1.0


@pytest.mark.parametrize("location", ["node", "edge", "graph"])
def test_categorical_scores_argmax_accuracy_on_rows_without_a_masked_class(location: str) -> None:
    graph = {"node": _layout((2, 2)), "edge": _layout((2,)), "graph": _layout((1, 1, 1, 1))}[location]
    # Rows 1 and 3 are CLRS's blank cells (lcs_length's b outside the table): -1 on the last class.
    target = torch.tensor([[0.0, 1, 0, 0], [0, 0, 0, -1], [1, 0, 0, 0], [0, 0, 0, -1]])
    scores = torch.tensor([[0.0, 5, 0, 0], [0, 0, 0, 9], [0, 0, 5, 0], [9, 0, 0, 0]])
    stats, accuracy = _score(scores, target, location, Type.CATEGORICAL, graph)
    assert stats == {"correct": 1.0, "count": 2.0} and accuracy == 0.5


def test_mask_one_scores_one_argmax_per_graph() -> None:
    graph = _layout((3, 2, 2))
    target = torch.tensor([0.0, 1, 0, 1, 0, 0, 1])
    scores = torch.tensor([0.0, 2, 1, -1, 3, 0, 0.5])  # argmax per graph: nodes 1 (right), 4 (wrong), 6
    stats, accuracy = _score(scores, target, "node", Type.MASK_ONE, graph)
    assert stats == {"correct": 2.0, "count": 3.0} and accuracy == pytest.approx(2 / 3)


def test_node_pointer_scores_accuracy_of_each_nodes_best_incoming_edge() -> None:
    graph = _layout((3, 2))
    sender, receiver = graph.edge_index
    target = torch.tensor([0, 0, 1, 3, 3])  # global ids
    predicted = torch.tensor([0, 2, 1, 4, 3])  # nodes 0, 2 and 4 right
    scores = (predicted[receiver] == sender).float()
    stats, accuracy = _score(scores, target, "node", Type.POINTER, graph)
    assert stats == {"correct": 3.0, "count": 5.0} and accuracy == pytest.approx(0.6)


def test_edge_pointer_scores_accuracy_over_all_pairs() -> None:
    graph = _layout((2, 2))  # 8 edges, each pointing to a node of its own graph
    offsets = torch.tensor([0, 2])[graph.edge_batch]
    target_local = torch.tensor([0, 1, 1, 0, 1, 1, 0, 0])
    predicted_local = torch.tensor([0, 1, 0, 0, 1, 0, 0, 1])  # 5 of 8 right
    scores = torch.nn.functional.one_hot(predicted_local, 2).float()
    stats, accuracy = _score(scores, target_local + offsets, "edge", Type.POINTER, graph)
    assert stats == {"correct": 5.0, "count": 8.0} and accuracy == pytest.approx(5 / 8)


def test_permutation_scores_pointer_accuracy_after_the_sinkhorn_readout() -> None:
    from dear.nn.permutation import PermutationScores, cyclic_targets

    graph = _layout((4,))
    truth = torch.tensor([0, 0, 1, 2])  # the order 0, 1, 2, 3 as predecessor pointers
    guessed = torch.tensor([0, 2, 0, 1])  # the order 0, 2, 1, 3: only node 0's pointer is right
    perm, first = cyclic_targets(guessed, graph)
    valid = torch.ones(1, 4, dtype=torch.bool)
    scores = PermutationScores(torch.log(perm * 0.97 + 0.01), first * 4 - 2, valid)
    stats, accuracy = _score(scores, truth, "node", Type.SHOULD_BE_PERMUTATION, graph)
    assert stats == {"correct": 1.0, "count": 4.0} and accuracy == 0.25


def test_scalar_scores_mean_squared_error_and_stays_out_of_the_model_score() -> None:
    from dear.nn.metrics import MetricAccumulator

    graph = _layout((2, 1))
    stats, mse = _score(torch.tensor([1.0, 2, 3]), torch.tensor([0.0, 0, 3]), "node", Type.SCALAR, graph)
    assert stats == {"sq_error": 5.0, "count": 3.0} and mse == pytest.approx(5 / 3)
    metrics = MetricAccumulator({"y": Type.SCALAR, "m": Type.MASK_ONE, "p": Type.POINTER})
    metrics.add("y", stats)
    metrics.add("m", {"correct": 1.0, "count": 2.0})
    metrics.add("p", {"correct": 3.0, "count": 4.0})
    assert metrics.scores() == pytest.approx({"y": 5 / 3, "m": 0.5, "p": 0.75})
    assert metrics.score() == pytest.approx((0.5 + 0.75) / 2)  # CLRS's mean, the MSE reported apart


# --- CLRS's losses on masked (-1) entries ---


def test_categorical_loss_counts_only_the_rows_holding_a_class() -> None:
    graph = _layout((2, 2))
    target = torch.tensor([[0.0, 1, 0, 0], [0, 0, 0, -1], [1, 0, 0, 0], [0, 0, 0, -1]])
    scores = torch.tensor([[0.0, 2, 0, 0], [0, 0, 0, 50], [1, 0, 0, 0], [50, 0, 0, 0]], requires_grad=True)
    log_p = torch.log_softmax(scores.detach(), -1)
    expected = -(log_p[0, 1] + log_p[2, 0]) / 2  # CLRS: sum over labelled cells / positive entries
    loss = probe_loss(scores, target, "node", Type.CATEGORICAL, graph)
    assert loss.item() == pytest.approx(float(expected)) and loss.item() > 0
    loss.backward()
    assert torch.all(scores.grad[[1, 3]] == 0)  # the blank rows teach nothing
    # Without masked entries it is the mean cross-entropy over the rows, as before.
    plain = torch.tensor([[0.0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    assert torch.equal(probe_loss(scores.detach(), plain, "node", Type.CATEGORICAL, graph),
                       -(torch.log_softmax(scores.detach(), -1) * plain).sum(-1).mean())


def test_mask_loss_averages_binary_cross_entropy_over_unmasked_entries() -> None:
    graph = _layout((3, 2))
    target = torch.tensor([1.0, -1, 0, -1, 1])
    scores = torch.tensor([0.5, -30.0, 2.0, 40.0, -1.0], requires_grad=True)
    valid = target != -1
    expected = torch.nn.functional.binary_cross_entropy_with_logits(scores.detach()[valid], target[valid])
    loss = probe_loss(scores, target, "node", Type.MASK, graph)
    assert loss.item() == pytest.approx(float(expected)) and loss.item() > 0
    loss.backward()
    assert torch.all(scores.grad[~valid] == 0)
    plain = torch.tensor([1.0, 0, 0, 1, 1])
    assert torch.equal(probe_loss(scores.detach(), plain, "node", Type.MASK, graph),
                       torch.nn.functional.binary_cross_entropy_with_logits(scores.detach(), plain))


def test_mask_one_loss_divides_by_the_graphs_holding_a_positive() -> None:
    graph = _layout((2, 2))
    scores = torch.tensor([1.0, 0, 0, 3])
    target = torch.tensor([1.0, 0, -1, -1])  # the second graph is masked out
    expected = -torch.log_softmax(torch.tensor([1.0, 0]), 0)[0]
    assert float(probe_loss(scores, target, "node", Type.MASK_ONE, graph)) == pytest.approx(float(expected))


def test_lcs_length_scores_only_the_cells_of_its_table() -> None:
    """lcs_length's ``b`` is an edge categorical probe whose cells outside the x-by-y table are
    masked (-1): the metric counts the table's cells only, and the loss stays positive."""
    batch = _batch("lcs_length")
    graph = EncodedGraph(torch.zeros(batch.num_nodes, 1), torch.zeros(batch.edge_index.shape[1], 1),
                         torch.zeros(batch.num_graphs, 1), batch.edge_index, batch.batch, batch.num_graphs)
    target = batch[probe_key(Stage.OUTPUT, "b")]
    string = batch[probe_key(Stage.INPUT, "string")]
    cells = sum(int((string[batch.batch == g] == 0).sum()) * int((string[batch.batch == g] == 1).sum())
                for g in range(batch.num_graphs))
    stats, accuracy = _score(target, target, "edge", Type.CATEGORICAL, graph)
    assert stats == {"correct": float(cells), "count": float(cells)} and accuracy == 1.0
    uniform = torch.zeros_like(target)
    assert float(probe_loss(uniform, target, "edge", Type.CATEGORICAL, graph)) == pytest.approx(math.log(4))
