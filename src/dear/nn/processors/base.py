"""The interface shared by processors, so NAR, DEAR and DEM can swap them."""

from __future__ import annotations

import torch
from torch import nn

from dear.nn.granola import GranolaNorm
from dear.nn.graph import ALL_ROWS, EncodedGraph, Rows


class Processor(nn.Module):
    """One step ``h -> h'`` of message passing over an :class:`EncodedGraph`.

    ``active`` (bool ``[N]``, optional) marks the nodes whose state may change: rows outside
    it are returned unchanged and, where the processor can, cost no compute (DEAR freezes the
    graphs that already converged).
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.hidden = hidden

    def forward(
        self, h: torch.Tensor, graph: EncodedGraph, active: torch.Tensor | None = None
    ) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError


class NodeLayerNorm(nn.LayerNorm):
    """LayerNorm called like :class:`GranolaNorm`; it works per node, so it ignores the graph."""

    def forward(
        self, x: torch.Tensor, graph: EncodedGraph, nodes: Rows, edges: Rows
    ) -> torch.Tensor:
        return super().forward(x)


class GatedUpdate(nn.Module):
    """CLRS's update: ``LayerNorm(ReLU(O1 z + O2 m))`` mixed with the old state by a gate whose
    bias starts at -3, so that early in training a step mostly keeps the state. With
    ``granola`` the LayerNorm is GRANOLA's graph-adaptive one."""

    def __init__(self, in_dim: int, hidden: int, granola: bool = False) -> None:
        super().__init__()
        self.out_z = nn.Linear(in_dim, hidden)
        self.out_m = nn.Linear(hidden, hidden)
        self.norm = GranolaNorm(hidden) if granola else NodeLayerNorm(hidden)
        self.gate_z = nn.Linear(in_dim, hidden)
        self.gate_m = nn.Linear(hidden, hidden)
        self.gate_out = nn.Linear(hidden, hidden)
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
