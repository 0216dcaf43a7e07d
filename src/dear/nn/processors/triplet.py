"""Triplet-GMPNN (Ibarz et al., 2022): MPNN whose edge messages also reason over a third node."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import to_dense_adj, to_dense_batch

from dear.nn.graph import EncodedGraph, Rows, local_node_index
from dear.nn.processors.mpnn import MPNN

TRIPLET_FEATURES = 8  # CLRS's nb_triplet_fts


class TripletMPNN(MPNN):
    r"""Triplet-GMPNN (Ibarz et al., 2022): the :class:`MPNN` whose edge features also carry
    a triplet term reasoning over every third node :math:`k` of the graph,

    .. math::
        \mathbf{t}_{j \to i} &= \mathrm{ReLU}\Big(\mathbf{O} \max_{k} \big(\mathbf{T}_1 \mathbf{z}_k
        + \mathbf{T}_2 \mathbf{z}_j + \mathbf{T}_3 \mathbf{z}_i + \mathbf{T}_4 \mathbf{e}_{k \to j}
        + \mathbf{T}_5 \mathbf{e}_{k \to i} + \mathbf{T}_6 \mathbf{e}_{j \to i}
        + \mathbf{T}_7 \mathbf{g}\big)\Big)

        \mathbf{h}' &= \mathrm{MPNN}\big(\mathbf{h}; \mathbf{e}_{j \to i} + \mathbf{t}_{j \to i}\big)

    (biases omitted; :math:`\mathbf{z}_i = [\mathbf{n}_i \| \mathbf{h}_i]`; a pair
    :math:`k \to j` that is not an edge contributes zero). The max over :math:`k` runs densely
    per graph in :math:`O(n^3)` memory and time, as in CLRS, and is recomputed at every step
    (it reads the state).

    Args:
        hidden (int): Width :math:`H` of the state and of the encodings.
        triplet_features (int, optional): Width of the triplet term before :math:`\mathbf{O}`.
            (default: :obj:`8`, CLRS's ``nb_triplet_fts``)
        granola (bool, optional): GRANOLA's norm in the update. (default: :obj:`False`)

    Shapes:
        - **input:** ``h`` :math:`(N, H)`, ``graph`` an :class:`EncodedGraph`, ``active``
          :math:`(N)` (bool, optional), as for :class:`MPNN`
        - **output:** :math:`(N, H)`
    """

    def __init__(self, hidden: int, triplet_features: int = TRIPLET_FEATURES, *, granola: bool = False) -> None:
        super().__init__(hidden, granola=granola)
        z_dim = 2 * hidden
        self.t_nodes = nn.ModuleList([nn.Linear(z_dim, triplet_features) for _ in range(3)])
        self.t_edges = nn.ModuleList([nn.Linear(hidden, triplet_features) for _ in range(3)])
        self.t_graph = nn.Linear(hidden, triplet_features)
        self.t_out = nn.Linear(triplet_features, hidden)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        for linear in (*self.t_nodes, *self.t_edges, self.t_graph, self.t_out):
            linear.reset_parameters()

    def triplet_messages(self, z: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        """``[E, H]`` triplet term of every edge."""
        sender, receiver = graph.edge_index
        t_k, t_s, t_r = (to_dense_batch(lin(z), graph.batch)[0] for lin in self.t_nodes)
        _, node_mask = to_dense_batch(z[:, :1], graph.batch)
        n = node_mask.shape[1]
        local = local_node_index(graph.batch, graph.num_graphs)
        e1, e2, e3 = (
            to_dense_adj(graph.edge_index, graph.batch, lin(graph.edge), max_num_nodes=n, batch_size=graph.num_graphs)
            for lin in self.t_edges
        )
        # tri[b, k, j, i] for the message j -> i through a third node k.
        tri = (
            t_k[:, :, None, None] + t_s[:, None, :, None] + t_r[:, None, None, :]
            + e1[:, :, :, None] + e2[:, :, None, :] + e3[:, None, :, :]
            + self.t_graph(graph.graph)[:, None, None, None]
        )
        tri = tri.masked_fill(~node_mask[:, :, None, None, None], float("-inf")).amax(dim=1)
        per_edge = tri[graph.batch[receiver], local[sender], local[receiver]]
        return torch.relu(self.t_out(per_edge))

    def messages(self, z: torch.Tensor, graph: EncodedGraph, nodes: Rows, edges: Rows) -> torch.Tensor:
        extended = EncodedGraph(
            graph.node, graph.edge + self.triplet_messages(z, graph), graph.graph,
            graph.edge_index, graph.batch, graph.num_graphs,
        )
        return super().messages(z, extended, nodes, edges)
