"""Spec-driven decoders: one head per probe, its shape fixed by the probe's type and location.

Every head reads ``d = [encoded inputs || h]`` per node, plus encoded edge and graph inputs.
Predictions are raw scores (logits), laid out as the batch stores the probe except:
node pointers are per-edge logits ``[E]`` (softmax over the edges into each node), and
edge pointers are ``[E, n_max]`` logits over the nodes of the edge's graph (``-inf`` padded),
and should-be-permutations are Sinkhorn-normalised matrices (:mod:`dear.nn.permutation`).
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import to_dense_adj, to_dense_batch

from dear.nn.graph import EncodedGraph, graph_max_pool, inference_blocks, local_node_index
from dear.nn.permutation import PermutationHead
from dear.specs import POINTER_TYPES, SPECS, Location, Type, feature_width


class NodeHead(nn.Module):
    r"""Node-level probes, one linear map per node:

    .. math::
        \mathbf{y}_i = \mathbf{W} \mathbf{d}_i + \mathbf{b}.

    Args:
        in_dim (int): Width of :math:`\mathbf{d}_i` (:math:`2H`).
        width (int): Classes of a categorical probe, else 1 (then squeezed).

    Shapes:
        - **input:** ``d`` :math:`(N, 2H)`, ``graph`` (unused)
        - **output:** :math:`(N)`, or :math:`(N, C)` when ``width`` :math:`= C > 1`
    """

    def __init__(self, in_dim: int, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, width)

    def reset_parameters(self) -> None:
        self.linear.reset_parameters()

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        return self.linear(d).squeeze(-1)


class GraphHead(nn.Module):
    r"""Graph-level probes read the max-pooled node features and the graph encoding:

    .. math::
        \mathbf{y}_g = \mathbf{W}_o \, \mathrm{ReLU}\Big(\max_{i \in g} \mathbf{W}_n \mathbf{d}_i
        + \mathbf{W}_g \mathbf{g}_g\Big)

    (biases omitted; the max is elementwise).

    Args:
        in_dim (int): Width of :math:`\mathbf{d}_i` (:math:`2H`).
        hidden (int): Width :math:`H` of the encodings and of the hidden layer.
        width (int): Classes of a categorical probe, else 1 (then squeezed).

    Shapes:
        - **input:** ``d`` :math:`(N, 2H)`, ``graph.graph`` :math:`(G, H)`, ``graph.batch`` :math:`(N)`
        - **output:** :math:`(G)`, or :math:`(G, C)` when ``width`` :math:`= C > 1`
    """

    def __init__(self, in_dim: int, hidden: int, width: int) -> None:
        super().__init__()
        self.nodes = nn.Linear(in_dim, hidden)
        self.graph = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, width)

    def reset_parameters(self) -> None:
        for linear in (self.nodes, self.graph, self.out):
            linear.reset_parameters()

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        pooled = graph_max_pool(self.nodes(d), graph.batch, graph.num_graphs)
        return self.out(torch.relu(pooled + self.graph(graph.graph))).squeeze(-1)


class EdgeHead(nn.Module):
    r"""Edge-level values from sender, receiver and edge features, for each edge :math:`j \to i`:

    .. math::
        \mathbf{y}_{j \to i} = \mathbf{W}_o \, \mathrm{ReLU}\big(\mathbf{W}_s \mathbf{d}_j
        + \mathbf{W}_r \mathbf{d}_i + \mathbf{W}_e \mathbf{e}_{j \to i}\big)

    (biases omitted).

    Args:
        in_dim (int): Width of :math:`\mathbf{d}_i` (:math:`2H`).
        hidden (int): Width :math:`H` of the encodings and of the hidden layer.
        width (int): Classes of a categorical probe, else 1 (then squeezed).

    Shapes:
        - **input:** ``d`` :math:`(N, 2H)`, ``graph.edge`` :math:`(E, H)`, ``graph.edge_index`` :math:`(2, E)`
        - **output:** :math:`(E)`, or :math:`(E, C)` when ``width`` :math:`= C > 1`
    """

    def __init__(self, in_dim: int, hidden: int, width: int) -> None:
        super().__init__()
        self.sender = nn.Linear(in_dim, hidden)
        self.receiver = nn.Linear(in_dim, hidden)
        self.edge = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, width)

    def reset_parameters(self) -> None:
        for linear in (self.sender, self.receiver, self.edge, self.out):
            linear.reset_parameters()

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        sender, receiver = graph.edge_index
        pair = self.sender(d).index_select(0, sender) + self.receiver(d).index_select(0, receiver) + self.edge(graph.edge)
        return self.out(torch.relu(pair)).squeeze(-1)


class PointerHead(nn.Module):
    r"""Node :math:`i` points to one sender :math:`j` of its incoming edges; the score of
    :math:`\pi(i) = j` (CLRS's pointer decoder, on the sparse edges rather than all pairs) is

    .. math::
        s_{j \to i} = \mathbf{w}^\top \max\big(\mathbf{W}_t \mathbf{d}_j,\;
        \mathbf{W}_s \mathbf{d}_i + \mathbf{W}_e \mathbf{e}_{j \to i}\big) + b

    (inner biases omitted; the max is elementwise). A softmax over the edges into :math:`i`
    makes it a distribution (:func:`~dear.nn.losses.probe_loss`).

    Args:
        in_dim (int): Width of :math:`\mathbf{d}_i` (:math:`2H`).
        hidden (int): Width :math:`H` of the encodings and of the hidden layer.

    Shapes:
        - **input:** ``d`` :math:`(N, 2H)`, ``graph.edge`` :math:`(E, H)`, ``graph.edge_index`` :math:`(2, E)`
        - **output:** per-edge logits :math:`(E)`
    """

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.target = nn.Linear(in_dim, hidden)
        self.source = nn.Linear(in_dim, hidden)
        self.edge = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def reset_parameters(self) -> None:
        for linear in (self.target, self.source, self.edge, self.out):
            linear.reset_parameters()

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        sender, receiver = graph.edge_index
        scores = torch.maximum(self.target(d).index_select(0, sender),
                               self.source(d).index_select(0, receiver) + self.edge(graph.edge))
        return self.out(scores).squeeze(-1)


class EdgePointerHead(nn.Module):
    r"""Edge :math:`i \to j` points to a node :math:`k` of its graph (Floyd–Warshall's
    ``Pi[i, j] = k``), scored densely per graph (:math:`O(n^3)`):

    .. math::
        s_{i \to j, k} = \mathbf{w}^\top \mathrm{ReLU}\big(\mathbf{P} \mathbf{d}_i + \mathbf{Q} \mathbf{d}_j
        + \mathbf{R} \mathbf{d}_k + \mathbf{S} \mathbf{e}_{i \to k} + \mathbf{U} \mathbf{e}_{k \to j}\big) + b

    (inner biases omitted), where a leg :math:`i \to k` or :math:`k \to j` that is not an edge
    contributes zero.

    Args:
        in_dim (int): Width of :math:`\mathbf{d}_i` (:math:`2H`).
        hidden (int): Width :math:`H` of the encodings and of the hidden layer.

    Shapes:
        - **input:** ``d`` :math:`(N, 2H)`, ``graph.edge`` :math:`(E, H)`, ``graph.edge_index`` :math:`(2, E)`
        - **output:** logits :math:`(E, n_{\max})` over the nodes of the edge's graph (local ids;
          :math:`n_{\max}` the batch's largest graph, :math:`-\infty` past the graph's own nodes)
    """

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.first = nn.Linear(in_dim, hidden)
        self.second = nn.Linear(in_dim, hidden)
        self.middle = nn.Linear(in_dim, hidden)
        self.first_leg = nn.Linear(hidden, hidden)
        self.second_leg = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def reset_parameters(self) -> None:
        for linear in (self.first, self.second, self.middle, self.first_leg, self.second_leg, self.out):
            linear.reset_parameters()

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        sender, receiver = graph.edge_index
        local = local_node_index(graph.batch, graph.num_graphs)
        middle, mask = to_dense_batch(self.middle(d), graph.batch)  # [G, n, H]
        n = mask.shape[1]
        edge_graph = graph.batch[sender]

        first_leg, second_leg = (
            to_dense_adj(graph.edge_index, graph.batch, leg(graph.edge), max_num_nodes=n,
                         batch_size=graph.num_graphs)
            for leg in (self.first_leg, self.second_leg)
        )
        # For edge (i, j) and candidate k: e_ik is first_leg[g, i, k], e_kj is second_leg[g, k, j].
        # The terms of (i, k) are summed once per graph, and the (k, j) terms are laid out by j, so
        # that an edge gathers two contiguous [n, H] rows instead of three (one of them strided).
        # Both are flattened to [G * n, n, H] rows, so an edge's rows come by index_select.
        via = (first_leg + middle[:, None]).flatten(0, 1)  # [(G, i), k, H]: R d_k + S e_ik
        into = second_leg.transpose(1, 2).flatten(0, 1)  # [(G, j), k, H]: U e_kj
        first_row, second_row = edge_graph * n + local[sender], edge_graph * n + local[receiver]
        pair = (self.first(d).index_select(0, sender) + self.second(d).index_select(0, receiver))[:, None, :]

        def logits(edges: slice) -> torch.Tensor:  # [len(edges), n]
            scores = via.index_select(0, first_row[edges])  # a copy: the in-place sums alias nothing
            scores += into.index_select(0, second_row[edges])
            scores += pair[edges]
            return self.out(scores.relu_()).squeeze(-1)

        # Without autograd, edges go in blocks so the [E, n, H] scores never exist at once
        # (a 256-node graph would need 4 GiB).
        parts = [logits(rows) for rows in inference_blocks(sender.numel(), n * middle.shape[-1])]
        out = torch.cat(parts) if len(parts) != 1 else parts[0]
        return out.masked_fill(~mask[edge_graph], float("-inf"))


class ProbeDecoder(nn.Module):
    r"""Heads for every probe of ``stage`` (outputs, or hints for hint supervision), all reading

    .. math::
        \mathbf{d}_i = [\mathbf{n}_i \,\|\, \mathbf{h}_i]

    (encoded inputs and the processor's state), plus the encoded edges and graphs. The head
    follows the probe's type and location: :class:`NodeHead`, :class:`EdgeHead`,
    :class:`GraphHead`; :class:`PointerHead` for node pointers, :class:`EdgePointerHead` for
    edge pointers; a node should-be-permutation gets a pointer head inside a
    :class:`~dear.nn.permutation.PermutationHead` (Sinkhorn-normalised, as CLRS decodes it).

    Args:
        algorithm (str): The algorithm whose probe specs drive the decoder.
        stage (str): Which probes to decode: ``"output"`` or ``"hint"``.
        hidden (int): Width :math:`H` of the state and of the encodings.

    Shapes:
        - **input:** ``h`` :math:`(N, H)`, ``graph`` an :class:`~dear.nn.graph.EncodedGraph`
          (``node`` :math:`(N, H)`, ``edge`` :math:`(E, H)`, ``graph`` :math:`(G, H)`)
        - **output:** a dict of raw scores per probe name, shaped as its head says (a
          permutation: :class:`~dear.nn.permutation.PermutationScores`)
    """

    def __init__(self, algorithm: str, stage: str, hidden: int) -> None:
        super().__init__()
        in_dim = 2 * hidden
        self.specs = {name: spec for name, spec in SPECS[algorithm].items() if spec[0] == stage}
        heads = {}
        for name, (_, location, kind) in self.specs.items():
            width = feature_width(algorithm, name)
            if kind == Type.SHOULD_BE_PERMUTATION and location == Location.NODE:
                heads[name] = PermutationHead(PointerHead(in_dim, hidden), in_dim)
            elif kind in POINTER_TYPES:
                heads[name] = EdgePointerHead(in_dim, hidden) if location == Location.EDGE else PointerHead(in_dim, hidden)
            elif location == Location.NODE:
                heads[name] = NodeHead(in_dim, width)
            elif location == Location.EDGE:
                heads[name] = EdgeHead(in_dim, hidden, width)
            else:
                heads[name] = GraphHead(in_dim, hidden, width)
        self.heads = nn.ModuleDict(heads)

    def reset_parameters(self) -> None:
        for head in self.heads.values():
            head.reset_parameters()

    def forward(self, h: torch.Tensor, graph: EncodedGraph) -> dict[str, torch.Tensor]:
        d = torch.cat([graph.node, h], dim=-1)
        return {name: head(d, graph) for name, head in self.heads.items()}
