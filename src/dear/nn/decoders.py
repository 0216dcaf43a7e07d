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
    def __init__(self, in_dim: int, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, width)

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        return self.linear(d).squeeze(-1)


class GraphHead(nn.Module):
    """Graph-level probes read the max-pooled node features and the graph encoding."""

    def __init__(self, in_dim: int, hidden: int, width: int) -> None:
        super().__init__()
        self.nodes = nn.Linear(in_dim, hidden)
        self.graph = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, width)

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        pooled = graph_max_pool(self.nodes(d), graph.batch, graph.num_graphs)
        return self.out(torch.relu(pooled + self.graph(graph.graph))).squeeze(-1)


class EdgeHead(nn.Module):
    """Edge-level values from sender, receiver and edge features."""

    def __init__(self, in_dim: int, hidden: int, width: int) -> None:
        super().__init__()
        self.sender = nn.Linear(in_dim, hidden)
        self.receiver = nn.Linear(in_dim, hidden)
        self.edge = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, width)

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        sender, receiver = graph.edge_index
        pair = self.sender(d).index_select(0, sender) + self.receiver(d).index_select(0, receiver) + self.edge(graph.edge)
        return self.out(torch.relu(pair)).squeeze(-1)


class PointerHead(nn.Module):
    """Node ``i`` points to one sender ``j`` of its incoming edges:
    score ``L4(max(L1 d_j, L0 d_i + L2 e_ij))`` (CLRS's pointer decoder on sparse edges)."""

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.target = nn.Linear(in_dim, hidden)
        self.source = nn.Linear(in_dim, hidden)
        self.edge = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
        sender, receiver = graph.edge_index
        scores = torch.maximum(self.target(d).index_select(0, sender),
                               self.source(d).index_select(0, receiver) + self.edge(graph.edge))
        return self.out(scores).squeeze(-1)


class EdgePointerHead(nn.Module):
    """Edge ``(i, j)`` points to a node ``k`` (Floyd–Warshall's ``Pi[i, j] = k``): score
    ``w · ReLU(P d_i + Q d_j + R d_k + S e_ik + U e_kj)``, dense per graph (``O(n³)``)."""

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.first = nn.Linear(in_dim, hidden)
        self.second = nn.Linear(in_dim, hidden)
        self.middle = nn.Linear(in_dim, hidden)
        self.first_leg = nn.Linear(hidden, hidden)
        self.second_leg = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

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
    """Heads for every probe of ``stage`` (outputs, or hints for hint supervision)."""

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

    def forward(self, h: torch.Tensor, graph: EncodedGraph) -> dict[str, torch.Tensor]:
        d = torch.cat([graph.node, h], dim=-1)
        return {name: head(d, graph) for name, head in self.heads.items()}
