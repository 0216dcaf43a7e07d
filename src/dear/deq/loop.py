"""The root-finding loop shared by every solver, forward and adjoint alike.

It owns what must not differ between solvers: the per-graph relative-residual test, freezing
converged, stalled or blown-up graphs, the early exit once every graph stopped, the iteration
counts and the sampled trajectory.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from dear.deq.info import SolverInfo
from dear.deq.segments import relative_residual
from dear.deq.solvers import UpdateRule

#: ``f(state, rows)``: ``rows`` ``[N]`` (bool) marks the rows whose graphs are still iterating.
MaskedMap = Callable[[Tensor, Tensor], Tensor]


def find_fixed_point(
    f: MaskedMap,
    z0: Tensor,
    batch: Tensor,
    num_graphs: int,
    rule: UpdateRule,
    *,
    tol: float,
    max_iter: int,
    num_states: int,
    patience: int,
) -> tuple[Tensor, SolverInfo]:
    """Iterate ``rule`` from ``z0`` until every graph's residual is below ``tol`` or ``max_iter``
    f-calls were made. With ``patience`` > 0 a graph also stops, stalled and not converged, once
    ``patience`` f-calls in a row brought no new lowest residual. A stopped graph's rows keep
    the state whose residual was measured."""
    device = z0.device
    active = torch.ones(num_graphs, dtype=torch.bool, device=device)
    converged = torch.zeros_like(active)
    stalled = torch.zeros_like(active)
    iterations = torch.full((num_graphs,), max_iter, dtype=torch.long, device=device)
    residual_dtype = torch.promote_types(z0.dtype, torch.float32)
    residual = torch.full((num_graphs,), torch.inf, dtype=residual_dtype, device=device)
    lowest, since_lowest = residual.clone(), torch.zeros_like(iterations)
    # ``rows`` is None while every graph iterates: the masks then cost nothing.
    x, visited, rows, running = z0, [z0], None, num_graphs
    all_rows = torch.ones_like(batch, dtype=torch.bool)
    for k in range(1, max_iter + 1):
        fx = f(x, all_rows if rows is None else rows)
        current = relative_residual(fx, x, batch, num_graphs)
        residual = torch.where(active, current, residual)
        reached = active & (current < tol)
        stopped = reached | (active & torch.isinf(current))
        if patience:
            improved = current < lowest
            lowest = torch.where(improved, current, lowest)
            since_lowest = torch.where(improved, 0, since_lowest + 1)
            stalling = active & ~reached & (since_lowest >= patience)
            stalled |= stalling
            stopped |= stalling
        converged |= reached
        iterations = torch.where(stopped, k, iterations)
        active = active & ~stopped
        still = int(active.sum())
        if k == max_iter or still == 0:
            break
        if still != running:
            rows, running = active[batch], still
        proposal = rule.step(x, fx, active, rows)
        x = proposal if rows is None else torch.where(rows[:, None], proposal, x)
        if num_states:
            visited.append(x)
    info = SolverInfo(iterations, residual, converged, stalled)
    if num_states:
        info.trajectory, info.trajectory_length = sample_states(visited, iterations, batch, num_states)
    return x, info


def sample_states(visited: list[Tensor], iterations: Tensor, batch: Tensor, count: int) -> tuple[list[Tensor], Tensor]:
    """``count`` states per graph, evenly spaced along *that graph's own* solve, and how many of
    them are distinct: ``([count x [N, H]], [G])``.

    Graph ``g`` visited states ``0 .. iterations[g] - 1`` (state 0 is ``z0``, the last the one
    returned); it gets ``L = min(count, iterations[g])`` distinct ones, the first and last
    included (one state: the last), in order, and its rows of the remaining ``count - L`` tensors repeat its final
    state. So a graph that converged early contributes no copies of its fixed point to the
    first ``L`` slots, and the caller reads ``L`` to ignore the padding. The tensors are fresh,
    so nothing the caller holds aliases solver memory.
    """
    length = iterations.clamp(max=count)
    slot = torch.arange(count, device=iterations.device)
    # i * (iterations - 1) / (L - 1), rounded: distinct because iterations >= L.
    span = (iterations - 1)[:, None] * slot.clamp(max=length[:, None] - 1)
    gaps = (length[:, None] - 1).clamp(min=1)
    index = (2 * span + gaps) // (2 * gaps)  # [G, count]
    index = torch.where(length[:, None] == 1, iterations[:, None] - 1, index)  # one state: the last
    states = torch.stack(visited)
    rows = torch.arange(batch.shape[0], device=batch.device)
    return list(states[index[batch].T, rows].unbind(0)), length
