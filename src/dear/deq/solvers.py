"""Update rules of the root finders: given the state ``x`` and ``f(x)``, propose the next state.

The loop in ``loop.py`` owns convergence, freezing and bookkeeping; a rule only proposes. Every
rule keeps its statistics per graph, so a batch of graphs is solved as if each graph were
solved alone. Rules never write into tensors in place: the states they return may be kept in a
trajectory or be part of an autograd graph (``backward="unroll"``).
"""

from __future__ import annotations

from typing import Callable, Protocol

import torch
from torch import Tensor

from dear.deq.segments import segment_dot, segment_sum

#: Anderson's Tikhonov term, relative to the mean squared residual of the graph's history:
#: scale-free, so it regularises a float64 solve at 1e-12 as much as a float32 one at 1e-3.
ANDERSON_REGULARISATION = 1e-4


class UpdateRule(Protocol):
    def step(self, x: Tensor, fx: Tensor, active: Tensor, rows: Tensor | None) -> Tensor:
        """Next state; ``active`` ``[G]`` / ``rows`` ``[N]`` mark the graphs still iterating
        (rows of frozen graphs in the result are discarded by the caller); ``rows`` is None
        while every graph iterates."""
        ...


class FixedPoint:
    """Damped Picard iteration ``x + beta (f(x) - x)``: the baseline the others accelerate."""

    def __init__(self, damping: float) -> None:
        self.damping = damping

    def step(self, x: Tensor, fx: Tensor, active: Tensor, rows: Tensor | None) -> Tensor:
        return x + self.damping * (fx - x)


class Anderson:
    """Anderson acceleration (DEQ tutorial, ch. 4) with the mixing weights fitted per graph.

    Keeps the last ``memory`` pairs ``(x_i, f(x_i))``; for each graph, solves the regularised
    least squares ``min ||sum_i a_i (f(x_i) - x_i)||^2 + lam ||a||^2`` s.t. ``sum_i a_i = 1``
    (closed form ``a ~ (G G^T + lam I)^-1 1``) from that graph's rows only, then mixes
    ``beta sum a_i f(x_i) + (1 - beta) sum a_i x_i``.

    The history is a ring of ``memory`` slots, kept as the residuals and the mixed targets
    ``x_i + beta (f(x_i) - x_i)`` (a step mixes one tensor, not two), and the per-graph Gram
    matrix of the residuals gains one row of inner products per step, not all ``memory^2``. The
    weights of a least-squares fit do not depend on the order of its pairs, so slots are reused
    in place of shifting the history. Slots are written in place unless autograd records the
    solve (``backward="unroll"``): then each write makes a new ring, as no saved tensor may change.
    """

    def __init__(self, batch: Tensor, num_graphs: int, damping: float, memory: int) -> None:
        self.batch, self.num_graphs = batch, num_graphs
        self.damping, self.memory = damping, memory
        self.residuals: Tensor | None = None  # [memory, N, H]
        self.targets: Tensor | None = None  # [memory, N, H]
        self.gram: Tensor | None = None  # [G, memory, memory]
        self.stored = 0  # pairs written so far

    def step(self, x: Tensor, fx: Tensor, active: Tensor, rows: Tensor | None) -> Tensor:
        # Frozen rows get a zero residual: whatever a masked f returned there stays out.
        residual = fx - x if rows is None else torch.where(rows[:, None], fx - x, 0)
        target = torch.add(x, residual, alpha=self.damping)
        if self.residuals is None:
            self.residuals = x.new_zeros((self.memory, *x.shape))
            self.targets = x.new_zeros((self.memory, *x.shape))
            self.gram = x.new_zeros(self.num_graphs, self.memory, self.memory)
        slot, used = self.stored % self.memory, min(self.stored + 1, self.memory)
        self.stored += 1
        self.residuals = _write(self.residuals, slot, residual)
        self.targets = _write(self.targets, slot, target)
        products = segment_sum((self.residuals[:used] * residual).sum(-1).T, self.batch, self.num_graphs)
        self.gram = _write(_write(self.gram, (slice(None), slot, slice(used)), products),
                           (slice(None), slice(used), slot), products)
        weights = self._weights(self.gram[:, :used, :used], active, slot)[self.batch]  # [N, used]
        return (weights.T[..., None] * self.targets[:used]).sum(0)

    def _weights(self, gram: Tensor, active: Tensor, newest: int) -> Tensor:
        """Mixing weights ``[G, k]``; a graph whose system cannot be solved takes the newest
        iterate alone (a plain fixed-point step) instead of NaNs."""
        n = gram.shape[-1]
        eye = torch.eye(n, dtype=gram.dtype, device=gram.device)
        scale = gram.diagonal(dim1=-2, dim2=-1).mean(-1)
        system = gram + (ANDERSON_REGULARISATION * scale)[:, None, None] * eye
        # Frozen graphs may have an all-zero history: give them a harmless system to solve.
        system = torch.where(active[:, None, None], system, eye)
        solution, status = torch.linalg.solve_ex(system, gram.new_ones(self.num_graphs, n, 1))
        weights = solution[..., 0] / solution[..., 0].sum(-1, keepdim=True)
        usable = (status == 0) & torch.isfinite(weights).all(-1)
        return torch.where(usable[:, None], weights, eye[newest])


