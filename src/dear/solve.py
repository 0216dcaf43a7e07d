"""Run a trained reasoner on a user's own graph (networkx) or array.

Pretrained models ship inside the package (``dear/pretrained/<model>/<algorithm>/``, the layout
of a run directory); ``model`` may also be the path of any run directory. Weights are scaled
into the training range (shortest paths, MSTs and orders are invariant to a positive scale).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import networkx as nx
import numpy as np
import torch

from dear.data.batching import collate
from dear.data.execute import complete_inputs, run_reference
from dear.data.samplers import GRAPH_KINDS
from dear.models.base import Reasoner
from dear.nn.readout import hard_prediction
from dear.specs import SPECS, Location, Stage, Type, check_algorithm

POINTER_TYPES = (Type.POINTER, Type.SHOULD_BE_PERMUTATION, Type.PERMUTATION_POINTER)


def pretrained_dir(model: str, algorithm: str) -> Path:
    """Where a shipped model lives, or ``model`` itself when it is a run directory."""
    if Path(model).is_dir():
        return Path(model)
    folder = Path(str(resources.files("dear"))) / "pretrained" / model / algorithm
    if not (folder / "model.safetensors").exists():
        shipped = sorted(p.parent.name for p in (folder.parent.parent).glob(f"*/{algorithm}/model.safetensors"))
        raise ValueError(
            f"no pretrained {model!r} model for {algorithm}; shipped for it: {', '.join(shipped) or 'none'} "
            "(or pass a run directory)"
        )
    return folder


def graph_inputs(algorithm: str, graph: nx.Graph, source: Any = None) -> tuple[dict[str, np.ndarray], list]:
    """CLRS inputs (``A``, ``s``) of a networkx graph, and the node labels in index order."""
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"{algorithm} needs a networkx graph, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    if len(nodes) < 2:
        raise ValueError(f"the graph has {len(nodes)} node(s); {algorithm} needs at least 2")
    kind = GRAPH_KINDS[algorithm]
    A = nx.to_numpy_array(graph, nodelist=nodes, weight="weight", nonedge=0.0)
    if not np.all(np.isfinite(A)):
        raise ValueError("edge weights must be finite (found NaN or Inf)")
    if (A < 0).any():
        raise ValueError("edge weights must be non-negative (the models were trained on weights in [0, 1])")
    if graph.number_of_edges() and (A[A > 0].size < graph.number_of_edges()):
        raise ValueError("edge weights must be positive: a zero weight is indistinguishable from a missing edge")
    if A.max() > 0 and kind.weighted:
        A = A / A.max()
    if not kind.weighted:
        A = (A != 0).astype(np.float64)
    if kind.acyclic and not nx.is_directed_acyclic_graph(nx.DiGraph(graph)):
        raise ValueError(f"{algorithm} needs a directed acyclic graph")
    inputs: dict[str, np.ndarray] = {"A": A}
    if "s" in SPECS[algorithm] and SPECS[algorithm]["s"][0] == Stage.INPUT:
        if source is None:
            source = nodes[0]
        if source not in graph:
            raise ValueError(f"source {source!r} is not a node of the graph")
        inputs["s"] = np.asarray(nodes.index(source))
    elif source is not None:
        raise ValueError(f"{algorithm} takes no source node")
    return inputs, nodes


def array_inputs(algorithm: str, data: Any, target: Any = None) -> tuple[dict[str, np.ndarray], list]:
    """CLRS inputs of an array algorithm: ``key`` (and ``target`` for binary search)."""
    if isinstance(data, dict):
        data, target = data.get("key"), data.get("target", target)
    try:
        key = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{algorithm} needs a sequence of numbers") from None
    if key.ndim != 1 or key.size < 2:
        raise ValueError(f"{algorithm} needs a 1-D sequence of at least 2 numbers, got shape {key.shape}")
    if not np.all(np.isfinite(key)):
        raise ValueError("keys must be finite (found NaN or Inf)")
    lo, span = key.min(), max(float(np.ptp(key)), 1e-12)
    inputs = {"key": (key - lo) / span}
    if "target" in SPECS[algorithm]:
        if target is None or not np.isfinite(float(target)):
            raise ValueError(f"{algorithm} needs a finite target (pass source=target)")
        if np.any(np.diff(key) < 0):
            raise ValueError(f"{algorithm} needs keys sorted in increasing order")
        inputs["target"] = np.asarray((float(target) - lo) / span)
    return inputs, list(range(key.size))


def _to_labels(values: np.ndarray, nodes: list) -> np.ndarray:
    labels = np.empty(values.shape, dtype=object)
    labels.flat[:] = [nodes[int(v)] for v in values.flat]
    return labels if not all(isinstance(n, (int, np.integer)) for n in nodes) else labels.astype(np.int64)


def _dense(values: np.ndarray, edge_index: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, n), dtype=values.dtype)
    out[edge_index[0], edge_index[1]] = values
    return out


def readable_outputs(algorithm: str, outputs: dict[str, np.ndarray], edge_index: np.ndarray, nodes: list) -> dict:
    """Outputs as users expect them: pointers as node labels, edge probes as ``[n, n]`` arrays."""
    readable = {}
    for name, values in outputs.items():
        _, location, kind = SPECS[algorithm][name]
        values = np.asarray(values)
        if location == Location.EDGE and values.ndim == 1 and values.shape[0] == edge_index.shape[1]:
            values = _dense(values, edge_index, len(nodes))
        if kind in POINTER_TYPES:
            values = _to_labels(values, nodes)
        elif kind == Type.MASK:
            values = values > 0.5
        elif kind == Type.MASK_ONE:
            values = np.asarray(nodes[int(np.argmax(values))])
        readable[name] = values
    return readable


@torch.no_grad()
def run_model(model: Reasoner, trajectory) -> tuple[dict[str, np.ndarray], dict[str, Any], np.ndarray]:
    batch = collate([trajectory], hints=False)
    device = next(model.parameters()).device
    prediction = model(batch.to(device))
    outputs = {}
    for name, scores in prediction.outputs.items():
        _, location, kind = SPECS[model.algorithm][name]
        outputs[name] = hard_prediction(scores, location, kind, prediction.graph).cpu().numpy()
    return outputs, dict(prediction.diagnostics), batch.edge_index.cpu().numpy()


def solve(algorithm: str, graph: Any, source: Any = None, model: str = "dear", *, check: bool = False) -> dict:
    """Outputs of ``algorithm`` on ``graph`` predicted by a trained reasoner.

    ``graph``: a networkx graph (edge attribute ``"weight"``, default 1) for graph algorithms;
    a sequence of keys (or ``{"key": [...], "target": x}``) for array algorithms, with
    ``source`` as the binary-search target. Returns the output probes (pointers as node ids),
    the solver ``diagnostics`` (DEAR: iterations, residual, converged) and, with ``check``,
    the exact outputs and the fraction of agreeing entries per probe.
    """
    from dear.run import load_run

    check_algorithm(algorithm)
    if "A" in SPECS[algorithm]:
        raw, nodes = graph_inputs(algorithm, graph, source)
    else:
        raw, nodes = array_inputs(algorithm, graph, source)
    inputs = complete_inputs(algorithm, raw)
    trajectory = run_reference(algorithm, inputs)  # NAR needs the ground-truth number of steps
    config, reasoner = load_run(pretrained_dir(model, algorithm))
    if config.algorithm != algorithm:
        raise ValueError(f"model {model!r} was trained on {config.algorithm}, not {algorithm}")
    outputs, diagnostics, edge_index = run_model(reasoner, trajectory)
    result: dict[str, Any] = readable_outputs(algorithm, outputs, edge_index, nodes)
    result["diagnostics"] = diagnostics
    if check:
        exact = readable_outputs(algorithm, trajectory.outputs, edge_index, nodes)
        result["exact"] = exact
        result["agreement"] = {k: float(np.mean(np.asarray(result[k]) == np.asarray(v))) for k, v in exact.items()}
    return result


def read_graph_file(path: Path, algorithm: str) -> Any:
    """Edge list (``u v [weight]`` per line), GraphML, or JSON (node-link, ``{"edges": ...}`` or
    ``{"key": [...]}``) into a networkx graph, or keys for array algorithms."""
    if not path.exists():
        raise ValueError(f"no such file: {path}")
    directed = GRAPH_KINDS[algorithm].directed if algorithm in GRAPH_KINDS else False
    suffix = path.suffix.lower()
    try:
        if suffix == ".graphml":
            return nx.read_graphml(path, node_type=int)
        if suffix == ".json":
            data = json.loads(path.read_text())
            if isinstance(data, list) or "key" in data:
                return data
            if "links" in data or "edges" in data and "nodes" in data:
                return nx.node_link_graph(data, edges="links" if "links" in data else "edges")
            graph = nx.DiGraph() if data.get("directed", directed) else nx.Graph()
            for edge in data["edges"]:
                graph.add_edge(edge[0], edge[1], weight=float(edge[2]) if len(edge) > 2 else 1.0)
            return graph
        return nx.read_weighted_edgelist(path, nodetype=int, create_using=nx.DiGraph if directed else nx.Graph)
    except Exception as error:  # the parsers raise many exception types on malformed files
        raise ValueError(f"cannot read {path} as a graph ({suffix or 'edge list'}): {error}") from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


def solve_file(algorithm: str, path: Path, source: int | None = None, model: str = "dear", check: bool = False) -> dict:
    """``dear solve``: read a graph file, solve, return JSON-ready results."""
    check_algorithm(algorithm)
    return _jsonable(solve(algorithm, read_graph_file(Path(path), algorithm), source, model, check=check))


__all__: Sequence[str] = ["solve", "solve_file"]
