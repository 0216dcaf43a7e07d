"""GRANOLA: graph-adaptive normalisation whose random node features stay fixed within a forward
(else a DEQ's map changes at every call and has no fixed point) and are seeded in evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from dear.cli import main
from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model
from dear.nn.granola import GranolaNorm

BATCH = collate(generate("bfs", 3, (4, 7), seed=0))


def _model(**overrides):
    torch.manual_seed(0)
    return build_model(make_config("bfs", "smoke", model="dear", granola=True, max_iter=8, eval_max_iter=8, **overrides))


def _record_rnf(model) -> list[torch.Tensor]:
    """Every RNF tensor a GRANOLA norm of ``model`` reads, in call order."""
    seen: list[torch.Tensor] = []
    for module in model.modules():
        if isinstance(module, GranolaNorm):
            module.register_forward_pre_hook(lambda _, args: seen.append(args[1].rnf))
    return seen


def test_switch_replaces_the_layer_norm() -> None:
    norms = [m for m in _model().modules() if isinstance(m, GranolaNorm)]
    assert len(norms) == 1 and not any(isinstance(m, torch.nn.LayerNorm) for m in _model().processor.modules())


def test_starts_as_a_layer_norm() -> None:
    model = _model()
    graph = model.processor_graph(model.encode(BATCH))
    x = torch.randn(graph.num_nodes, model.hidden)
    nodes, edges = torch.arange(graph.num_nodes), torch.arange(graph.edge_index.shape[1])
    assert torch.allclose(model.processor.update.norm(x, graph, nodes, edges), F.layer_norm(x, x.shape[-1:]))


def test_evaluation_is_deterministic_and_training_resamples() -> None:
    model = _model()
    encoded = model.encode(BATCH)
    first, second = model.processor_graph(encoded).rnf, model.processor_graph(encoded).rnf
    assert not torch.equal(first, second)
    model.eval()
    with torch.no_grad():
        a, b = model(BATCH), model(BATCH)
    assert all(torch.equal(a.outputs[k], b.outputs[k]) for k in a.outputs)
    assert torch.equal(model.processor_graph(encoded).rnf, model.processor_graph(encoded).rnf)


def test_rnf_is_fixed_across_the_calls_of_one_solve() -> None:
    model = _model(jacobian_weight=1e-4, stochastic_steps=2)
    seen = _record_rnf(model)
    loss, _ = model.loss(BATCH, model(BATCH))
    loss.backward()  # the IFT adjoint solve calls f again
    assert len(seen) > 8
    assert all(rnf is seen[0] for rnf in seen)


def test_processor_map_is_deterministic_given_the_graph() -> None:
    model = _model()
    graph = model.processor_graph(model.encode(BATCH))
    h = torch.randn(graph.num_nodes, model.hidden)
    assert torch.equal(model.processor(h, graph), model.processor(h, graph))


def test_active_rows_match_a_full_step_and_frozen_rows_keep_their_state() -> None:
    model = _model()
    model.processor.update.norm.affine.weight.data.normal_()  # make the adaptive part matter
    graph = model.processor_graph(model.encode(BATCH))
    h = torch.randn(graph.num_nodes, model.hidden)
    active = graph.batch != 1
    out = model.processor(h, graph, active)
    assert torch.equal(out[~active], h[~active])
    assert torch.allclose(out[active], model.processor(h, graph)[active], atol=1e-6)


def test_forward_backward_reaches_the_norm() -> None:
    model = _model()
    loss, parts = model.loss(BATCH, model(BATCH))
    loss.backward()
    norm = model.processor.update.norm
    assert float(loss) == pytest.approx(sum(parts.values()), rel=1e-6) and float(loss) > 0
    assert norm.affine.weight.grad.abs().sum() > 0


def test_with_cgp_virtual_nodes_get_features_too() -> None:
    model = _model(cgp=True)
    graph = model.processor_graph(model.encode(BATCH))
    assert graph.rnf.shape == (graph.num_nodes, model.hidden) and graph.num_nodes > BATCH.num_nodes
    loss, parts = model.loss(BATCH, model(BATCH))
    loss.backward()
    assert float(loss) == pytest.approx(sum(parts.values()), rel=1e-6) and float(loss) > 0


def test_cli_trains_dear_with_granola(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["train", "bfs", "--model", "dear", "--granola", "--profile", "smoke", "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "config.json").read_text())["granola"] is True
