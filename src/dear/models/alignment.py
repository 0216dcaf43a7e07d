"""Alignment of a DEAR solve to a pretrained NAR's rollout (``--align``, DESIGN §4).

A NAR's state after step ``t`` is a latent of the algorithm's ``t``-th step; a solve has no
steps of its own, so states sampled along it are matched to the NAR's steps by a monotone
dynamic-programming alignment (start with start, end with end, never going back) and pulled
towards their partners. The path is a discrete choice made without gradient; the distances
along it are differentiable in the DEAR states.

Published code computed this under ``no_grad`` on states its solver later overwrote (no
gradient at all) and indexed the DP table one step off: here the states are fresh tensors
re-stepped with gradient, and ``tests/test_alignment.py`` checks the DP against brute force.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor
from torch_geometric.data import Batch
from torch_geometric.utils import scatter

from dear.models.nar import NAR


def aligned_steps(cost: Tensor, steps: Tensor, states: Tensor | None = None) -> Tensor:
    """NAR step aligned to each DEAR state, for a batch of graphs: ``[G, max(K, 2)]`` (long).

    ``cost`` ``[G, K, T]`` (non-negative; no gradient is taken): cost of pairing DEAR state
    ``k`` with NAR step ``t``; graph ``g`` has ``steps[g] <= T`` NAR steps (its columns
    ``t >= steps[g]`` are padding, never read) and ``states[g] <= K`` DEAR states (default
    ``K``; its rows ``k >= states[g]`` are padding: their entries are ``steps[g] - 1`` and
    their costs are never read). Entry ``i`` is the step of DEAR state ``min(i, K - 1)``: with
    ``K = 1`` the lone state is both start and end, so it is paired with the first and the last
    step (a graph with ``states[g] = 1`` among longer ones is paired with its last step).

    The rule (see :func:`monotone_alignment`) reduces, for non-negative costs, to: every DEAR
    state gets one step, the first ``0``, the last ``steps[g] - 1``, and the steps never
    decrease. ``D[k, t] = cost[k, t] + min_{t' <= t} D[k - 1, t']`` is a running minimum per
    row, so the DP costs ``K`` vectorised operations over all graphs and steps; as it only
    looks back, a path traced from ``(K - 1, steps[g] - 1)`` never sees the padding.
    """
    if cost.dim() != 3 or cost.shape[1] < 1 or cost.shape[2] < 1:
        raise ValueError(f"cost must be a non-empty [G, K, T] tensor, got shape {tuple(cost.shape)}")
    if bool((steps < 1).any()) or bool((steps > cost.shape[2]).any()):
        raise ValueError(f"steps must lie in [1, {cost.shape[2]}], got {steps.tolist()}")
    if states is None:
        states = torch.full_like(steps, cost.shape[1])
    if bool((states < 1).any()) or bool((states > cost.shape[1]).any()):
        raise ValueError(f"states must lie in [1, {cost.shape[1]}], got {states.tolist()}")
    cost = cost.detach()
    if cost.shape[1] == 1:
        cost, states = cost.expand(-1, 2, -1), states + 1
    total = torch.full_like(cost[:, 0], torch.inf)
    total[:, 0] = cost[:, 0, 0]
    choices = []
    for k in range(1, cost.shape[1]):
        best, where = torch.cummin(total, dim=-1)
        total = cost[:, k] + best
        choices.append(where)
    # Traced back from each graph's own last state: (states[g] - 1, steps[g] - 1).
    last = steps - 1
    path = [last]
    for k, where in zip(range(cost.shape[1] - 2, -1, -1), reversed(choices)):
        previous = where.gather(1, path[-1][:, None]).squeeze(1)
        path.append(torch.where(k >= states - 1, last, previous))
    return torch.stack(path[::-1], dim=1)


def monotone_alignment(cost: Tensor) -> list[tuple[int, int]]:
    """Minimum-cost monotone alignment of DEAR states ``k < K`` to NAR steps ``t < T``.

    An alignment is a path of ``(k, t)`` pairs from ``(0, 0)`` (start with start) to
    ``(K - 1, T - 1)`` (end with end) in which every move advances ``k`` by at most one and
    ``t`` by zero or more, not both by zero: it never goes back, so DEAR states always
    progress forward in the NAR's time. NAR steps may be skipped (a solve may take fewer,
    larger steps) and consecutive DEAR states may share one (a solve may take more, or have
    stopped early, repeating its state). Its cost is the sum of ``cost[k, t]`` over its
    pairs. With non-negative costs a cheapest path needs a move that keeps ``k`` only when
    ``K = 1``, so every DEAR state appears once unless it is the only one.
    """
    if cost.dim() != 2:
        raise ValueError(f"cost must be a [K, T] tensor, got shape {tuple(cost.shape)}")
    path = aligned_steps(cost[None], torch.tensor([cost.shape[1]], device=cost.device))[0].tolist()
    pairs = [(min(i, cost.shape[0] - 1), t) for i, t in enumerate(path)]
    return list(dict.fromkeys(pairs))  # K = T = 1 pairs (0, 0) with itself twice


def alignment_cost(dear_states: Tensor, nar_states: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """``[G, K, T]`` distances of every DEAR state to every NAR step, without gradient: each
    node's L2 distance over hidden units, averaged over the graph's nodes (:func:`node_distance`),
    with the squares expanded as ``|a|^2 + |b|^2 - 2 a.b`` so that no ``[K, T, N, H]`` tensor is
    built."""
    with torch.no_grad():
        a, b = dear_states.detach(), nar_states.detach()
        squared = (a.square().sum(-1)[:, None] + b.square().sum(-1)[None] - 2 * torch.einsum("knh,tnh->ktn", a, b))
        per_node = squared.clamp_min(0).sqrt()
        return scatter(per_node, batch, dim=2, dim_size=num_graphs, reduce="mean").permute(2, 0, 1)


def node_distance(a: Tensor, b: Tensor) -> Tensor:
    """L2 distance of two states per node, over hidden units (``[..., N, H]`` -> ``[..., N]``):
    the official code's distance, not its square. The tiny offset keeps the gradient finite where
    the states coincide."""
    return (a - b).square().sum(-1).add(1e-12).sqrt()


def alignment_loss(dear_states: Tensor, nar_states: Tensor, batch: Tensor, steps: Tensor,
                   states: Tensor | None = None) -> Tensor:
    """Mean distance along each graph's cheapest alignment, averaged over graphs.

    ``dear_states`` ``[K, N, H]`` (states along the solve, in order; graph ``g`` uses its first
    ``states[g]``, default all ``K``), ``nar_states`` ``[T, N, H]`` (after each NAR step; graph
    ``g`` uses its first ``steps[g]``), ``batch`` ``[N]`` the graph of each node. The distance is
    :func:`node_distance` averaged over the graph's nodes and its aligned pairs; the gradient
    flows into both state tensors, the path is held fixed.
    """
    num_graphs = steps.shape[0]
    count = dear_states.shape[0]
    if states is None:
        states = torch.full_like(steps, count)
    path = aligned_steps(alignment_cost(dear_states, nar_states, batch, num_graphs), steps, states)  # [G, P]
    which = torch.arange(path.shape[1], device=path.device).clamp(max=count - 1)
    nodes = torch.arange(batch.shape[0], device=batch.device)
    partners = nar_states[path[batch].T, nodes]  # [P, N, H]
    distance = node_distance(dear_states[which], partners)  # [P, N]
    per_pair = scatter(distance, batch, dim=1, dim_size=num_graphs, reduce="mean")  # [P, G]
    pairs = states if count > 1 else states + 1  # a lone state is paired twice, with start and end
    used = torch.arange(path.shape[1], device=path.device)[:, None] < pairs  # padding rows are not pairs
    return ((per_pair * used).sum(0) / used.sum(0)).mean()


class NARAlignment:
    """The ``--align`` target: a frozen pretrained NAR, run on DEAR's training batches.

    A plain object, not a module, so the NAR never enters the DEAR's ``state_dict`` (a saved
    DEAR loads without the NAR's run) nor its ``train()``: the NAR is put in eval mode with
    frozen weights here, once, and follows the batch's device. The caller loads the NAR
    (:func:`dear.run.load_alignment_target`), so models never read run directories.

    Args:
        nar (NAR): The pretrained NAR (same algorithm and ``hidden`` as the DEAR).
    """

    def __init__(self, nar: NAR) -> None:
        self.nar = nar.requires_grad_(False).eval()

    def loss(self, batch: Batch, trajectory: list[Tensor], counts: Tensor, step: Callable[[Tensor], Tensor]) -> Tensor:
        r"""Alignment loss of the solver's ``trajectory`` (detached states, in order; graph ``g``'s
        first ``counts[g]`` are its own, the rest padding) to the NAR.

        Each state ``s`` enters as ``step(s)``, one differentiable processor step: the solver's
        states carry no gradient, ``step(s)`` does, into the processor and the encoders.

        Shapes:
            - **input:** ``trajectory`` :math:`K` tensors :math:`(N', H)` (the processor graph's
              rows: :math:`N' \ge N` with CGP), ``counts`` :math:`(G)`, ``batch.length`` :math:`(G)`
            - **output:** a scalar (:func:`alignment_loss`)
        """
        nar = self.nar.to(batch.batch.device)
        with torch.no_grad():
            targets = nar.step_latents(batch)
        states = torch.stack([step(state) for state in trajectory])[:, : batch.num_nodes]
        return alignment_loss(states, targets.to(states.dtype), batch.batch, batch.length, counts)
