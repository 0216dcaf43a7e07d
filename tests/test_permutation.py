"""Should-be-permutation decoding (insertion sort's ``pred``) as CLRS-30 does it."""

import numpy as np
import torch

import dear.data as D
from dear.data.batching import collate, probe_key
from dear.models.nar import NAR
from dear.nn.graph import EncodedGraph
from dear.nn.losses import probe_loss
from dear.nn.permutation import PermutationScores, cyclic_targets, log_sinkhorn, permutation_prediction
from dear.nn.readout import hard_prediction
from dear.specs import Location, Type


def _graph(sizes: list[int]) -> EncodedGraph:
    """Complete graphs (self-loops included) of the given sizes, as array algorithms get them."""
    batch = torch.cat([torch.full((n,), g) for g, n in enumerate(sizes)])
    offsets = np.cumsum([0, *sizes[:-1]])
    pairs = [(o + j, o + i) for o, n in zip(offsets, sizes) for i in range(n) for j in range(n)]
    edge_index = torch.tensor(pairs).T
    total = sum(sizes)
    return EncodedGraph(torch.zeros(total, 1), torch.zeros(edge_index.shape[1], 1), torch.zeros(len(sizes), 1),
                        edge_index, batch, len(sizes))


def _predecessors(order: np.ndarray) -> np.ndarray:
    """Predecessor pointers of a linear order (the first element points to itself)."""
    pred = np.empty_like(order)
    pred[order[0]] = order[0]
    pred[order[1:]] = order[:-1]
    return pred


def test_cyclic_targets_match_the_clrs_docstring_example():
    graph = _graph([3])
    target, first = cyclic_targets(torch.tensor([2, 1, 1]), graph)
    assert torch.equal(target[0], torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]]))
    assert torch.equal(first, torch.tensor([0.0, 1, 0]))


def test_sinkhorn_is_doubly_stochastic_on_real_nodes_and_leaves_padding_alone():
    torch.manual_seed(0)
    valid = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    p = log_sinkhorn(torch.randn(2, 5, 5), valid, steps=200, temperature=1.0).exp()
    assert torch.allclose(p[0].sum(-1), torch.ones(5), atol=1e-4)
    assert torch.allclose(p[0].sum(-2), torch.ones(5), atol=1e-4)
    assert torch.allclose(p[1, :3, :3].sum(-1), torch.ones(3), atol=1e-4)
    assert torch.allclose(p[1, :3, :3].sum(-2), torch.ones(3), atol=1e-4)
    assert float(p[1, :3, 3:].max()) < 1e-6 and float(p[0].diagonal().max()) < 1e-6  # zero diagonal


def test_readout_recovers_the_pointers_it_was_shown_and_resolves_a_double_claim():
    rng = np.random.default_rng(0)
    sizes = [6, 4]
    graph = _graph(sizes)
    preds = [_predecessors(rng.permutation(n)) for n in sizes]
    pointer = torch.tensor(np.concatenate([preds[0], preds[1] + sizes[0]]))
    target, first = cyclic_targets(pointer, graph)
    valid = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    logits = 5.0 * target
    logits[0, 0] += 6.0 * target[0, 1]  # row 0 prefers row 1's answer: a plain pointer argmax claims it twice
    assert logits[0, 0].argmax() == target[0, 1].argmax()
    scores = PermutationScores(log_sinkhorn(logits, valid, 10, 0.1), 3.0 * first, valid)
    assert torch.equal(permutation_prediction(scores, graph), pointer)
    assert torch.equal(hard_prediction(scores, Location.NODE, Type.SHOULD_BE_PERMUTATION, graph), pointer)


def test_insertion_sort_model_trains_through_the_sinkhorn_head():
    torch.manual_seed(0)
    batch = collate(D.generate("insertion_sort", 4, (5, 8), seed=0), hints=False)
    model = NAR("insertion_sort", hidden=16)
    prediction = model(batch)
    assert isinstance(prediction.outputs["pred"], PermutationScores)
    target = batch[probe_key("output", "pred")]
    loss = probe_loss(prediction.outputs["pred"], target, Location.NODE, Type.SHOULD_BE_PERMUTATION, prediction.graph)
    assert torch.isfinite(loss) and float(loss.detach()) > 0
    loss.backward()
    assert model.output_decoder.heads["pred"].pointer.out.weight.grad.abs().sum() > 0
    assert model.output_decoder.heads["pred"].first.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        stats = model.statistics(batch, model(batch))["pred"]
    assert stats["count"] == batch.num_nodes
