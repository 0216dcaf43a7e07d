"""Cayley Graph Propagation (CGP): after each step on the input graph, a second message pass
over a Cayley graph of SL(2, Z_p) (an expander: short paths between any two nodes).

The Cayley graph usually has more vertices than the input graph; the extra ones are virtual
nodes with a state of their own, which must persist between steps (a fixed point includes
them). :func:`with_cayley_nodes` therefore appends them as rows ``N..N+V-1`` of the graph the
processor runs on (belonging to their graph in ``batch``, so per-graph convergence and freezing
cover them), with zero input features and no input-graph edges; the model then carries
``N + V`` state rows and decodes the first ``N``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from dear.nn.cayley import batched_cayley_edges
from dear.nn.graph import EncodedGraph
from dear.nn.processors.base import Processor
from dear.nn.processors.mpnn import MPNN


@dataclass(kw_only=True)
class CayleyGraph(EncodedGraph):
    """An :class:`EncodedGraph` over real then virtual nodes (``batch`` is therefore not sorted by
    graph; :meth:`real` is), and the Cayley edges over both."""

    real_nodes: int
    cayley_edge_index: torch.Tensor  # [2, C]

    def real(self) -> EncodedGraph:
        """The input graph: its real nodes only."""
        n = self.real_nodes
        rnf = None if self.rnf is None else self.rnf[:n]
        return EncodedGraph(
            self.node[:n], self.edge, self.graph, self.edge_index, self.batch[:n], self.num_graphs, rnf
        )

    def cayley(self, edge_feature: torch.Tensor) -> EncodedGraph:
        """All nodes over the Cayley edges, each edge featuring ``edge_feature`` ``[H]``."""
        edges = edge_feature.expand(self.cayley_edge_index.shape[1], -1)
        return EncodedGraph(
            self.node, edges, self.graph, self.cayley_edge_index, self.batch, self.num_graphs, self.rnf
        )


def with_cayley_nodes(graph: EncodedGraph) -> CayleyGraph:
    """``graph`` (``batch`` sorted by graph) plus the virtual nodes and the Cayley edges of each
    graph. Draw random node features afterwards, so that the virtual nodes get theirs."""
    if graph.rnf is not None:
        raise ValueError("add the Cayley nodes before drawing random node features")
    cayley_edge_index, virtual_batch = batched_cayley_edges(graph.batch, graph.num_graphs)
    return CayleyGraph(
        node=torch.cat([graph.node, graph.node.new_zeros(virtual_batch.shape[0], graph.node.shape[1])]),
        edge=graph.edge, graph=graph.graph, edge_index=graph.edge_index,
        batch=torch.cat([graph.batch, virtual_batch]), num_graphs=graph.num_graphs,
        real_nodes=graph.num_nodes, cayley_edge_index=cayley_edge_index,
    )


class CayleyPropagation(Processor):
    r"""Cayley Graph Propagation: ``base`` on the input graph's real nodes :math:`\mathcal{R}`,
    then an :class:`MPNN` pass over the Cayley edges :math:`\mathcal{C}` of real and virtual
    nodes, whose edges all carry one learned embedding :math:`\boldsymbol{\epsilon}`:

    .. math::
        \tilde{\mathbf{h}}_i &= \begin{cases} \mathrm{base}(\mathbf{H}_{\mathcal{R}})_i & i \in \mathcal{R} \\
        \mathbf{h}_i & i \text{ virtual} \end{cases}

        \mathbf{h}' &= \mathrm{MPNN}_{\mathcal{C}}\big(\tilde{\mathbf{H}};\,
        \mathbf{e}_{j \to i} = \boldsymbol{\epsilon}\big)

    (virtual nodes have zero input encodings :math:`\mathbf{n}_i`). The virtual nodes' states
    persist between steps, so a fixed point includes them.

    Args:
        base (Processor): The step on the input graph.
        granola (bool, optional): GRANOLA's norm in the Cayley pass. (default: :obj:`False`)

    Shapes:
        - **input:** ``h`` :math:`(N + V, H)` (real then virtual rows), ``graph`` a
          :class:`CayleyGraph` (:func:`with_cayley_nodes`), ``active`` :math:`(N + V)` (bool, optional)
        - **output:** :math:`(N + V, H)`
    """

    def __init__(self, base: Processor, *, granola: bool = False) -> None:
        super().__init__(base.hidden)
        self.base = base
        self.propagate = MPNN(base.hidden, granola=granola)
        self.edge_embedding = nn.Parameter(torch.randn(base.hidden))

    def reset_parameters(self) -> None:
        # ``base`` was built before this module: its draws come first, as at construction.
        self.base.reset_parameters()
        self.propagate.reset_parameters()
        nn.init.normal_(self.edge_embedding)  # the same draws as torch.randn

    def forward(self, h: torch.Tensor, graph: EncodedGraph, active: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(graph, CayleyGraph):
            raise TypeError("CGP runs on a CayleyGraph: build it once per forward with with_cayley_nodes")
        n = graph.real_nodes
        stepped = self.base(h[:n], graph.real(), None if active is None else active[:n])
        return self.propagate(torch.cat([stepped, h[n:]]), graph.cayley(self.edge_embedding), active)
