"""Numerical faults: NaN/Inf stops training with one line; a diverging DEAR solve is reported."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch

from dear.cli import main
from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.evaluate import evaluate_model
from dear.models import build_model
from dear.models.base import Reasoner


def poison_loss_at(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """The training loss of the ``step``-th optimiser step (1-based) becomes NaN."""
    loss, calls = Reasoner.loss, itertools.count(1)

    def poisoned(self: Reasoner, *args: object) -> tuple[torch.Tensor, dict]:
        value, parts = loss(self, *args)
        return (value * torch.nan if next(calls) == step else value), parts

    monkeypatch.setattr(Reasoner, "loss", poisoned)


@pytest.mark.parametrize("step, kept", [(7, "the last good checkpoint (step 4) is in"),
                                        (1, "no checkpoint was written")])
def test_nan_loss_stops_training_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture, step: int, kept: str) -> None:
    poison_loss_at(monkeypatch, step)
    out = tmp_path / "run"
    argv = ["train", "bfs", "--profile", "smoke", "--steps", "10", "--checkpoint-every", "4", "--out", str(out),
            "--quiet"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert f"loss became nan at step {step}; {kept}" in err
    if step > 4:  # the checkpoint holds the last good state, not the diverged one
        assert json.loads((out / "checkpoint" / "state.json").read_text())["step"] == 4


def test_diverging_dear_solve_is_reported_per_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = build_model(make_config("bfs", "smoke", model="dear"))
    forward = model.processor.forward

    def nan_on_first_graph(h: torch.Tensor, graph, active=None) -> torch.Tensor:  # noqa: ANN001
        return torch.where((graph.batch == 0)[:, None], torch.nan, forward(h, graph, active))

    data = generate("bfs", 4, 6, seed=0)
    others = evaluate_model(model, data[1:], batch_size=3)  # before the fault: graphs 1-3 alone
    monkeypatch.setattr(model.processor, "forward", nan_on_first_graph)
    result = evaluate_model(model, data, batch_size=4)
    assert result["converged_fraction"] == 0.75
    assert result["residual_max"] == float("inf")
    # The other three graphs score exactly as they do without graph 0 (18 of the 24 nodes): the
    # NaN graph adds a whole number of correct nodes out of its 6 and does not spoil the others.
    from_graph_0 = result["score"] * 24 - others["score"] * 18
    assert from_graph_0 == pytest.approx(round(from_graph_0)) and 0 <= round(from_graph_0) <= 6
    model.eval()
    with torch.no_grad():
        prediction = model(collate(generate("bfs", 4, 6, seed=0)))
    assert prediction.solver.converged.tolist() == [False, True, True, True]
