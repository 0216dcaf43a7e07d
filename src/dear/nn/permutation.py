"""Should-be-permutation outputs (insertion sort's ``pred``) decoded as CLRS-30 decodes them.

A plain pointer head lets two elements claim the same predecessor; CLRS instead decodes the
*cyclic* predecessor (the first element points to the last, so every row and column holds
exactly one 1) as a permutation matrix through a log-space Sinkhorn operator, with Gumbel
noise in training, and a mask_one head marks the first element. At test time the rows are
arg-maxed and the first element points back to itself, giving the CLRS pointer again.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch_geometric.utils import to_dense_batch

from dear.nn import normalise
from dear.nn.graph import EncodedGraph, graph_offsets, local_node_index, segment_argmax, segment_log_softmax

#: CLRS's settings: 10 Sinkhorn steps at temperature 0.1 in the decoder, 25 more before the argmax.
DECODER_STEPS = 10
READOUT_STEPS = 25
TEMPERATURE = 0.1
#: Logit given to pairs that are not edges of the graph (or are padding): never chosen.
_NEVER = -1e9


@dataclass
class PermutationScores:
    """Decoder output of a should-be-permutation probe."""

    log_perm: torch.Tensor  # [G, n, n] log doubly-stochastic; row i: the cyclic predecessor of i
    first: torch.Tensor  # [N] mask_one logits: which node is first (points to itself)
    valid: torch.Tensor  # [G, n] which rows/columns are real nodes (the rest is padding)


def log_sinkhorn(logits: torch.Tensor, valid: torch.Tensor, steps: int, temperature: float,
                 zero_diagonal: bool = True, noise: bool = False) -> torch.Tensor:
    """Alternate row and column log-normalisation of ``[G, n, n]`` logits.

    Padding is made an identity block (its own permutation) so it never takes mass from the real
    rows; ``zero_diagonal`` forbids fixed points on the real nodes (a cyclic predecessor is never
    the node itself once n > 1).
    """
    n = logits.shape[-1]
    eye = torch.eye(n, dtype=torch.bool, device=logits.device)
    if noise:  # standard Gumbel noise, as CLRS adds in training
        uniform = torch.rand_like(logits)
        logits = logits - torch.log(-torch.log(uniform + 1e-12) + 1e-12)
    x = logits / temperature
    pair_valid = valid[:, :, None] & valid[:, None, :]
    padding_eye = eye & ~valid[:, :, None]
    x = torch.where(pair_valid, x, torch.where(padding_eye, torch.zeros_like(x), torch.full_like(x, _NEVER)))
    if zero_diagonal:
        x = x - 1e6 * (eye & valid[:, :, None] & (valid.sum(-1) > 1)[:, None, None]).to(x.dtype)
    for _ in range(steps):
        x = torch.log_softmax(x, dim=-1)
        x = torch.log_softmax(x, dim=-2)
    return x


def _dense_layout(graph: EncodedGraph) -> tuple[torch.Tensor, torch.Tensor]:
    """Each node's index in its graph ``[N]`` and which ``[G, n]`` dense slots hold a node."""
    local = local_node_index(graph.batch, graph.num_graphs)
    _, valid = to_dense_batch(local, graph.batch, batch_size=graph.num_graphs)
    return local, valid


