"""MPNN with max aggregation (algorithmically aligned with relaxations), CLRS-style."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn.inits import reset

from dear.nn.graph import EncodedGraph, Rows, inference_blocks, put_rows, segment_max
from dear.nn.processors.base import GatedUpdate, Processor, active_subgraph


class MPNN(Processor):
    r"""CLRS's MPNN with max aggregation (algorithmically aligned with the relaxations of
    Bellman-Ford and the like), over the edges :math:`j \to i`:

    .. math::
        \mathbf{z}_i &= [\mathbf{n}_i \,\|\, \mathbf{h}_i]

        \mathbf{m}_i &= \max_{j \to i} \mathrm{MLP}\big(\mathbf{W}_r \mathbf{z}_i + \mathbf{W}_s \mathbf{z}_j
        + \mathbf{W}_e \mathbf{e}_{j \to i} + \mathbf{W}_g \mathbf{g}\big)

        \mathbf{h}_i' &= \mathrm{GatedUpdate}(\mathbf{z}_i, \mathbf{m}_i, \mathbf{h}_i)

    with :math:`\mathrm{MLP}(\mathbf{x}) = \mathbf{W}_2 \mathrm{ReLU}(\mathbf{W}_1 \mathrm{ReLU}(\mathbf{x}))`
    (biases omitted; the max is elementwise, and a node without incoming edges gets
    :math:`\mathbf{m}_i = \mathbf{0}`), :math:`\mathbf{g}` the encoding of node :math:`i`'s
    graph, and the :class:`~dear.nn.processors.base.GatedUpdate`. The input term
    :math:`\mathbf{W}_e \mathbf{e} + \mathbf{W}_g \mathbf{g}` is computed once per graph
    and autograd mode, not once per step (:meth:`EncodedGraph.constant`).

    Args:
        hidden (int): Width :math:`H` of the state and of the encodings.
        granola (bool, optional): GRANOLA's norm in the update. (default: :obj:`False`)

    Shapes:
        - **input:** ``h`` :math:`(N, H)`, ``graph`` an :class:`EncodedGraph` (``node``
          :math:`(N, H)`, ``edge`` :math:`(E, H)`, ``graph`` :math:`(G, H)`, ``edge_index``
          :math:`(2, E)`, ``batch`` :math:`(N)`; ``rnf`` :math:`(N, H)` with ``granola``),
          ``active`` :math:`(N)` (bool, optional)
        - **output:** :math:`(N, H)`
    """

    def __init__(self, hidden: int, *, granola: bool = False) -> None:
        super().__init__(hidden)
        z_dim = 2 * hidden
        self.receiver = nn.Linear(z_dim, hidden)
        self.sender = nn.Linear(z_dim, hidden)
        self.edge = nn.Linear(hidden, hidden)
        self.graph = nn.Linear(hidden, hidden)
        # In-place ReLUs: their inputs are fresh [E, H] tensors no backward reads (a step makes
        # several of them, and on CPU allocating them costs as much as the arithmetic).
        self.message_mlp = nn.Sequential(
            nn.ReLU(inplace=True), nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, hidden)
        )
        self.update = GatedUpdate(z_dim, hidden, granola)

    def reset_parameters(self) -> None:
        for module in (self.receiver, self.sender, self.edge, self.graph, self.message_mlp, self.update):
            reset(module)

    def messages(self, z: torch.Tensor, graph: EncodedGraph, nodes: Rows, edges: Rows) -> torch.Tensor:
        """Max-aggregated messages ``[len(nodes), H]`` for the receivers in ``nodes``."""
        sender, receiver = graph.edge_index[:, edges]
        inputs_term = graph.constant(self, lambda: self.edge(graph.edge) + self.graph(graph.graph)[graph.edge_batch])
        if not isinstance(edges, slice):
            inputs_term = inputs_term.index_select(0, edges)
        from_receiver, from_sender = self.receiver(z), self.sender(z)

        def block_messages(rows: slice) -> torch.Tensor:
            # index_select, not ``x[index]``: the general advanced-indexing kernel is ~8x slower
            # on CPU for row gathers, and these gathers were half of a step on dense graphs.
            raw = from_receiver.index_select(0, receiver[rows])
            raw += from_sender.index_select(0, sender[rows])
            raw += inputs_term[rows]
            return self.message_mlp(raw)

        blocks = inference_blocks(receiver.numel(), self.hidden)
        if len(blocks) == 1:
            aggregated = segment_max(block_messages(blocks[0]), receiver, z.shape[0])
            return aggregated[nodes]
        # Without autograd, edges go in blocks folded into a running max (see inference_blocks).
        aggregated = z.new_full((z.shape[0], self.hidden), -torch.inf)
        for rows in blocks:
            index = receiver[rows, None].expand(-1, self.hidden)
            aggregated.scatter_reduce_(0, index, block_messages(rows), reduce="amax")
        aggregated = aggregated[nodes]
        return torch.where(torch.isneginf(aggregated), 0.0, aggregated)  # no incoming edge: 0, as scatter

    def forward(self, h: torch.Tensor, graph: EncodedGraph, active: torch.Tensor | None = None) -> torch.Tensor:
        nodes, edges = active_subgraph(graph, active)
        z = torch.cat([graph.node, h], dim=-1)
        updated = self.update(z[nodes], self.messages(z, graph, nodes, edges), h[nodes], graph, nodes, edges)
        return put_rows(h, nodes, updated)
