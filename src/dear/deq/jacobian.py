"""Jacobian regularisation (Bai et al. 2021): a small ``||J||_F`` keeps ``f`` contractive, so
solves stay short and the adjoint stays well posed."""

from __future__ import annotations

import torch
from torch import Tensor


def jacobian_regularizer(fz: Tensor, z: Tensor, num_samples: int = 1) -> Tensor:
    """Hutchinson estimate of ``||d fz / d z||_F^2 / z.numel()`` with Gaussian probes.

    Differentiable (``create_graph=True``), so it can be added to a loss. ``fz`` must have been
    computed from ``z`` with autograd on, e.g. ``z = z_star.detach().requires_grad_()``,
    ``fz = f(z)``.
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
    total = fz.new_zeros(())
    for _ in range(num_samples):
        (vjp,) = torch.autograd.grad(fz, z, torch.randn_like(fz), retain_graph=True, create_graph=True)
        total = total + vjp.square().sum()
    return total / (num_samples * z.numel())
