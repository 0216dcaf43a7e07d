"""Per-type losses as CLRS-30 defines them (MSE, BCE, cross-entropy over nodes/classes/edges)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch_geometric.utils import scatter

from dear.nn.encoders import pointer_to_edges
from dear.nn import normalise
from dear.nn.graph import EncodedGraph, segment_log_softmax
from dear.nn.permutation import PermutationScores, permutation_loss
from dear.nn.readout import MASKED, group_of, local_pointer
from dear.specs import POINTER_TYPES, Location, Type


def probe_loss(scores: torch.Tensor | PermutationScores, target: torch.Tensor, location: str, kind: str,
               graph: EncodedGraph) -> torch.Tensor:
    r"""Mean loss of one probe over the batch; ``target`` is the batch's tensor for it.

    By type: scalar, MSE; mask, binary cross-entropy on the logits; mask_one, cross-entropy of a
    softmax over the graph's elements (averaged over graphs); categorical, cross-entropy over
    the classes (averaged over the rows); node pointer, cross-entropy of a softmax over the
    edges into each node (averaged over the nodes whose pointer is an edge: the others cannot
    be predicted); edge pointer, cross-entropy over the graph's nodes; should-be-permutation,
    :func:`~dear.nn.permutation.permutation_loss`. Targets are cast to the scores' dtype.

    Entries CLRS marks as masked (:data:`~dear.nn.readout.MASKED`, -1) carry no label, as in
    CLRS's losses: a mask's binary cross-entropy is averaged over its unmasked entries; mask_one
    and categorical cross-entropies read the target with -1 set to 0 and are divided by the
    number of positive entries (the graphs, or rows, that hold a positive class). A target
    without masked entries gets the plain formula above, bit for bit.

    Args:
        scores: The decoder's raw scores for the probe (:class:`~dear.nn.decoders.ProbeDecoder`).
        target: The batch's tensor: float values, or global node ids (long) for pointers.
        location (str): The probe's location (``"node"``, ``"edge"``, ``"graph"``).
        kind (str): The probe's type.
        graph (EncodedGraph): The batch's layout (``edge_index``, ``batch``, ``num_graphs``).

    Shapes:
        - **input:** ``scores`` as the head returns them; ``target`` :math:`(L)` or
          :math:`(L, C)` with :math:`L` the elements at ``location``, pointers :math:`(N)` or :math:`(E)`
        - **output:** a scalar
    """
    if isinstance(scores, PermutationScores):
        return permutation_loss(scores, target, graph)
    if kind in POINTER_TYPES:
        if location == Location.EDGE:
            if normalise.distributed():
                return normalise.mean(F.cross_entropy(scores, local_pointer(target, graph, location), reduction="none"))
            return F.cross_entropy(scores, local_pointer(target, graph, location))
        receiver = graph.edge_index[1]
        on_edge = pointer_to_edges(target, graph.edge_index, scores.dtype)
        log_p = segment_log_softmax(scores, receiver, graph.num_nodes)
        # Nodes whose pointer is not an edge of the graph cannot be predicted; skip them.
        reachable = scatter(on_edge, receiver, dim=0, dim_size=graph.num_nodes, reduce="sum")
        return -(log_p * on_edge).sum() / normalise.count(reachable.sum(), log_p).clamp_min(1.0)
    target = target.to(scores.dtype)  # the batch holds float32; a float64 model reads it as float64
    if kind == Type.SCALAR:
        if normalise.distributed():
            return normalise.mean(F.mse_loss(scores, target, reduction="none"))
        return F.mse_loss(scores, target)
    if kind == Type.MASK:
        valid = target != MASKED
        per_entry = F.binary_cross_entropy_with_logits(scores, target.clamp_min(0.0), reduction="none")
        masked = (per_entry * valid).sum() / normalise.count(valid.sum(), per_entry).clamp_min(1)
        plain = (normalise.mean(per_entry) if normalise.distributed()
                 else F.binary_cross_entropy_with_logits(scores, target))
        return _unless_masked(valid.all(), plain, masked)
    if kind == Type.MASK_ONE:
        log_p = segment_log_softmax(scores, group_of(location, graph), graph.num_graphs)
        positives = (target > 0.5).sum()
        masked = -(log_p * target.clamp_min(0.0)).sum() / normalise.count(positives, log_p).clamp_min(1)
        exact = (target != MASKED).all() & (positives == graph.num_graphs)
        return _unless_masked(exact, -(log_p * target).sum() / normalise.count(graph.num_graphs, log_p), masked)
    if kind == Type.CATEGORICAL:
        log_p = F.log_softmax(scores, dim=-1)
        labelled = (target > 0.5).any(-1)  # rows holding a positive class
        masked = -(log_p * target.clamp_min(0.0)).sum() / normalise.count(labelled.sum(), log_p).clamp_min(1)
        exact = labelled.all() & (target != MASKED).all()
        return _unless_masked(exact, normalise.mean(-(log_p * target).sum(-1)), masked)
    raise ValueError(f"no loss for probe type {kind!r}")


def _unless_masked(exact: torch.Tensor, plain: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
    """``plain`` where ``exact`` (a 0-d bool tensor: the target has no masked entry), else
    ``masked``, CLRS's loss over the labelled entries. Both are computed and one is selected on
    the device (no host sync); on targets without masked entries the loss and its gradient are
    the plain formula's to the bit (the other branch receives a zero gradient)."""
    return torch.where(exact, plain, masked)
