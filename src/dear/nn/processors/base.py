"""The interface shared by processors, so NAR, DEAR and DEM can swap them."""

from __future__ import annotations

import torch
from torch import nn

from dear.nn.granola import GranolaNorm
from dear.nn.graph import ALL_ROWS, EncodedGraph, Rows


class Processor(nn.Module):
    r"""One step of message passing over an :class:`EncodedGraph`, the map every reasoner
    iterates (NAR unrolls it, DEAR and DEM find its fixed point):

    .. math::
        \mathbf{h}_i' = \begin{cases}
        P(\mathbf{H}, \mathbf{n}, \mathbf{e}, \mathbf{g})_i & i \text{ active} \\
        \mathbf{h}_i & \text{otherwise.} \end{cases}

    ``active`` (bool, optional) marks the nodes whose state may change: rows outside it are
    returned unchanged and, where the processor can, cost no compute (DEAR freezes the graphs
    that already converged). A subclass defines ``forward`` and ``reset_parameters``.

    Args:
        hidden (int): Width :math:`H` of the state and of the encodings.

    Shapes:
        - **input:** ``h`` :math:`(N, H)`, ``graph`` an :class:`EncodedGraph` (``node``
          :math:`(N, H)`, ``edge`` :math:`(E, H)`, ``graph`` :math:`(G, H)`, ``edge_index``
          :math:`(2, E)`, ``batch`` :math:`(N)`), ``active`` :math:`(N)` (bool, optional)
        - **output:** :math:`(N, H)`
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.hidden = hidden

    def reset_parameters(self) -> None:  # pragma: no cover - interface
        """Re-initialise every weight as construction does (same random draws, same order)."""
        raise NotImplementedError

    def forward(
        self, h: torch.Tensor, graph: EncodedGraph, active: torch.Tensor | None = None
    ) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError


class NodeLayerNorm(nn.LayerNorm):
    r"""LayerNorm called like :class:`GranolaNorm`; it works per node, so it ignores the graph:

    .. math::
        \mathbf{x}_i' = \boldsymbol{\gamma} \odot \mathrm{LayerNorm}(\mathbf{x}_i) + \boldsymbol{\beta}.

    Args:
        normalized_shape (int): Width :math:`H` of :math:`\mathbf{x}_i`; other arguments as
            for :class:`torch.nn.LayerNorm`.

    Shapes:
        - **input:** ``x`` :math:`(R, H)`; ``graph``, ``nodes``, ``edges`` unused
        - **output:** :math:`(R, H)`
    """

    def forward(
        self, x: torch.Tensor, graph: EncodedGraph, nodes: Rows, edges: Rows
    ) -> torch.Tensor:
        return super().forward(x)


class GatedUpdate(nn.Module):
    r"""CLRS's update: a layer-normalised candidate mixed with the old state by a gate,

    .. math::
        \mathbf{c}_i &= \mathrm{Norm}\big(\mathrm{ReLU}(\mathbf{O}_1 \mathbf{z}_i
        + \mathbf{O}_2 \mathbf{m}_i)\big)

        \mathbf{u}_i &= \sigma\big(\mathbf{G}_3 \, \mathrm{ReLU}(\mathbf{G}_1 \mathbf{z}_i
        + \mathbf{G}_2 \mathbf{m}_i) + \mathbf{b}_3\big)

        \mathbf{h}_i' &= \mathbf{u}_i \odot \mathbf{c}_i + (1 - \mathbf{u}_i) \odot \mathbf{h}_i

    (other biases omitted). The gate's bias :math:`\mathbf{b}_3` starts at -3, so that early in
    training a step mostly keeps the state. As :math:`\mathbf{u}_i > 0`, a fixed point has
    :math:`\mathbf{h}_i = \mathbf{c}_i` whatever the gate: for DEAR the gate sets the pace of a
    fixed-point iteration, not where it ends. :math:`\mathrm{Norm}` is a
    :class:`NodeLayerNorm`, or with ``granola`` GRANOLA's graph-adaptive
    :class:`~dear.nn.granola.GranolaNorm`.

    Args:
        in_dim (int): Width of :math:`\mathbf{z}_i`.
        hidden (int): Width :math:`H` of the messages and the state.
        granola (bool, optional): Use :class:`~dear.nn.granola.GranolaNorm`. (default: :obj:`False`)

    Shapes:
        - **input:** ``z`` :math:`(R, \text{in\_dim})`, ``messages`` :math:`(R, H)`, ``h``
          :math:`(R, H)`: the rows ``nodes`` (:math:`R \le N`); ``graph``, ``nodes``,
          ``edges`` as the norm reads them
        - **output:** :math:`(R, H)`
    """

    def __init__(self, in_dim: int, hidden: int, granola: bool = False) -> None:
        super().__init__()
        self.out_z = nn.Linear(in_dim, hidden)
        self.out_m = nn.Linear(hidden, hidden)
        self.norm = GranolaNorm(hidden) if granola else NodeLayerNorm(hidden)
        self.gate_z = nn.Linear(in_dim, hidden)
        self.gate_m = nn.Linear(hidden, hidden)
        self.gate_out = nn.Linear(hidden, hidden)
        nn.init.constant_(self.gate_out.bias, -3.0)

    def reset_parameters(self) -> None:
        for module in (self.out_z, self.out_m, self.norm, self.gate_z, self.gate_m, self.gate_out):
            module.reset_parameters()
        nn.init.constant_(self.gate_out.bias, -3.0)

    def forward(
        self, z: torch.Tensor, messages: torch.Tensor, h: torch.Tensor,
        graph: EncodedGraph, nodes: Rows, edges: Rows,
    ) -> torch.Tensor:
        """New state of the rows ``nodes`` (``z``, ``messages``, ``h`` hold those rows only);
        ``edges``: the edges into them (what a graph-adaptive norm reads)."""
        candidate = self.norm(torch.relu(self.out_z(z) + self.out_m(messages)), graph, nodes, edges)
        gate = torch.sigmoid(self.gate_out(torch.relu(self.gate_z(z) + self.gate_m(messages))))
        return gate * candidate + (1.0 - gate) * h


def active_subgraph(graph: EncodedGraph, active: torch.Tensor | None) -> tuple[Rows, Rows]:
    """The active nodes and the edges that deliver messages to them. When every node is active
    (NAR always, DEAR until a graph converges) both are :data:`ALL_ROWS`: gathering all rows
    through an index tensor would copy them, and its backward scatter them back, for nothing
    (it made a processor step three times slower on CPU)."""
    if active is None or bool(active.all()):
        return ALL_ROWS, ALL_ROWS
    return active.nonzero().squeeze(1), active[graph.edge_index[1]].nonzero().squeeze(1)
