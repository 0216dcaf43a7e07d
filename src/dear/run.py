"""A run directory as a unit: load its model, evaluate it, record ``eval.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from dear.checkpoint import load_weights, write_json
from dear.config import TrainConfig
from dear.evaluate import evaluate_model
from dear.models import Reasoner, build_model
from dear.train import default_device, load_split

TEST_SEED = 3


def load_run(run_dir: Path) -> tuple[TrainConfig, Reasoner]:
    """Config and best weights of a run; clear errors for anything missing or corrupt."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").exists():
        raise ValueError(f"{run_dir} is not a run directory (no config.json)")
    if not (run_dir / "model.safetensors").exists():
        raise ValueError(f"{run_dir} has no model.safetensors (training did not reach its first evaluation)")
    config = TrainConfig.load(run_dir / "config.json")
    model = build_model(config)
    load_weights(model, run_dir / "model.safetensors")
    return config, model.eval()


def evaluate_run(run_dir: Path, sizes: Sequence[int] = (16, 64), samples: int = 100, seed: int = TEST_SEED,
                 batch_size: int = 16) -> dict[str, dict]:
    """Score the run at every size on fresh graphs (``seed`` fixes them) and merge into ``eval.json``."""
    if samples < 1:
        raise ValueError(f"samples must be positive, got {samples}")
    config, model = load_run(run_dir)
    device = default_device()
    model.to(device)
    results = {}
    for size in sizes:
        data = load_split(config.algorithm, samples, (size, size), seed)
        results[str(size)] = evaluate_model(model, data, batch_size, device)
    path = Path(run_dir) / "eval.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    write_json(path, previous | results)
    return results
