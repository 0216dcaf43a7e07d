"""Slow checks that the models really learn (``make test-slow``; minutes on 2 CPU cores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dear.config import make_config
from dear.run import evaluate_run
from dear.train import train


@pytest.mark.slow
@pytest.mark.parametrize("model", ["nar", "dear"])
def test_bellman_ford_learns_beyond_chance(tmp_path: Path, model: str) -> None:
    """300 cpu-profile steps take a pointer accuracy from chance (~0.3 at n=16) to above 0.8."""
    config = make_config("bellman_ford", "cpu", model=model, steps=300, eval_every=100, checkpoint_every=100)
    train(config, tmp_path / model, progress=False)
    assert evaluate_run(tmp_path / model, sizes=(16,), samples=50)[0]["16"]["score"] > 0.8
