"""Neural algorithmic reasoners that unroll the processor step by step.

* ``NAR`` runs exactly the ground-truth number of steps ``T`` of each graph (train and test);
  graphs that finished are frozen, so a batch costs what its graphs need.
* ``NARLearntTermination`` adds a stop head (max-pooled state -> logit, BCE against
  ``t = T - 1``) and at test time stops each graph when it fires, capped at
  ``max_steps`` (1.5x the largest training ``T``).
* ``NARHints`` encodes the hints of step ``t`` (ground truth with probability
  ``teacher_forcing``, else its own hard predictions) and decodes those of ``t + 1``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch

from dear.data.batching import probe_key
from dear.models.base import Reasoner
from dear.nn.decoders import ProbeDecoder
from dear.nn.encoders import ProbeEncoder
from dear.nn.graph import EncodedGraph, graph_max_pool
from dear.nn.losses import probe_loss
from dear.nn.readout import hard_prediction
from dear.specs import POINTER_TYPES, SPECS, Location, Stage


class NAR(Reasoner):
    r"""The processor unrolled for the ground-truth number of steps :math:`T_g` of each graph
    :math:`g` (in training and at test time):

    .. math::
        \mathbf{h}_i^{(0)} = \mathbf{0}, \qquad
        \mathbf{h}_i^{(t+1)} = \begin{cases}
        P(\mathbf{H}^{(t)}; \mathbf{n}, \mathbf{e}, \mathbf{g})_i & t < T_{g(i)} \\
        \mathbf{h}_i^{(t)} & \text{otherwise,} \end{cases}

    decoded from :math:`\mathbf{H}^{(\max_g T_g)}`: a graph that finished is frozen (and
    costs no compute), so a batch costs what its graphs need.

    Args:
        algorithm (str), hidden (int), processor (str), granola (bool), cgp (bool): As for
            :class:`~dear.models.base.Reasoner`.

    Shapes:
        - **input:** a batch as for :class:`~dear.models.base.Reasoner`, whose ``length``
          :math:`(G)` (long) gives :math:`T_g`
        - **output:** a :class:`~dear.models.base.Prediction`, ``latent`` :math:`(N, H)`
    """

    uses_length = True

    def step_budget(self, batch: Batch) -> torch.Tensor:
        return batch.length

    def unroll(self, graph: EncodedGraph, steps: torch.Tensor) -> list[torch.Tensor]:
        """States before and after each of the ``max(steps)`` steps; a graph past its own
        ``steps`` keeps its last state."""
        states = [graph.node.new_zeros(graph.num_nodes, self.hidden)]
        for t in range(int(steps.max())):
            states.append(self.processor(states[-1], graph, (steps > t)[graph.batch]))
        return states

    def latent(self, batch: Batch, graph: EncodedGraph) -> tuple[torch.Tensor, dict, dict]:
        steps = self.step_budget(batch)
        h = self.unroll(graph, steps)[-1]
        return h, {}, {"steps_mean": float(steps.float().mean()), "steps_max": float(steps.max())}

    def step_latents(self, batch: Batch) -> torch.Tensor:
        """``[T, N, H]``: the input nodes' states after each of the ground-truth ``T`` steps
        (``T`` the batch's largest); what a DEAR's solve is aligned to (``--align``)."""
        graph = self.encode(batch)
        states = self.unroll(self.processor_graph(graph), batch.length)[1:]
        return torch.stack(states)[:, : graph.num_nodes]


class NARLearntTermination(NAR):
    r"""A :class:`NAR` that learns when to stop instead of being told :math:`T_g` at test time.
    After step :math:`t` a stop head reads the max-pooled state of each graph,

    .. math::
        s_g^{(t)} = \mathbf{w}^\top \max_{i \in g} \mathbf{h}_i^{(t)} + b;

    training runs :math:`T_g` steps and adds the loss
    :math:`\sum_g \sum_{t=1}^{T_g} \mathrm{BCE}(s_g^{(t)}, \mathbb{1}[t = T_g]) / \sum_g T_g`
    (``aux_losses["stop"]``); evaluation freezes graph :math:`g` after the first step with
    :math:`s_g^{(t)} > 0`, after ``max_steps`` steps at the latest.

    Args:
        algorithm (str), hidden (int), processor (str): As for :class:`~dear.models.base.Reasoner`.
        max_steps (int, optional): Cap on the steps at evaluation (:func:`termination_cap`:
            1.5x the largest training :math:`T`). (default: :obj:`64`)
        **switches (bool): ``granola``, ``cgp``.

    Shapes:
        - **input:** a batch as for :class:`~dear.models.base.Reasoner`; ``length``
          :math:`(G)` is read in training only
        - **output:** a :class:`~dear.models.base.Prediction`, ``latent`` :math:`(N, H)`
    """

    uses_length = False

    def __init__(
        self, algorithm: str, hidden: int = 128, processor: str = "mpnn", max_steps: int = 64, **switches: bool
    ) -> None:
        super().__init__(algorithm, hidden, processor, **switches)
        self.stop_head = nn.Linear(hidden, 1)
        self.max_steps = max_steps

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.stop_head.reset_parameters()

    def stop_logit(self, h: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        return self.stop_head(graph_max_pool(h, graph.batch, graph.num_graphs)).squeeze(-1)

    def latent(self, batch: Batch, graph: EncodedGraph) -> tuple[torch.Tensor, dict, dict]:
        if self.training:
            return self._teacher_latent(batch, graph)
        h = graph.node.new_zeros(graph.num_nodes, self.hidden)
        running = torch.ones(graph.num_graphs, dtype=torch.bool, device=h.device)
        used = torch.zeros(graph.num_graphs, dtype=torch.long, device=h.device)
        for _ in range(self.max_steps):
            h = self.processor(h, graph, running[graph.batch])
            used += running.long()
            running &= self.stop_logit(h, graph) <= 0
            if not running.any():
                break
        return h, {}, {"steps_mean": float(used.float().mean()), "steps_max": float(used.max()),
                       "hit_cap": float((used >= self.max_steps).float().mean())}

    def _teacher_latent(self, batch: Batch, graph: EncodedGraph) -> tuple[torch.Tensor, dict, dict]:
        steps = batch.length
        h = graph.node.new_zeros(graph.num_nodes, self.hidden)
        losses = []
        for t in range(int(steps.max())):
            alive = steps > t
            h = self.processor(h, graph, alive[graph.batch])
            logit = self.stop_logit(h, graph)
            target = (steps - 1 == t).to(logit.dtype)
            losses.append(F.binary_cross_entropy_with_logits(logit[alive], target[alive], reduction="sum"))
        stop_loss = torch.stack(losses).sum() / steps.sum()
        return h, {"stop": stop_loss}, {"steps_mean": float(steps.float().mean())}


def termination_cap(max_train_length: int) -> int:
    """DESIGN §4: the learnt-termination rollout is capped at 1.5x the largest training T."""
    return max(1, math.ceil(1.5 * max_train_length))


class NARHints(NAR):
    r"""Hint-supervised :class:`NAR`: each step reads the encoded hints of step :math:`t` and
    decodes those of step :math:`t + 1`,

    .. math::
        (\mathbf{n}^{(t)}, \mathbf{e}^{(t)}, \mathbf{g}^{(t)}) &= (\mathbf{n}, \mathbf{e}, \mathbf{g})
        + \mathrm{Enc}_{\mathrm{hint}}(\hat{\mathbf{x}}^{(t)})

        \mathbf{H}^{(t+1)} &= P(\mathbf{H}^{(t)}; \mathbf{n}^{(t)}, \mathbf{e}^{(t)}, \mathbf{g}^{(t)})

        \hat{\mathbf{y}}^{(t+1)} &= \mathrm{Dec}_{\mathrm{hint}}\big([\mathbf{n}^{(t)} \,\|\,
        \mathbf{H}^{(t+1)}], \mathbf{e}^{(t)}, \mathbf{g}^{(t)}\big)

    with :math:`\hat{\mathbf{x}}^{(0)}` the true hints of step 0 and
    :math:`\hat{\mathbf{x}}^{(t+1)}` the true hints of step :math:`t + 1` with probability
    ``teacher_forcing`` (training only), else the hard predictions from
    :math:`\hat{\mathbf{y}}^{(t+1)}` (detached). ``aux_losses["hints"]`` is the mean hint loss
    over steps and probes. Edge pointers (Floyd–Warshall's ``Pi_h``) are decoded, never fed back.

    Args:
        algorithm (str), hidden (int), processor (str), granola (bool): As for
            :class:`~dear.models.base.Reasoner`.
        teacher_forcing (float, optional): Probability of feeding the true hints of a step.
            (default: :obj:`0.0`)
        cgp (bool, optional): Not supported (``ValueError``): hints live on the input nodes only.

    Shapes:
        - **input:** a batch as for :class:`NAR`, with hints :math:`(N, T, \ldots)`,
          :math:`(E, T, \ldots)`, :math:`(G, T, \ldots)` (``collate(..., hints=True)``)
        - **output:** a :class:`~dear.models.base.Prediction`, ``latent`` :math:`(N, H)`
    """

    uses_hints = True

    def __init__(
        self, algorithm: str, hidden: int = 128, processor: str = "mpnn", teacher_forcing: float = 0.0,
        *, granola: bool = False, cgp: bool = False,
    ) -> None:
        if cgp:
            raise ValueError("nar-hints does not support CGP: it encodes and decodes hints on the input nodes only")
        super().__init__(algorithm, hidden, processor, granola=granola)
        self.hint_encoder = ProbeEncoder(algorithm, Stage.HINT, hidden)
        self.hint_decoder = ProbeDecoder(algorithm, Stage.HINT, hidden)
        self.teacher_forcing = teacher_forcing
        self.hint_specs = {k: v for k, v in SPECS[algorithm].items() if v[0] == Stage.HINT}

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.hint_encoder.reset_parameters()
        self.hint_decoder.reset_parameters()

    def _hints_at(self, batch: Batch, t: int) -> dict[str, torch.Tensor]:
        return {name: batch[probe_key(Stage.HINT, name)][:, t] for name in self.hint_specs}

    def _feedback(self, scores: dict[str, torch.Tensor], graph: EncodedGraph) -> dict[str, torch.Tensor]:
        fed = {}
        for name, (_, location, kind) in self.hint_specs.items():
            if kind in POINTER_TYPES and location == Location.EDGE:
                continue
            fed[name] = hard_prediction(scores[name].detach(), location, kind, graph)
        return fed

    def latent(self, batch: Batch, graph: EncodedGraph) -> tuple[torch.Tensor, dict, dict]:
        steps = batch.length
        h = graph.node.new_zeros(graph.num_nodes, self.hidden)
        hints = self._hints_at(batch, 0)
        losses: list[torch.Tensor] = []
        for t in range(int(steps.max())):
            node, edge, global_ = self.hint_encoder(batch, hints)
            stepped = replace(graph, node=graph.node + node, edge=graph.edge + edge, graph=graph.graph + global_)
            h = self.processor(h, stepped, (steps > t)[graph.batch])
            if t + 1 >= int(steps.max()):
                break
            scores = self.hint_decoder(h, stepped)
            truth = self._hints_at(batch, t + 1)
            losses.extend(
                probe_loss(scores[name], truth[name], loc, kind, graph)
                for name, (_, loc, kind) in self.hint_specs.items()
            )
            forced = self.training and torch.rand(()) < self.teacher_forcing
            hints = truth if forced else self._feedback(scores, graph)
        aux = {"hints": torch.stack(losses).mean()} if losses else {}
        return h, aux, {"steps_mean": float(steps.float().mean())}
