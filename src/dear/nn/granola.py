"""GRANOLA (Eliasof et al., 2024): normalisation whose affine map adapts to the graph.

Each node is layer-normalised over its features, then scaled and shifted by ``γ_i, β_i`` that a
one-layer max-aggregation GNN computes from the un-normalised features and random node features
(RNF, which let it tell apart nodes the features alone cannot).

For a fixed-point model the RNF must stay fixed while the solver iterates, otherwise the map
changes at every call and has no fixed point: they are drawn once per forward
(:func:`with_random_features`) and carried by the :class:`EncodedGraph`; evaluation draws them
from a fixed seed, so it is deterministic.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn.inits import reset

from dear.nn.graph import EncodedGraph, Rows, put_rows, segment_max

#: Seed of the RNF in evaluation mode.
EVAL_SEED = 0


def with_random_features(graph: EncodedGraph, deterministic: bool) -> EncodedGraph:
    """``graph`` with standard normal RNF ``[N, H]`` (``H``: the encoding width); from
    :data:`EVAL_SEED` when ``deterministic``, else from the global generator."""
    device = graph.node.device
    generator = torch.Generator(device=device).manual_seed(EVAL_SEED) if deterministic else None
    rnf = torch.randn(graph.node.shape, generator=generator, device=device, dtype=graph.node.dtype)
    return replace(graph, rnf=rnf)


class GranolaNorm(nn.Module):
    r"""A layer norm whose scale and shift come from one message pass over the features and
    the random node features :math:`\mathbf{r}_i`:

    .. math::
        \mathbf{u}_i &= [\mathbf{x}_i \,\|\, \mathbf{r}_i]

        \mathbf{c}_i &= \mathrm{ReLU}\Big(\mathbf{W}_c \Big[\mathbf{u}_i \,\Big\|\,
        \max_{j \to i} \mathrm{MLP}\big([\mathbf{u}_i \,\|\, \mathbf{u}_j \,\|\,
        \mathbf{e}_{j \to i}]\big)\Big]\Big)

        [\boldsymbol{\gamma}_i \,\|\, \boldsymbol{\beta}_i] &= \mathbf{W}_a \mathbf{c}_i + \mathbf{b}_a

        \mathbf{x}_i' &= (1 + \boldsymbol{\gamma}_i) \odot \mathrm{LayerNorm}(\mathbf{x}_i)
        + \boldsymbol{\beta}_i

    (:math:`\mathrm{MLP}`: linear, ReLU, linear; the layer norm has no affine map of its own; a
    node without incoming edges aggregates 0). The affine head :math:`\mathbf{W}_a,
    \mathbf{b}_a` starts at zero (:math:`\boldsymbol{\gamma} = \mathbf{0}`,
    :math:`\boldsymbol{\beta} = \mathbf{0}`), so the norm starts as a plain layer norm.

    Args:
        hidden (int): Width :math:`H` of :math:`\mathbf{x}_i`, of the RNF and of the edge features.

    Shapes:
        - **input:** ``x`` :math:`(R, H)`, the rows ``nodes`` (:math:`R \le N`);
          ``graph.rnf`` :math:`(N, H)`, ``graph.edge`` :math:`(E, H)`, ``graph.edge_index``
          :math:`(2, E)`; ``edges`` the edges into ``nodes``
        - **output:** :math:`(R, H)`
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        width = 2 * hidden  # features and as many RNF
        self.message = nn.Sequential(
            nn.Linear(2 * width + hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)
        )
        self.combine = nn.Linear(width + hidden, hidden)
        self.affine = nn.Linear(hidden, 2 * hidden)
        self._zero_affine()

    def _zero_affine(self) -> None:
        nn.init.zeros_(self.affine.weight)
        nn.init.zeros_(self.affine.bias)

    def reset_parameters(self) -> None:
        reset(self.message)
        self.combine.reset_parameters()
        # Drawn, then zeroed, as at construction: the random stream stays that of __init__.
        self.affine.reset_parameters()
        self._zero_affine()

    def forward(
        self, x: torch.Tensor, graph: EncodedGraph, nodes: Rows, edges: Rows
    ) -> torch.Tensor:
        """Normalise ``x`` ``[len(nodes), H]``, the rows of ``nodes``, reading the ``edges`` into
        them. Their senders must be among ``nodes`` (true when whole graphs are active)."""
        if graph.rnf is None:
            raise ValueError("GRANOLA needs graph.rnf: draw it once per forward with with_random_features")
        sender, receiver = graph.edge_index[:, edges]
        u = torch.cat([put_rows(x.new_zeros(graph.num_nodes, x.shape[1]), nodes, x), graph.rnf], dim=-1)
        pairs = torch.cat([u[receiver], u[sender], graph.edge[edges]], dim=-1)
        context = segment_max(self.message(pairs), receiver, graph.num_nodes)[nodes]
        conditioning = torch.relu(self.combine(torch.cat([u[nodes], context], dim=-1)))
        gamma, beta = self.affine(conditioning).chunk(2, dim=-1)
        return (1 + gamma) * F.layer_norm(x, x.shape[-1:]) + beta
