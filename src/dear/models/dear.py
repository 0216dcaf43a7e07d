"""DEAR: the processor's fixed point ``h* = P(h*, inputs)`` found by a root solver.

Inputs are re-injected at every call (they are part of the processor's ``z``), ``h₀ = 0``,
and each graph of a batch converges and stops on its own. Training and evaluation use their
own solver settings (``tol``/``max_iter`` vs ``eval_tol``/``eval_max_iter``/``eval_patience``),
switched by ``train()``/``eval()``; Gaussian state noise and stochastic extra steps act in training only,
and so does ``--align``: the solve's trajectory is aligned to a frozen pretrained NAR's steps.
"""

from __future__ import annotations

from functools import partial

import torch
from torch_geometric.data import Batch

from dear.config import INITS, TrainConfig
from dear.deq import jacobian_regularizer, solve
from dear.deq.info import SolverInfo
from dear.models.alignment import NARAlignment
from dear.models.base import Reasoner
from dear.models.nar import NAR
from dear.nn.contractive import spectrally_normalised
from dear.nn.graph import EncodedGraph


def initial_state(init: str, graph: EncodedGraph, hidden: int) -> torch.Tensor:
    """``[N, H]`` start of a solve for an ``init`` of :data:`~dear.config.INITS`: ``h0 = 0`` (the
    paper) or the encoded inputs (a warm start). The start does not change a fixed point, only the
    way there: no gradient flows into it."""
    if init == "inputs":
        return graph.node.detach().clone()
    return graph.node.new_zeros(graph.num_nodes, hidden)


