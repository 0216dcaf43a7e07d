"""CLRS-style evaluation of a trained reasoner on fresh test graphs."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import torch

from dear.data.batching import collate
from dear.data.trajectory import Trajectory
from dear.models.base import Reasoner
from dear.nn.metrics import MetricAccumulator


def batches(trajectories: Sequence[Trajectory], batch_size: int) -> list[Sequence[Trajectory]]:
    return [trajectories[i : i + batch_size] for i in range(0, len(trajectories), batch_size)]


@torch.no_grad()
def evaluate_model(
    model: Reasoner, trajectories: Sequence[Trajectory], batch_size: int = 32, device: torch.device | None = None
) -> dict:
    """``{"score": CLRS score (mean over the non-scalar output probes), "probes": {...},
    "loss": output loss (summed over probes, mean over graphs), diagnostics}``."""
    was_training = model.training
    model.eval()
    device = device or next(model.parameters()).device
    specs = model.output_specs()
    metrics = MetricAccumulator({name: kind for name, (_, _, kind) in specs.items()})
    diagnostics: dict[str, list[tuple[float, int]]] = defaultdict(list)  # (batch value, graphs in batch)
    for chunk in batches(trajectories, batch_size):
        batch = collate(chunk, hints=model.uses_hints).to(device)
        prediction = model(batch)
        for name, stats in model.statistics(batch, prediction).items():
            metrics.add(name, stats)
        losses = model.output_losses(batch, prediction.outputs, prediction.graph)
        diagnostics["loss"].append((float(sum(losses.values())), len(chunk)))
        for key, value in prediction.diagnostics.items():
            diagnostics[key].append((value, len(chunk)))
    model.train(was_training)
    scores = metrics.scores()
    result = {"score": metrics.score(), "probes": scores, "samples": len(trajectories)}
    # Batch means weighted by their graphs: a short last batch must not count as a full one.
    for key, values in diagnostics.items():
        if key.endswith("_max"):
            result[key] = max(value for value, _ in values)
        else:
            result[key] = sum(value * graphs for value, graphs in values) / sum(graphs for _, graphs in values)
    return result
