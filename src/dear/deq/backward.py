"""Ways to give a fixed point found without autograd a gradient.

Both start from ``z*`` found under ``torch.no_grad``, so what autograd stores is one (IFT) or
``k`` (phantom) calls of ``f``, however many iterations the forward solve took.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from dear.deq.info import SolverInfo

#: ``solve_adjoint(F, g)``: fixed point ``u = F(u)`` started at ``g``, with its info.
AdjointSolver = Callable[[Callable[[Tensor], Tensor], Tensor], tuple[Tensor, SolverInfo]]


def implicit(
    f: Callable[[Tensor], Tensor], z_star: Tensor, solve_adjoint: AdjointSolver, info: SolverInfo
) -> Tensor:
    """``f(z*)`` whose incoming gradient ``g`` is replaced by ``u = J^T u + g`` (``J = df/dz``
    at ``z*``), so backprop through this one call yields the implicit-function-theorem gradient
    ``(df/dtheta)^T (I - J)^-T g``. The adjoint solve's statistics go to ``info.backward``."""
    z_star = z_star.detach().requires_grad_()
    fz = f(z_star)
    if not fz.requires_grad:
        return fz
    # The hook sits on a copy: the VJPs below start from fz and so never re-enter it, and the
    # closure does not reference the tensor that owns the hook (no reference cycle).
    z = fz.clone()

    def adjoint(grad: Tensor) -> Tensor:
        def vjp_plus_grad(u: Tensor) -> Tensor:
            (vjp,) = torch.autograd.grad(
                fz, z_star, u, retain_graph=True, allow_unused=True, materialize_grads=True
            )
            return vjp + grad

        u, info.backward = solve_adjoint(vjp_plus_grad, grad)
        return u

    z.register_hook(adjoint)
    return z


def phantom(f: Callable[[Tensor], Tensor], z_star: Tensor, steps: int, damping: float) -> Tensor:
    """``steps`` differentiable damped steps ``z + lam (f(z) - z)`` from ``z*`` (phantom
    gradient, Geng et al. 2021): a cheap, inexact gradient that needs no adjoint solve."""
    z = z_star.detach()
    for _ in range(steps):
        z = z + damping * (f(z) - z)
    return z
