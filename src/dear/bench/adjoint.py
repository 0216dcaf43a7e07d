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

from typing import Sequence

import torch

from dear.data.batching import collate
from dear.data.trajectory import Trajectory
from dear.evaluate import batches
from dear.models.dear import DEAR


def adjoint_convergence(model: DEAR, data: Sequence[Trajectory], batch_size: int, tol: float) -> dict[str, float]:
    """``implicit_fraction`` (graphs whose forward converged, so IFT applies), and over those the
    adjoint's ``adjoint_converged_fraction``, ``adjoint_iterations_mean`` and
    ``adjoint_residual_max``, on ``data``; forward and adjoint at ``tol`` with the model's
    evaluation iteration cap. The model's own backward settings are restored afterwards."""
    own_options, own_limits = dict(model.solver_options), dict(model.eval_limits)
    model.solver_options |= {"backward": "ift", "backward_tol": tol, "backward_max_iter": own_limits["max_iter"]}
    model.eval_limits["tol"] = tol
    model.eval()
    implicit, iterations, converged, residual = [], [], [], []
    try:
        for chunk in batches(data, batch_size):
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
    finally:
        model.zero_grad(set_to_none=True)
        model.solver_options, model.eval_limits = own_options, own_limits
    result = {"implicit_fraction": torch.cat(implicit).float().mean().item()}
    if iterations:
        result |= {"adjoint_converged_fraction": torch.cat(converged).float().mean().item(),
                   "adjoint_iterations_mean": torch.cat(iterations).float().mean().item(),
                   "adjoint_residual_max": torch.cat(residual).max().item()}
    return result
