"""Per-graph reductions over the rows of a batched state.

A batch holds many graphs; every norm and inner product the solvers take must stay inside one
graph, or one graph's progress would steer (or stall) another's.
"""

from __future__ import annotations

import torch
from torch import Tensor


def segment_sum(values: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """Sum the rows of ``values`` ``[N, ...]`` into ``[G, ...]`` by graph id (out of place,
    so it is safe inside an autograd graph)."""
    # index_add is ~1000x slower on a strided multi-axis source (einsum's output): flatten.
    rows = values.reshape(values.shape[0], -1)
    total = torch.index_add(rows.new_zeros(num_graphs, rows.shape[1]), 0, batch, rows)
    return total.reshape(num_graphs, *values.shape[1:])


def segment_dot(a: Tensor, b: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """Inner product of two ``[N, H]`` states within each graph: ``[G]``."""
    return segment_sum((a * b).sum(-1), batch, num_graphs)


def relative_residual(fx: Tensor, x: Tensor, batch: Tensor, num_graphs: int, eps: float = 1e-8) -> Tensor:
    """``||f(x) - x|| / (||f(x)|| + eps)`` per graph, ``inf`` where the state is not finite, so a
    blown-up graph can never pass a tolerance test."""
    dtype = torch.promote_types(x.dtype, torch.float32)
    fx, x = fx.detach().to(dtype), x.detach().to(dtype)
    # Both squared norms in one segment sum: this runs every iteration of every solve.
    squares = torch.stack(((fx - x).square().sum(-1), fx.square().sum(-1)), -1)
    norms = segment_sum(squares, batch, num_graphs).sqrt()
    residual = norms[:, 0] / (norms[:, 1] + eps)
    return torch.where(torch.isfinite(residual), residual, torch.inf)
