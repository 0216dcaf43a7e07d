"""CLRS-30 metrics, accumulated over a whole test set before they are reduced.

Pointers (permutations after their Sinkhorn readout), mask_one and categorical probes score
accuracy; masks score F1 (class imbalance); scalars score mean squared error (lower is better,
so it is reported but not averaged into the model's score). A probe's *score* is what CLRS
reports (``clrs/_src/evaluation.py``), entries CLRS marks as masked (-1) left out.
"""

from __future__ import annotations

from collections import defaultdict

import torch

from dear.nn.graph import EncodedGraph
from dear.nn.readout import group_of, hard_prediction, unmasked
from dear.specs import POINTER_TYPES, Type


def probe_statistics(
    scores: torch.Tensor, target: torch.Tensor, location: str, kind: str, graph: EncodedGraph
) -> dict[str, float]:
    r"""Sufficient statistics of one batch, to be summed across batches: true/false positives
    and false negatives of masks (for F1), the squared error of scalars, else correct elements
    (pointers, categoricals) or graphs (mask_one: the graph's argmax is its 1).

    As CLRS's evaluation (``clrs/_src/evaluation.py``), entries marked masked
    (:data:`~dear.nn.readout.MASKED`, -1) are not scored: a mask's masked entries count in none
    of tp/fp/fn, a categorical row with a masked class and a mask_one graph with a masked
    element are left out of ``correct`` and ``count``. Every location (node, edge, graph) is
    scored alike; edge probes over the batch's edges (all :math:`n^2` pairs on a complete graph).

    Args:
        scores: The decoder's raw scores for one probe (:func:`~dear.nn.readout.hard_prediction`
            reads them).
        target: The batch's tensor for the probe.
        location (str): The probe's location.
        kind (str): The probe's type.
        graph (EncodedGraph): The batch's layout.

    Shapes:
        - **input:** ``scores`` as the head returns them, ``target`` as the batch stores it
        - **output:** a dict of floats
    """
    pred = hard_prediction(scores, location, kind, graph)
    if kind == Type.MASK:
        hit, truth = pred > 0.5, target > 0.5
        return {
            "tp": float((hit & truth).sum()),
            "fp": float((hit & ~truth & unmasked(target, kind)).sum()),
            "fn": float((~hit & truth).sum()),
        }
    if kind == Type.SCALAR:
        return {"sq_error": float(((pred - target) ** 2).sum()), "count": float(target.numel())}
    if kind in POINTER_TYPES:
        correct = pred == target
        scored = torch.ones_like(correct)
    elif kind == Type.MASK_ONE:
        group = group_of(location, graph)
        correct = torch.zeros(graph.num_graphs, dtype=torch.bool, device=pred.device)
        correct = correct.index_put_((group[target > 0.5],), (pred[target > 0.5] > 0.5))
        scored = torch.ones_like(correct).index_fill_(0, group[~unmasked(target, kind)], False)
    else:  # categorical: a row per node, edge or graph
        correct = pred.argmax(-1) == target.argmax(-1)
        scored = unmasked(target, kind)
    return {"correct": float((correct & scored).sum()), "count": float(scored.sum())}


def reduce_statistics(kind: str, stats: dict[str, float]) -> float:
    """CLRS's score from summed statistics: F1 of masks, mean squared error of scalars, else
    accuracy."""
    if kind == Type.MASK:
        precision = stats["tp"] / (stats["tp"] + stats["fp"]) if stats["tp"] + stats["fp"] > 0 else 1.0
        recall = stats["tp"] / (stats["tp"] + stats["fn"]) if stats["tp"] + stats["fn"] > 0 else 1.0
        return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    if kind == Type.SCALAR:
        return stats["sq_error"] / max(stats["count"], 1.0)
    return stats["correct"] / max(stats["count"], 1.0)


def clrs_score(kinds: dict[str, str], scores: dict[str, float]) -> float:
    """A model's score: the mean of its output probes' scores, as CLRS's ``evaluate`` takes it,
    except that scalar probes (a mean squared error, lower is better) are reported but left out;
    NaN if every output is a scalar."""
    kept = [value for name, value in scores.items() if kinds[name] != Type.SCALAR]
    return sum(kept) / len(kept) if kept else float("nan")


class MetricAccumulator:
    """Sums per-probe statistics over batches and reduces them to CLRS scores.

    Args:
        kinds (dict[str, str]): The type of each probe, by name (it picks the reduction).
    """

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, name: str, statistics: dict[str, float]) -> None:
        for key, value in statistics.items():
            self.stats[name][key] += value

    def scores(self) -> dict[str, float]:
        return {name: reduce_statistics(self.kinds[name], dict(s)) for name, s in self.stats.items()}

    def score(self) -> float:
        """The model's score over all batches so far (:func:`clrs_score`)."""
        return clrs_score(self.kinds, self.scores())
