"""Find a trained model, run it once on a batch, and decode its answer per graph.

Pretrained models ship inside the package (``dear/pretrained/<model>/<algorithm>/``, the layout
of a run directory); ``model`` may also be the path of any run directory. A batch of several
graphs is one forward pass; its hard outputs, decoder scores and solver diagnostics are split
back per graph here, each graph's answer then read on its own node positions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Batch

from dear.config import MODELS, TrainConfig
from dear.models.base import Prediction, Reasoner
from dear.nn.permutation import PermutationScores
from dear.nn.readout import hard_prediction
from dear.specs import POINTER_TYPES, SPECS, Location


#: The DEARs trained for the larger graphs users bring (training graphs of up to 128, 64 or 32
#: nodes, not the protocol's 8-16, run longer), best first, shipped where they answer users'
#: graphs better than the paper-protocol ``dear`` (docs/RESULTS.md, "solve on users' graphs").
USERS_DEARS = ("dear-train128", "dear-train64", "dear-train32")


def default_model(algorithm: str) -> str:
    """The model ``solve`` uses when none is named: the first of :data:`USERS_DEARS` that ships
    for ``algorithm``, else the paper-protocol ``dear`` (the headline table's model)."""
    return next((name for name in USERS_DEARS if _is_shipped(_shipped_folder(name, algorithm))), "dear")


def _shipped_folder(model: str, algorithm: str) -> Path:
    """Where the package keeps the shipped ``model`` of ``algorithm`` (whether or not it ships)."""
    return Path(str(resources.files("dear"))) / "pretrained" / str(model) / algorithm


def _is_shipped(folder: Path) -> bool:
    return (folder / "model.safetensors").exists()


def pretrained_dir(model: str, algorithm: str) -> Path:
    """Where a shipped model lives, or ``model`` itself when it is a run directory."""
    if not isinstance(model, (str, os.PathLike)):
        raise ValueError(f"model must be a shipped model's name or a run directory, got {type(model).__name__}")
    if Path(model).is_dir() and str(model) not in MODELS:  # a shipped name wins over a folder called "dear"
        return Path(model)
    folder = _shipped_folder(model, algorithm)
    if not _is_shipped(folder):
        shipped = sorted(p.parent.name for p in (folder.parent.parent).glob(f"*/{algorithm}/model.safetensors"))
        raise ValueError(
            f"no pretrained {model!r} model for {algorithm}; shipped for it: {', '.join(shipped) or 'none'} "
            "(or pass a run directory)"
        )
    return folder


def load_model(algorithm: str, model: str, tol: float | None = None, max_iter: int | None = None
               ) -> tuple[TrainConfig, Reasoner]:
    """The run's config and its reasoner (in eval mode), DEAR's solver limits replaced by
    ``tol``/``max_iter``; refused when trained on another algorithm or reading hints."""
    from dear.run import load_run

    config, reasoner = load_run(pretrained_dir(model, algorithm), eval_tol=tol, eval_max_iter=max_iter)
    if config.algorithm != algorithm:
        raise ValueError(f"model {model!r} was trained on {config.algorithm}, not {algorithm}")
    if reasoner.uses_hints:
        raise ValueError(f"a {config.model} model reads the algorithm's own hints; "
                         "solve with nar, nar-lt, dem or dear")
    return config, reasoner


def _forward(model: Reasoner, batch: Batch) -> tuple[Prediction, dict[str, np.ndarray], dict[str, Any]]:
    """The prediction, its hard outputs in the batch's layout, and each output's decoder scores
    as NumPy (pointer logits per edge of the batch; for a permutation ``{"log_perm", "first"}``
    with ``log_perm`` ``[G, n, n]``)."""
    device = next(model.parameters()).device
    prediction = model(batch.to(device))
    outputs, scores = {}, {}
    for name, raw in prediction.outputs.items():
        _, location, kind = SPECS[model.algorithm][name]
        outputs[name] = hard_prediction(raw, location, kind, prediction.graph).cpu().numpy()
        scores[name] = ({"log_perm": raw.log_perm.float().cpu().numpy(), "first": raw.first.float().cpu().numpy()}
                        if isinstance(raw, PermutationScores) else raw.float().cpu().numpy())
    return prediction, outputs, scores


@torch.no_grad()
def run_model(model: Reasoner, batch: Batch, scores: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Hard outputs and solver diagnostics of ``model`` on a one-graph ``batch``; ``scores``,
    when given, receives each output's decoder scores (see :func:`run_graphs`)."""
    (graph,) = run_graphs(model, batch)
    if scores is not None:
        scores.update(graph.scores)
    return graph.outputs, graph.diagnostics


@dataclass
class GraphRun:
    """One graph's share of a forward pass, on its own node positions: ``outputs`` (pointers
    as positions), ``scores`` (what :func:`dear.solve.repair.repair` decodes under
    constraints: pointer logits per edge of the graph; ``[E, n]`` for edge pointers; for a
    permutation ``{"log_perm": [n, n], "first": [n]}``) and ``diagnostics`` (DEAR: its own
    ``iterations``, ``residual``, ``converged``)."""

    outputs: dict[str, np.ndarray]
    scores: dict[str, Any]
    diagnostics: dict[str, Any]


@torch.no_grad()
def run_graphs(model: Reasoner, batch: Batch) -> list[GraphRun]:
    """``model`` on every graph of ``batch`` in one forward pass, split per graph."""
    prediction, outputs, scores = _forward(model, batch)
    num_graphs = int(batch.num_graphs)
    node_start = batch.ptr.cpu().numpy() if num_graphs > 1 else np.array([0, int(batch.num_nodes)])
    edge_index = batch.edge_index.cpu().numpy()
    edge_graph = np.searchsorted(node_start, edge_index[0], side="right") - 1
    edge_start = np.searchsorted(edge_graph, np.arange(num_graphs + 1))
    runs = []
    for g in range(num_graphs):
        n, offset = node_start[g + 1] - node_start[g], node_start[g]
        edges = slice(edge_start[g], edge_start[g + 1])
        rows = {Location.NODE: slice(offset, offset + n), Location.EDGE: edges, Location.GRAPH: slice(g, g + 1)}
        mine, my_scores = {}, {}
        for name, values in outputs.items():
            _, location, kind = SPECS[model.algorithm][name]
            pointer = kind in POINTER_TYPES
            mine[name] = values[rows[location]] - offset if pointer else values[rows[location]]
            score = scores[name]
            if isinstance(score, dict):  # a permutation: [G, n, n] rows padded to the largest graph
                my_scores[name] = {"log_perm": score["log_perm"][g, :n, :n], "first": score["first"][rows[location]]}
            elif pointer:  # a logit per edge of the batch ([E, n] over the graph's nodes for edge pointers)
                my_scores[name] = score[edges, :n] if location == Location.EDGE else score[edges]
            else:
                my_scores[name] = score[rows[location]]
        runs.append(GraphRun(mine, my_scores, _diagnostics(model, batch, prediction, g)))
    return runs


def _diagnostics(model: Reasoner, batch: Batch, prediction: Prediction, g: int) -> dict[str, Any]:
    """Graph ``g``'s diagnostics: the solve's statistics of that graph alone (DEAR, DEM), or
    the rollout's (its own number of steps where the model reads ``length``)."""
    solver = prediction.solver
    if int(batch.num_graphs) == 1:
        diagnostics: dict[str, Any] = dict(prediction.diagnostics)
    elif solver is not None:
        mine = torch.arange(int(batch.num_graphs), device=solver.iterations.device) == g
        diagnostics = solver.select(mine).summary()
    else:
        diagnostics = dict(prediction.diagnostics)
        if model.uses_length and "length" in batch:
            steps = float(batch.length[g])
            diagnostics |= {key: steps for key in ("steps_mean", "steps_max") if key in diagnostics}
    if solver is not None:  # one graph: its own residual and verdict, not batch statistics
        diagnostics |= {"residual": float(solver.residual[g]), "converged": bool(solver.converged[g]),
                        "iterations": int(solver.iterations[g])}
    return diagnostics


__all__ = ["GraphRun", "default_model", "load_model", "pretrained_dir", "run_graphs", "run_model"]
