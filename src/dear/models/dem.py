"""DEM, the baseline of the ICLR 2024 blog post "Deep Equilibrium Models for Algorithmic
Reasoning": a processor made monotone by a min-update, iterated to its fixed point.

One step is ``z' = min(z, P(z, x))`` (``temperature == 0``) or the blog's softmin: the mean of
``z`` and ``P(z, x)`` weighted by ``softmax(-[z, P(z, x)] / τ)``, which tends to the min as
``τ -> 0`` and to the plain mean for large ``τ``. That weighted mean (not ``-τ logsumexp``, which
is below ``min(a, b)`` by up to ``τ log 2``) keeps ``softmin(z, z) = z``, so the fixed points of
``P`` stay fixed points of the update; being a mean, the soft step may rise a little where
``P(z) > z``, so only the hard step is strictly monotone.

Initial state: the blog leaves it unspecified. A min-update can only lower the state, so ``z0``
is a learned per-channel vector (gradient reaches it through every channel the min kept), free
to rise where a channel needs room to move down; a literal +∞ (or a huge constant) cannot be
used, since the state is also the processor's input. It starts at ``INITIAL_STATE = 0``, where
NAR and DEAR start: on Bellman-Ford (cpu profile, 300 steps, 2 seeds) that scored 0.88 / 0.73
at n = 16 / 64 against 0.82 / 0.64 when starting high at 3 (three standard deviations above the
processor's layer-normalised candidate), whose slow gated descent was still under way at
``max_iter``.

Training iterates the update with plain fixed-point steps (Anderson or Broyden extrapolation
would undo the monotonicity) until each graph's relative residual ``||z' - z|| / ||z'||`` is
below ``tol`` or after ``max_iter`` steps, freezing converged graphs, and backpropagates
through every step (BPTT). Implicit differentiation is ill-posed here: wherever the min keeps
``z`` the update is the identity, so those rows of the Jacobian ``J`` are those of ``I`` and
``I - J`` is singular (the blog's "problem with hard constraints"). DEAR's ``solver`` and
``backward`` options therefore do not apply to DEM. The step penalty
``w Σ_t mean_i ||z_{t+1,i} - z_{t,i}||²`` runs over every step taken plus the residual step of
the returned state (the blog's ``Σ_{t=0}^{T}``). Hint propagation (Rao-Blackwellised
straight-through Gumbel-softmax) is not implemented.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.data import Batch

from dear.config import TrainConfig
from dear.deq import solve
from dear.deq.info import SolverInfo
from dear.models.base import Reasoner
from dear.nn.graph import EncodedGraph

#: Start of the learned initial state (see the module docstring for why not higher).
INITIAL_STATE = 0.0


def softmin(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Elementwise min of ``a`` and ``b`` (``temperature == 0``), else the blog's softmin."""
    if temperature == 0:
        return torch.minimum(a, b)
    pair = torch.stack([a, b])
    return (torch.softmax(-pair / temperature, dim=0) * pair).sum(0)


class DEM(Reasoner):
    r"""Min-updated processor iterated from a learned state until each graph stops moving:

    .. math::
        \mathbf{z}_i^{(0)} = \mathbf{z}_0, \qquad
        \mathbf{z}^{(t+1)} = \mathrm{softmin}_\tau\big(\mathbf{z}^{(t)},
        P(\mathbf{z}^{(t)}; \mathbf{n}, \mathbf{e}, \mathbf{g})\big)

    (:func:`softmin`; the elementwise min for :math:`\tau = 0`), with :math:`\mathbf{z}_0`
    one learned vector shared by all nodes, plain fixed-point steps and backpropagation through
    every step (see the module docstring for why not IFT). Training adds
    ``aux_losses["step_penalty"]`` :math:`= w \sum_t \operatorname{mean}_i
    \|\mathbf{z}_i^{(t+1)} - \mathbf{z}_i^{(t)}\|^2`.

    Args:
        algorithm (str), hidden (int), processor (str): As for :class:`~dear.models.base.Reasoner`.
        temperature (float, optional): :math:`\tau \ge 0`. (default: :obj:`0.0`)
        step_penalty (float, optional): :math:`w`. (default: :obj:`0.01`)
        tol (float), max_iter (int): Per-graph relative residual and step cap in training;
            ``eval_tol``, ``eval_max_iter`` at evaluation.

    Shapes:
        - **input:** a batch as for :class:`~dear.models.base.Reasoner`
        - **output:** a :class:`~dear.models.base.Prediction`, ``latent`` :math:`(N, H)`,
          ``report`` the solve's :class:`~dear.deq.info.SolverInfo`
    """

    def __init__(
        self,
        algorithm: str,
        hidden: int = 128,
        processor: str = "mpnn",
        *,
        temperature: float = 0.0,
        step_penalty: float = 0.01,
        tol: float = 1e-3,
        max_iter: int = 40,
        eval_tol: float = 1e-3,
        eval_max_iter: int = 64,
    ) -> None:
        super().__init__(algorithm, hidden, processor)
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        self.temperature = temperature
        self.step_penalty = step_penalty
        self.train_limits = (tol, max_iter)
        self.eval_limits = (eval_tol, eval_max_iter)
        self.initial_state = nn.Parameter(torch.full((hidden,), INITIAL_STATE))

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.constant_(self.initial_state, INITIAL_STATE)

    @classmethod
    def from_config(cls, config: TrainConfig) -> "DEM":
        return cls(
            config.algorithm, config.hidden, config.processor, temperature=config.dem_temperature,
            step_penalty=config.dem_step_penalty, tol=config.tol, max_iter=config.max_iter,
            eval_tol=config.eval_tol, eval_max_iter=config.eval_max_iter,
        )

    def step(self, z: torch.Tensor, graph: EncodedGraph, active: torch.Tensor | None = None) -> torch.Tensor:
        """One monotone update; rows outside ``active`` are returned unchanged."""
        return softmin(z, self.processor(z, graph, active), self.temperature)

    def equilibrium(self, graph: EncodedGraph) -> tuple[torch.Tensor, SolverInfo, torch.Tensor]:
        """Fixed point under the current mode's limits, its info, and ``Σ_t mean_i ||Δz_i||²``."""
        tol, max_iter = self.train_limits if self.training else self.eval_limits
        squared_steps: list[torch.Tensor] = []

        def update(z: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
            z_next = self.step(z, graph, active)
            # Frozen rows come back unchanged (softmin(z, z) = z), so they add nothing here.
            squared_steps.append((z_next - z).square().sum(-1).mean())
            return z_next

        z0 = self.initial_state.expand(graph.num_nodes, -1)
        z, info = solve(
            update, z0, graph.batch, solver="fixed_point", tol=tol, max_iter=max_iter, backward="unroll",
            f_accepts_mask=True,
        )
        return z, info, torch.stack(squared_steps).sum()

    def latent(self, batch: Batch, graph: EncodedGraph) -> tuple[torch.Tensor, dict, SolverInfo]:
        z, info, squared_steps = self.equilibrium(graph)
        penalised = self.training and self.step_penalty > 0
        aux = {"step_penalty": self.step_penalty * squared_steps} if penalised else {}
        return z, aux, info