def _write(ring: Tensor, where: int | tuple, value: Tensor) -> Tensor:
    """``ring`` with ``value`` at ``where``: in place, or into a copy when autograd records."""
    if value.requires_grad or ring.requires_grad:
        ring = ring.clone()
    ring[where] = value
    return ring


class Broyden:
    """Good Broyden on ``g(x) = f(x) - x`` (as in the DEQ code), per graph.

    The inverse Jacobian estimate is ``-I + sum_i u_i v_i^T`` with rank-one Sherman-Morrison
    updates; the inner products ``v_i^T x`` are taken within each graph, so each graph carries
    its own estimate. The step is ``x - beta B^-1 g(x)``.
    """

    def __init__(self, batch: Tensor, num_graphs: int, damping: float) -> None:
        self.batch, self.num_graphs, self.damping = batch, num_graphs, damping
        self.us: list[Tensor] = []
        self.vs: list[Tensor] = []
        self.previous: tuple[Tensor, Tensor] | None = None

    def _apply(self, x: Tensor, left: list[Tensor], right: list[Tensor]) -> Tensor:
        """``(-I + sum_i left_i right_i^T) x`` with graph-local inner products."""
        if not left:
            return -x
        lefts, rights = torch.stack(left), torch.stack(right)  # [k, N, H]
        coefficients = segment_sum((rights * x).sum(-1).T, self.batch, self.num_graphs)  # [G, k]
        return torch.einsum("nk,knh->nh", coefficients[self.batch], lefts) - x

    def step(self, x: Tensor, fx: Tensor, active: Tensor, rows: Tensor | None) -> Tensor:
        g = fx - x if rows is None else torch.where(rows[:, None], fx - x, 0)
        if self.previous is not None:
            dx, dg = x - self.previous[0], g - self.previous[1]
            vt = self._apply(dx, self.vs, self.us)  # dx^T B^-1
            denominator = segment_dot(vt, dg, self.batch, self.num_graphs)
            usable = active & (denominator != 0)
            # Double where: 1/0 must not exist even in the branch that is thrown away (NaN grads).
            scale = torch.where(usable, 1 / torch.where(usable, denominator, 1), 0)
            self.us.append((dx - self._apply(dg, self.us, self.vs)) * scale[self.batch][:, None])
            self.vs.append(vt)
        self.previous = (x, g)
        return x - self.damping * self._apply(g, self.us, self.vs)


#: Solver name -> rule factory ``(batch, num_graphs, memory, damping)``.
SOLVERS: dict[str, Callable[[Tensor, int, int, float], UpdateRule]] = {
    "fixed_point": lambda batch, num_graphs, memory, damping: FixedPoint(damping),
    "anderson": lambda batch, num_graphs, memory, damping: Anderson(batch, num_graphs, damping, memory),
    "broyden": lambda batch, num_graphs, memory, damping: Broyden(batch, num_graphs, damping),
}