class DEAR(Reasoner):
    r"""Deep equilibrium algorithmic reasoner: the state is the processor's fixed point,

    .. math::
        \mathbf{H}^{*} = P(\mathbf{H}^{*}; \mathbf{n}, \mathbf{e}, \mathbf{g}),

    found per graph by a root solver (:func:`dear.deq.solve`) from :math:`\mathbf{H}^{(0)} =
    \mathbf{0}` (``init="zeros"``) or :math:`\mathbf{n}` (``init="inputs"``; no gradient
    flows into the start), until the relative residual
    :math:`\|P(\mathbf{H}) - \mathbf{H}\| / \|P(\mathbf{H})\|` of the graph is below the
    tolerance. Its gradient is implicit (IFT) where a graph converged, phantom steps elsewhere.
    In training, optional extra losses (``aux_losses``): the Jacobian regulariser, the
    alignment to a NAR (:meth:`align_to`) and fixed-point correction (:meth:`extra_losses`).
    Each argument below is the :class:`~dear.config.TrainConfig` field of the same name (the
    ``dear train`` flags' help says more), which :meth:`from_config` reads.

    Args:
        algorithm (str), hidden (int), processor (str), granola (bool), cgp (bool): As for
            :class:`~dear.models.base.Reasoner`.
        solver (str), tol (float), max_iter (int): Root finder and its limits in training;
            ``eval_tol``, ``eval_max_iter``, ``eval_patience`` at evaluation.
        backward (str), backward_tol (float), backward_max_iter (int), phantom_damping (float):
            The gradient and its adjoint solve; ``anderson_m``: Anderson's memory.
        jacobian_weight (float), state_noise (float), stochastic_steps (int), start_noise (float):
            Training-only regularisers (``start_noise``: Gaussian noise on every solve's start, so
            the fixed point must attract from a neighbourhood of the start; see
            :mod:`dear.bench.uniqueness` for why the start matters).
        align (str), align_weight (float): The NAR run to align to and the loss weight.
        correction_states (int), correction_decay (float): Fixed-point correction.
        init (str): The solver's start, one of :data:`INITS`.
        spectral_norm (bool): Spectral normalisation of the processor's linear maps
            (:mod:`dear.nn.contractive`), a contractive parameterisation.

    Shapes:
        - **input:** a batch as for :class:`~dear.models.base.Reasoner` (``length`` :math:`(G)`
          is read only to align)
        - **output:** a :class:`~dear.models.base.Prediction`, ``latent`` :math:`(N, H)`,
          ``report`` the solve's :class:`~dear.deq.info.SolverInfo`
    """

    def __init__(
        self,
        algorithm: str,
        hidden: int = 128,
        processor: str = "mpnn",
        *,
        solver: str = "anderson",
        tol: float = 1e-3,
        max_iter: int = 40,
        eval_tol: float = 1e-3,
        eval_max_iter: int = 64,
        eval_patience: int = 0,
        backward: str = "ift",
        backward_tol: float = 1e-3,
        backward_max_iter: int = 40,
        phantom_damping: float = 0.5,
        anderson_m: int = 6,
        jacobian_weight: float = 0.0,
        state_noise: float = 0.0,
        start_noise: float = 0.0,
        stochastic_steps: int = 0,
        granola: bool = False,
        cgp: bool = False,
        align: str = "",
        align_weight: float = 0.05,
        correction_states: int = 0,
        correction_decay: float = 0.8,
        init: str = "zeros",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__(algorithm, hidden, processor, granola=granola, cgp=cgp)
        if spectral_norm:
            spectrally_normalised(self.processor)
        self.spectral_norm = spectral_norm
        self.align = align  # the NAR run the config names; its model is attached by align_to
        self.alignment: NARAlignment | None = None
        self.align_weight = align_weight
        self.correction_states = correction_states
        self.correction_decay = correction_decay
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of: {', '.join(INITS)}")
        self.init = init
        self.solver_options = {"solver": solver, "m": anderson_m, "backward": backward,
                               "backward_tol": backward_tol, "backward_max_iter": backward_max_iter,
                               "phantom_damping": phantom_damping}
        self.train_limits = {"tol": tol, "max_iter": max_iter}
        self.eval_limits = {"tol": eval_tol, "max_iter": eval_max_iter, "patience": eval_patience}
        self.jacobian_weight = jacobian_weight
        self.state_noise = state_noise
        self.start_noise = start_noise
        self.stochastic_steps = stochastic_steps

    @classmethod
    def from_config(cls, config: TrainConfig, **overrides: object) -> "DEAR":
        """The DEAR a config describes; ``overrides`` replace constructor options the config does
        not offer (e.g. ``backward="unroll"``, a control of the memory benchmark)."""
        options = dict(
            solver=config.solver, tol=config.tol,
            max_iter=config.max_iter, eval_tol=config.eval_tol, eval_max_iter=config.eval_max_iter,
            eval_patience=config.eval_patience, backward=config.backward, backward_tol=config.backward_tol,
            backward_max_iter=config.backward_max_iter, phantom_damping=config.phantom_damping, anderson_m=config.anderson_m,
            jacobian_weight=config.jacobian_weight,
            state_noise=config.state_noise, start_noise=config.start_noise, stochastic_steps=config.stochastic_steps,
            granola=config.granola, cgp=config.cgp, align=config.align, align_weight=config.align_weight,
            correction_states=config.correction_states, correction_decay=config.correction_decay, init=config.init,
            spectral_norm=config.spectral_norm,
        )
        return cls(config.algorithm, config.hidden, config.processor, **(options | overrides))

    def equilibrium(self, graph: EncodedGraph, num_states: int = 0,
                    start: torch.Tensor | None = None) -> tuple[torch.Tensor, SolverInfo]:
        """Solve for ``h*`` with the settings of the current mode (train or eval), from ``start``
        (``[N, H]``; default the model's ``init``)."""
        limits = self.train_limits if self.training else self.eval_limits
        z0 = start.detach() if start is not None else initial_state(self.init, graph, self.hidden)
        if start is None and self.training and self.start_noise > 0:
            z0 = z0 + self.start_noise * torch.randn_like(z0)
        return solve(
            lambda h, active: self.processor(h, graph, active), z0, graph.batch, f_accepts_mask=True,
            return_trajectory=num_states, **limits, **self.solver_options,
        )

    def align_to(self, nar: NAR) -> None:
        """Attach the pretrained NAR that ``--align`` names (loaded by the caller)."""
        self.alignment = NARAlignment(nar)

    def latent(self, batch: Batch, graph: EncodedGraph) -> tuple[torch.Tensor, dict, SolverInfo]:
        # Aligning samples as many solver states as the batch's longest NAR rollout has steps;
        # fixed-point correction its own number, plus the final state.
        if self.training and self.align and self.alignment is None:
            raise ValueError(f"this DEAR aligns to the NAR run {self.align}; attach it before training with "
                             "model.align_to(dear.run.load_alignment_target(...))")
        aligning = self.training and self.alignment is not None
        correcting = self.training and self.correction_states > 0
        states = max(int(batch.length.max()) if aligning else 0, self.correction_states + 1 if correcting else 0)
        h, info = self.equilibrium(graph, num_states=states)
        aux: dict[str, torch.Tensor] = {}
        if aligning:
            step = partial(self.processor, graph=graph)
            aux["align"] = self.align_weight * self.alignment.loss(batch, info.trajectory, info.trajectory_length, step)
        if self.training:
            if self.jacobian_weight > 0:
                z = h.detach().requires_grad_()
                aux["jacobian"] = self.jacobian_weight * jacobian_regularizer(self.processor(z, graph), z)
            for _ in range(int(torch.randint(0, self.stochastic_steps + 1, ()))):
                h = self.processor(h, graph)
            if self.state_noise > 0:
                h = h + self.state_noise * torch.randn_like(h)
        return h, aux, info

    def extra_losses(self, batch: Batch, graph: EncodedGraph, processor_graph: EncodedGraph,
                     report: SolverInfo) -> dict[str, torch.Tensor]:
        """Fixed-point correction (Bai et al. 2022, torchdeq's ``deq.core``): the outputs decoded
        from ``correction_states`` states sampled along the solve before its final one, each
        given one differentiable processor step, are supervised too, state ``k`` of ``K`` with
        weight ``correction_decay^(K - k)``. It pulls the early iterates towards the answer, so a
        solve reaches it, and the fixed point, in fewer iterations."""
        if not (self.training and self.correction_states > 0):
            return {}
        states = report.trajectory[-self.correction_states - 1 : -1]
        total = graph.node.new_zeros(())
        for k, state in enumerate(states):
            h = self.processor(state, processor_graph)[: graph.num_nodes]
            losses = self.output_losses(batch, self.output_decoder(h, graph), graph)
            total = total + self.correction_decay ** (len(states) - k) * torch.stack(list(losses.values())).sum()
        return {"correction": total}
