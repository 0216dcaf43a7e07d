"""Turn decoder scores into hard predictions laid out like the batch's ground truth."""

from __future__ import annotations

import torch

from dear.nn.graph import EncodedGraph, graph_offsets, segment_argmax
from dear.nn.permutation import PermutationScores, permutation_prediction
from dear.specs import POINTER_TYPES, Location, Type

#: CLRS-30's ``OutputClass.MASKED``: an entry of a mask, mask_one or categorical probe that is
#: neither positive nor negative (lcs_length's ``b`` outside the table, bridges' ``is_bridge`` off
#: the edges). Losses and metrics leave such entries out, as CLRS's do.
MASKED = -1.0


def unmasked(target: torch.Tensor, kind: str) -> torch.Tensor:
    """Which entries of a mask or mask_one probe carry a label (elementwise), or which rows of a
    categorical one: those without a masked class (CLRS's ``_eval_one`` drops the others)."""
    valid = target != MASKED
    return valid.all(-1) if kind == Type.CATEGORICAL else valid


def group_of(location: str, graph: EncodedGraph) -> torch.Tensor:
    """The graph each element of a ``location`` probe belongs to."""
    return {Location.NODE: graph.batch, Location.EDGE: graph.edge_batch}.get(
        location, torch.arange(graph.num_graphs, device=graph.batch.device)
    )


def node_offsets(graph: EncodedGraph) -> torch.Tensor:
    """Global id of node 0 of every graph (``[G]``)."""
    return graph_offsets(graph.batch, graph.num_graphs)


def hard_prediction(scores: torch.Tensor | PermutationScores, location: str, kind: str,
                    graph: EncodedGraph) -> torch.Tensor:
    r"""Predictions in the batch's layout: pointers as global node ids, masks as 0/1, one-hots.

    Args:
        scores: The decoder's raw scores for one probe.
        location (str): The probe's location.
        kind (str): The probe's type.
        graph (EncodedGraph): The batch's layout.

    Shapes:
        - **input:** ``scores`` as the head returns them (node pointers :math:`(E)`, edge pointers
          :math:`(E, n_{\max})`, others :math:`(L)` or :math:`(L, C)`)
        - **output:** like the batch's target: pointers :math:`(N)` or :math:`(E)` (long), else
          the scores' shape and dtype
    """
    if isinstance(scores, PermutationScores):
        return permutation_prediction(scores, graph)
    if kind in POINTER_TYPES:
        sender, receiver = graph.edge_index
        if location == Location.EDGE:  # [E, n] over the nodes of the edge's graph
            return scores.argmax(-1) + node_offsets(graph)[graph.edge_batch]
        return sender[segment_argmax(scores, receiver, graph.num_nodes)]
    if kind == Type.MASK:
        return (scores > 0).to(scores.dtype)
    if kind == Type.MASK_ONE:
        group = group_of(location, graph)
        winner = segment_argmax(scores, group, graph.num_graphs)
        return torch.zeros_like(scores).index_fill_(0, winner, 1.0)
    if kind == Type.CATEGORICAL:
        return torch.nn.functional.one_hot(scores.argmax(-1), scores.shape[-1]).to(scores.dtype)
    return scores


def local_pointer(pointer: torch.Tensor, graph: EncodedGraph, location: str) -> torch.Tensor:
    """Global node ids -> ids within their graph."""
    group = graph.batch if location == Location.NODE else graph.edge_batch
    return pointer - node_offsets(graph)[group]


__all__ = ["MASKED", "group_of", "hard_prediction", "local_pointer", "node_offsets", "unmasked"]
