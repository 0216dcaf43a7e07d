"""DEM baseline: monotone min-update, softmin limits, step penalty, train/eval limits, CLI run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dear.cli import main
from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model
from dear.models.dem import DEM, softmin


def _model(algorithm: str = "bfs", **overrides) -> DEM:
    torch.manual_seed(0)
    config = make_config(algorithm, "smoke", model="dem", **({"max_iter": 8, "eval_max_iter": 8} | overrides))
    model = build_model(config)
    assert isinstance(model, DEM)
    return model


def _batch(algorithm: str = "bfs"):
    return collate(generate(algorithm, 3, (4, 7), seed=0))


@pytest.mark.parametrize("temperature", [0.0, 0.5])
@pytest.mark.parametrize("algorithm", ["bfs", "bellman_ford"])
def test_forward_backward(algorithm: str, temperature: float) -> None:
    model = _model(algorithm, dem_temperature=temperature)
    batch = _batch(algorithm)
    prediction = model(batch)
    loss, parts = model.loss(batch, prediction)
    loss.backward()
    assert "step_penalty" in parts and set(parts) - {"step_penalty"} == set(model.output_specs())
    assert float(loss) == pytest.approx(sum(parts.values()), rel=1e-6) and all(v > 0 for v in parts.values())
    diagnostics = {"iterations_mean", "iterations_max", "residual_max", "converged_fraction"}
    assert diagnostics <= set(prediction.diagnostics)
    assert model.initial_state.grad is not None
    assert all(p.grad is not None for p in model.processor.parameters())


def test_hard_min_update_never_increases_the_state() -> None:
    model = _model()
    graph = model.encode(_batch())
    z = model.initial_state.expand(graph.num_nodes, -1)
    with torch.no_grad():
        for _ in range(10):
            z_next = model.step(z, graph)
            assert (z_next <= z).all()
            z = z_next
        latent = model(_batch()).latent
    assert (latent <= model.initial_state).all()


def test_frozen_rows_are_unchanged() -> None:
    model = _model(dem_temperature=0.5)
    graph = model.encode(_batch())
    z = torch.randn(graph.num_nodes, model.hidden)
    active = graph.batch == 0
    with torch.no_grad():
        z_next = model.step(z, graph, active)
    assert torch.equal(z_next[~active], z[~active])


def test_softmin_limits() -> None:
    a, b = torch.randn(2, 50, 8)
    assert torch.allclose(softmin(a, b, 1e-4), torch.minimum(a, b), atol=1e-4)
    assert torch.allclose(softmin(a, b, 1e4), (a + b) / 2, atol=1e-3)
    assert torch.equal(softmin(a, b, 0.0), torch.minimum(a, b))
    assert torch.allclose(softmin(a, a, 0.3), a)  # fixed points of f stay fixed points


def test_step_penalty_is_positive_and_trains() -> None:
    model = _model(dem_step_penalty=0.1)
    penalty = model(_batch()).aux_losses["step_penalty"]
    assert penalty > 0
    penalty.backward()
    assert model.initial_state.grad.abs().sum() > 0
    assert any(p.grad.abs().sum() > 0 for p in model.processor.parameters())
    model.eval()
    assert "step_penalty" not in model(_batch()).aux_losses


def test_eval_mode_uses_eval_limits() -> None:
    model = _model(tol=1e-12, max_iter=2, eval_tol=1e-12, eval_max_iter=5)
    assert model(_batch()).diagnostics["iterations_max"] == 2
    model.eval()
    with torch.no_grad():
        assert model(_batch()).diagnostics["iterations_max"] == 5


def test_cli_train_smoke(tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["train", "bfs", "--model", "dem", "--profile", "smoke", "--steps", "4", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert records and "loss_step_penalty" in records[-1] and "val_score" in records[-1]
    assert json.loads((out / "config.json").read_text())["model"] == "dem"
