"""What a model's per-batch metric statistics must hold, whatever the (untrained) model predicts."""

from __future__ import annotations

import torch

from dear.data.batching import probe_key
from dear.specs import POINTER_TYPES, Location, Stage, Type


def assert_statistics_cover_the_batch(model: torch.nn.Module, batch, prediction, stats: dict) -> None:
    """``stats = model.statistics(batch, prediction)`` has one entry per output probe, counts
    exactly the batch's entries of it (nodes, n² pairs, graphs, true mask entries or categorical
    rows without a masked class), and its correct counts are whole numbers no larger than those;
    a node pointer's ``correct`` is recounted here from the scores (each node's highest-scoring
    incoming edge)."""
    specs = model.output_specs()
    assert set(stats) == set(specs)
    for name, (_, location, kind) in specs.items():
        target = batch[probe_key(Stage.OUTPUT, name)]
        s = stats[name]
        assert all(float(v) == int(v) >= 0 for k, v in s.items() if k != "sq_error"), (name, s)
        if kind == Type.MASK:
            assert set(s) == {"tp", "fp", "fn"}
            assert s["tp"] + s["fn"] == float((target > 0.5).sum()), name
            assert s["tp"] + s["fp"] <= float((target != -1).sum()), name  # masked (-1) entries never count
            continue
        if kind == Type.SCALAR:
            assert set(s) == {"sq_error", "count"} and s["count"] == target.numel() and s["sq_error"] >= 0
            continue
        assert set(s) == {"correct", "count"} and s["correct"] <= s["count"], (name, s)
        if kind == Type.CATEGORICAL:  # CLRS scores the rows without a masked (-1) class
            assert s["count"] == float((target != -1).all(-1).sum()), name
        elif kind == Type.MASK_ONE:
            assert s["count"] == batch.num_graphs, name
        elif location == Location.NODE:
            assert s["count"] == batch.num_nodes, name
        elif location == Location.EDGE:
            sizes = batch.ptr.diff()
            assert s["count"] == int((sizes**2).sum()), name
        scores = prediction.outputs[name]
        if (kind in POINTER_TYPES and location == Location.NODE and torch.is_tensor(scores)
                and scores.shape == batch.edge_index[0].shape):
            sender, receiver = batch.edge_index
            best = {}
            for e in range(sender.numel()):
                v = int(receiver[e])
                if v not in best or scores[e] > scores[best[v]]:
                    best[v] = e
            predicted = torch.tensor([int(sender[best[v]]) if v in best else -1 for v in range(batch.num_nodes)])
            assert s["correct"] == float((predicted == target.long()).sum()), name


def recounted_pointer_score(model: torch.nn.Module, trajectories, name: str = "pi") -> float:
    """The share of nodes, over all ``trajectories``, whose pointer ``name`` the model gets right,
    counted here graph by graph: a node points to the sender of its highest-scoring incoming edge."""
    from dear.data.batching import collate

    model.eval()
    correct = total = 0
    for trajectory in trajectories:
        batch = collate([trajectory], hints=model.uses_hints)
        with torch.no_grad():
            scores = model(batch).outputs[name]
        sender, receiver = batch.edge_index
        for v in range(trajectory.num_nodes):
            incoming = (receiver == v).nonzero().flatten()
            predicted = int(sender[incoming[scores[incoming].argmax()]])
            correct += predicted == int(trajectory.outputs[name][v])
        total += trajectory.num_nodes
    return correct / total
