"""The adjoint a DEAR's implicit gradient needs, measured at its fixed points.

A DEAR trained with the phantom gradient (the official recipe) never solves the adjoint system
``u = J^T u + g`` that the implicit function theorem asks for, so its training logs say nothing
about it. Whether that system is solvable at the fixed points the model reaches (the map is
locally contractive there) is still a property of the model worth showing beside the forward's
convergence: this module re-solves the test graphs with ``backward="ift"`` and the same
tolerance for forward and adjoint, takes the gradient of the output loss, and reports the
adjoint solve's per-graph outcome.
"""

from __future__ import annotations

from pathlib import Path

import torch

from dear.checkpoint import load_weights
from dear.config import TrainConfig
from dear.data.batching import collate
from dear.data.splits import TEST, load_split
from dear.evaluate import batches
from dear.models.dear import DEAR
from dear.run import eval_batch_size


def adjoint_convergence(dear_dir: Path, size: int, samples: int, tol: float) -> dict[str, float]:
    """``implicit_fraction`` (graphs whose forward converged, so IFT applies), and over those the
    adjoint's ``adjoint_converged_fraction``, ``adjoint_iterations_mean`` and
    ``adjoint_residual_max``, on the test graphs of ``size``; forward and adjoint at ``tol`` with
    the run's evaluation iteration cap."""
    config = TrainConfig.load(Path(dear_dir) / "config.json")
    model = DEAR.from_config(config, eval_tol=tol, backward="ift", backward_tol=tol,
                             backward_max_iter=config.eval_max_iter)
    load_weights(model, Path(dear_dir) / "model.safetensors")
    model.eval()
    data = load_split(config.algorithm, TEST, samples, (size, size), random_pos=config.random_pos)
    implicit, iterations, converged, residual = [], [], [], []
    for chunk in batches(data, eval_batch_size(config.algorithm, size, config.hidden)):
        batch = collate(chunk, hints=False)
        with torch.enable_grad():
            prediction = model(batch)
            torch.stack(list(model.output_losses(batch, prediction.outputs, prediction.graph).values())).sum().backward()
        info = prediction.solver
        implicit.append(info.implicit)
        if info.backward is not None:  # at least one graph converged and got the adjoint solve
            iterations.append(info.backward.iterations)
            converged.append(info.backward.converged)
            residual.append(info.backward.residual)
    model.zero_grad(set_to_none=True)
    result = {"implicit_fraction": torch.cat(implicit).float().mean().item()}
    if iterations:
        result |= {"adjoint_converged_fraction": torch.cat(converged).float().mean().item(),
                   "adjoint_iterations_mean": torch.cat(iterations).float().mean().item(),
                   "adjoint_residual_max": torch.cat(residual).max().item()}
    return result