def dense_pointer_logits(edge_scores: torch.Tensor, graph: EncodedGraph) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-edge pointer logits (edge ``j -> i`` scores "i points to j") as ``[G, n, n]`` rows i,
    columns j; pairs without an edge get a logit that is never chosen."""
    sender, receiver = graph.edge_index
    local, valid = _dense_layout(graph)
    n = valid.shape[1]
    dense = edge_scores.new_full((graph.num_graphs, n, n), _NEVER)
    dense[graph.batch[receiver], local[receiver], local[sender]] = edge_scores
    return dense, valid


class PermutationHead(nn.Module):
    r"""CLRS's pointer scores, Sinkhorn-normalised per graph, plus the first-element head:

    .. math::
        \log \mathbf{P}_g = \mathrm{Sinkhorn}_{10}\big((\mathbf{S}_g + \boldsymbol{\gamma}) / \tau\big),
        \qquad
        f_i = \mathbf{w}^\top \mathbf{d}_i + b,

    where :math:`(\mathbf{S}_g)_{ij} = s_{j \to i}` is the pointer head's score of edge
    :math:`j \to i` (pairs without an edge never chosen), :math:`\tau = 0.1`, the diagonal is
    forbidden, and :math:`\boldsymbol{\gamma}` is Gumbel noise in training only
    (:func:`log_sinkhorn`). Row :math:`i` of :math:`\mathbf{P}_g` is the cyclic predecessor of
    :math:`i`; :math:`f` is the mask_one logit of the first element.

    Args:
        pointer_head (nn.Module): Per-edge pointer scores :math:`(E)` from ``(d, graph)``
            (a :class:`~dear.nn.decoders.PointerHead`).
        in_dim (int): Width of :math:`\mathbf{d}_i` (:math:`2H`).

    Shapes:
        - **input:** ``d`` :math:`(N, 2H)`, ``graph`` an :class:`~dear.nn.graph.EncodedGraph`
        - **output:** :class:`PermutationScores`: ``log_perm`` :math:`(G, n_{\max}, n_{\max})`,
          ``first`` :math:`(N)`, ``valid`` :math:`(G, n_{\max})`
    """

    def __init__(self, pointer_head: nn.Module, in_dim: int) -> None:
        super().__init__()
        self.pointer = pointer_head
        self.first = nn.Linear(in_dim, 1)

    def reset_parameters(self) -> None:
        self.pointer.reset_parameters()
        self.first.reset_parameters()

    def forward(self, d: torch.Tensor, graph: EncodedGraph) -> PermutationScores:
        dense, valid = dense_pointer_logits(self.pointer(d, graph), graph)
        log_perm = log_sinkhorn(dense, valid, DECODER_STEPS, TEMPERATURE, noise=self.training)
        return PermutationScores(log_perm, self.first(d).squeeze(-1), valid)


def cyclic_targets(pointer: torch.Tensor, graph: EncodedGraph,
                   dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """CLRS's ``predecessor_to_cyclic_predecessor_and_first`` on a batch: the target permutation
    ``[G, n, n]`` and the one-hot first element ``[N]`` (both ``dtype``) from predecessor pointers
    (global ids)."""
    local, valid = _dense_layout(graph)
    nodes = torch.arange(pointer.shape[0], device=pointer.device)
    first = (pointer == nodes).to(dtype)
    pointed_at = torch.zeros_like(first).index_fill_(0, pointer, 1.0)
    is_last = pointed_at == 0  # the element no one points to
    last_of_graph = torch.zeros(graph.num_graphs, dtype=torch.long, device=pointer.device)
    last_of_graph[graph.batch[is_last]] = nodes[is_last]
    cyclic = torch.where(first > 0, last_of_graph[graph.batch], pointer)
    target = pointer.new_zeros((graph.num_graphs, valid.shape[1], valid.shape[1]), dtype=dtype)
    target[graph.batch, local, local[cyclic]] = 1.0
    return target, first


def permutation_loss(scores: PermutationScores, pointer: torch.Tensor, graph: EncodedGraph) -> torch.Tensor:
    """Cross-entropy of the doubly-stochastic rows against the cyclic predecessor, plus the
    mask_one loss of the first element (CLRS's two output losses)."""
    target, first = cyclic_targets(pointer, graph, scores.log_perm.dtype)
    rows = -(target * scores.log_perm).sum(-1)  # [G, n]
    perm_loss = normalise.mean(rows[scores.valid])
    log_first = segment_log_softmax(scores.first, graph.batch, graph.num_graphs)
    return perm_loss - (log_first * first).sum() / normalise.count(graph.num_graphs, log_first)


def permutation_prediction(scores: PermutationScores, graph: EncodedGraph) -> torch.Tensor:
    """Hard predecessor pointers (global ids): row argmax after CLRS's readout Sinkhorn, the
    predicted first element pointing to itself (CLRS's ``fuse_perm_and_mask``)."""
    sharpened = log_sinkhorn(scores.log_perm, scores.valid, READOUT_STEPS, TEMPERATURE)
    local = local_node_index(graph.batch, graph.num_graphs)
    pointer = sharpened.argmax(-1)[graph.batch, local] + graph_offsets(graph.batch, graph.num_graphs)[graph.batch]
    first = torch.zeros(graph.num_nodes, dtype=torch.bool, device=local.device)
    first[segment_argmax(scores.first, graph.batch, graph.num_graphs)] = True
    return torch.where(first, torch.arange(graph.num_nodes, device=local.device), pointer)
