"""Processors: a step over all rows (taken by slice, no gathers) is the same map, with the same
gradients, as the step over an explicit active set, and frozen rows keep their state."""

from __future__ import annotations

import pytest
import torch

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model

BATCH = collate(generate("bfs", 3, (4, 7), seed=0))


def _processor_and_graph(processor: str):
    torch.manual_seed(0)
    model = build_model(make_config("bfs", "smoke", model="dear", processor=processor))
    return model.processor, model.processor_graph(model.encode(BATCH)), model.hidden


@pytest.mark.parametrize("processor", ["mpnn", "triplet"])
def test_all_true_mask_equals_no_mask_in_value_and_gradient(processor: str) -> None:
    step, graph, hidden = _processor_and_graph(processor)
    h = torch.randn(graph.num_nodes, hidden)
    outputs, grads = [], []
    for active in (None, torch.ones(graph.num_nodes, dtype=torch.bool)):
        step.zero_grad()
        out = step(h, graph, active)
        out.square().sum().backward(retain_graph=True)
        outputs.append(out)
        grads.append(torch.cat([p.grad.flatten() for p in step.parameters() if p.grad is not None]))
    assert torch.equal(outputs[0], outputs[1]) and torch.allclose(grads[0], grads[1], atol=1e-6)


@pytest.mark.parametrize("processor", ["mpnn", "triplet"])
def test_partial_mask_steps_active_graphs_only(processor: str) -> None:
    step, graph, hidden = _processor_and_graph(processor)
    h = torch.randn(graph.num_nodes, hidden)
    active = graph.batch != 1
    out = step(h, graph, active)
    assert torch.equal(out[~active], h[~active])
    assert torch.allclose(out[active], step(h, graph)[active], atol=1e-6)
    assert not torch.allclose(out[active], h[active])


@pytest.mark.parametrize("processor", ["mpnn", "triplet"])
def test_inference_in_edge_blocks_equals_one_pass(processor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without autograd, messages go in edge blocks folded into a running max: the same step,
    masked or not, including nodes that receive no message (0, as one scatter gives)."""
    import dear.nn.graph as graph_module

    step, graph, hidden = _processor_and_graph(processor)
    receivers = set(graph.edge_index[1].tolist())
    keep = torch.tensor([r != 0 for r in graph.edge_index[1].tolist()])  # node 0 gets no message
    graph.edge_index, graph.edge = graph.edge_index[:, keep], graph.edge[keep]
    assert 0 in receivers and 0 not in set(graph.edge_index[1].tolist())
    h = torch.randn(graph.num_nodes, hidden)
    active = graph.batch != 1
    with torch.no_grad():
        whole = [step(h, graph), step(h, graph, active)]
        graph.memo.clear()
        monkeypatch.setattr(graph_module, "INFERENCE_BLOCK_ELEMENTS", 3 * hidden)  # three edges per block
        blocked = [step(h, graph), step(h, graph, active)]
    for one, many in zip(whole, blocked):
        assert torch.allclose(one, many, atol=1e-6)


def test_inference_blocks_cover_every_row_once_even_when_there_are_none() -> None:
    from dear.nn.graph import INFERENCE_BLOCK_ELEMENTS, inference_blocks

    rows_per_block = INFERENCE_BLOCK_ELEMENTS // 64
    for count in (0, 1, rows_per_block, 2 * rows_per_block + 3):
        with torch.no_grad():
            blocks = inference_blocks(count, 64)
        assert [i for b in blocks for i in range(count)[b]] == list(range(count))
        assert all(len(range(count)[b]) <= rows_per_block for b in blocks)
        assert inference_blocks(count, 64) == [slice(0, count)]  # autograd on: one pass
