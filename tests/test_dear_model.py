"""DEAR's train/eval switches really switch (the published code ignored eval-time solver settings
and added noise at evaluation)."""

from __future__ import annotations

import torch

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model


def _dear(**overrides):
    torch.manual_seed(0)
    return build_model(make_config("bellman_ford", "smoke", model="dear", **overrides))


def _batch():
    return collate(generate("bellman_ford", 3, (5, 8), seed=0), hints=False)


def test_eval_mode_uses_the_eval_solver_limits() -> None:
    model = _dear(tol=1e-12, max_iter=3, eval_tol=1e-12, eval_max_iter=7)
    batch = _batch()
    assert model(batch).diagnostics["iterations_max"] == 3
    model.eval()
    with torch.no_grad():
        assert model(batch).diagnostics["iterations_max"] == 7


def test_eval_patience_reaches_the_solver_in_eval_mode_only(monkeypatch) -> None:
    import dear.models.dear as module

    seen, original = [], module.solve

    def recording_solve(*args, **kwargs):
        seen.append(kwargs.get("patience", 0))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "solve", recording_solve)
    model, batch = _dear(eval_patience=4), _batch()
    model(batch)
    model.eval()
    with torch.no_grad():
        assert "stalled_fraction" in model(batch).diagnostics
    assert seen == [0, 4]


def test_state_noise_acts_in_training_only() -> None:
    model = _dear(state_noise=1.0, max_iter=5, eval_max_iter=5)
    batch = _batch()
    first, second = model(batch).outputs["pi"], model(batch).outputs["pi"]
    assert not torch.equal(first, second)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(batch).outputs["pi"], model(batch).outputs["pi"])


def test_eval_reaches_every_submodule() -> None:
    model = _dear(granola=True, cgp=True)
    model.eval()
    assert not any(module.training for module in model.modules())


def test_input_terms_of_the_messages_are_computed_once_per_mode_and_still_trained() -> None:
    """The processor's edge/graph input terms are per-forward constants: the solve computes them
    once without grad and once with grad (a no-grad copy reused with grad would leave the edge
    weights untrained), and the outputs equal a step-by-step recomputation."""
    model = _dear(max_iter=6)
    batch = _batch()
    calls = []
    model.processor.edge.register_forward_hook(lambda *_: calls.append(torch.is_grad_enabled()))
    prediction = model(batch)
    assert sorted(calls) == [False, True]
    model.loss(batch, prediction)[0].backward()
    assert model.processor.edge.weight.grad.abs().sum() > 0 and model.processor.graph.bias.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        graph = model.encode(batch)
        h = torch.randn(graph.num_nodes, model.hidden)
        cached = model.processor(model.processor(h, graph), graph)
        fresh = model.processor(model.processor(h, model.encode(batch)), model.encode(batch))
    torch.testing.assert_close(cached, fresh)


def test_fixed_point_correction_supervises_states_along_the_solve_in_training_only() -> None:
    """The correction term decodes earlier states of the solve, weighted decay^(K-k), and reaches
    the processor's weights; it is absent at evaluation and with correction_states 0."""
    batch = _batch()
    model = _dear(correction_states=3, correction_decay=0.5, tol=1e-12, max_iter=6)
    prediction = model(batch)
    correction = prediction.aux_losses["correction"]
    states = prediction.solver.trajectory[-4:-1]
    graph = prediction.graph
    expected = 0
    for k, state in enumerate(states):
        h = model.processor(state, graph)
        losses = model.output_losses(batch, model.output_decoder(h, graph), graph)
        expected = expected + 0.5 ** (3 - k) * sum(losses.values())
    torch.testing.assert_close(correction, expected)
    correction.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.processor.parameters())
    assert "correction" not in _dear(tol=1e-12, max_iter=6)(batch).aux_losses
    model.eval()
    with torch.no_grad():
        assert "correction" not in model(batch).aux_losses


def test_warm_start_begins_the_solve_at_the_encoded_inputs() -> None:
    batch = _batch()
    for init in ("zeros", "inputs"):
        model = _dear(init=init, correction_states=1, tol=1e-12, max_iter=4)
        prediction = model(batch)
        start = prediction.solver.trajectory[0]
        graph = model.encode(batch)
        assert torch.equal(start, graph.node if init == "inputs" else torch.zeros_like(graph.node))


def test_spectral_norm_bounds_every_linear_map_of_the_processor_and_still_trains() -> None:
    import pytest

    model = _dear(spectral_norm=True)
    linears = [m for m in model.processor.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in linears)
    assert not any(torch.nn.utils.parametrize.is_parametrized(m, "weight")  # the encoders stay as they are
                   for m in model.modules() if isinstance(m, torch.nn.Linear) and m not in linears)
    model.train()
    for _ in range(30):  # power iterations: one per training forward
        model(_batch())
    for linear in linears:
        assert torch.linalg.matrix_norm(linear.weight.detach(), ord=2) == pytest.approx(1.0, abs=0.05)
    batch = _batch()
    model.loss(batch, model(batch))[0].backward()
    assert all(m.parametrizations.weight.original.grad is not None for m in linears)
    with pytest.raises(ValueError, match="spectral-norm"):
        make_config("bellman_ford", "smoke", model="nar", spectral_norm=True)


def test_smoke_training_logs_forward_and_adjoint_solves(tmp_path) -> None:
    """metrics.jsonl carries both solves: the log is written after backward, so the adjoint's
    iterations and residuals are there, over the graphs that got the implicit gradient."""
    import json

    from dear.train import train

    train(make_config("bfs", "smoke", model="dear", steps=10, log_every=5), tmp_path / "run", progress=False)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    logged = [r for r in records if "grad_norm" in r]
    assert [r["step"] for r in logged] == [5, 10]
    for record in logged:
        assert record["implicit_fraction"] == record["converged_fraction"] > 0
        assert 1 <= record["backward_iterations_mean"] <= record["backward_iterations_max"] <= 40
        assert 0 <= record["backward_residual_mean"] <= record["backward_residual_max"]
        assert 1 <= record["iterations_mean"] <= 40 and record["residual_max"] < float("inf")
