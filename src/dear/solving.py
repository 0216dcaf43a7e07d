"""Run a trained reasoner on a user's own graph (networkx) or array.

Pretrained models ship inside the package (``dear/pretrained/<model>/<algorithm>/``, the layout
of a run directory); ``model`` may also be the path of any run directory. Weights are scaled
into the training range (shortest paths, MSTs and orders are invariant to a positive scale).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import networkx as nx
import numpy as np
import torch
from torch_geometric.data import Batch

from dear.config import MODELS
from dear.data.batching import collate, edge_list_batch
from dear.data.execute import as_float_array, complete_inputs, run_reference
from dear.data.samplers import GRAPH_KINDS
from dear.data.trajectory import Trajectory
from dear.errors import shown
from dear.models.base import Reasoner
from dear.nn.readout import hard_prediction
from dear.specs import POINTER_TYPES, SPECS, Location, Stage, Type, check_algorithm



def pretrained_dir(model: str, algorithm: str) -> Path:
    """Where a shipped model lives, or ``model`` itself when it is a run directory."""
    if not isinstance(model, (str, os.PathLike)):
        raise ValueError(f"model must be a shipped model's name or a run directory, got {type(model).__name__}")
    if Path(model).is_dir() and str(model) not in MODELS:  # a shipped name wins over a folder called "dear"
        return Path(model)
    folder = Path(str(resources.files("dear"))) / "pretrained" / str(model) / algorithm
    if not (folder / "model.safetensors").exists():
        shipped = sorted(p.parent.name for p in (folder.parent.parent).glob(f"*/{algorithm}/model.safetensors"))
        raise ValueError(
            f"no pretrained {model!r} model for {algorithm}; shipped for it: {', '.join(shipped) or 'none'} "
            "(or pass a run directory)"
        )
    return folder


class GraphEdges(NamedTuple):
    """A graph as distinct weighted edges ``A[senders, receivers] = weights`` (never ``n x n``)."""

    senders: np.ndarray
    receivers: np.ndarray
    weights: np.ndarray
    num_nodes: int
    source: int | None

    def dense_inputs(self) -> dict[str, np.ndarray]:
        """CLRS inputs ``A`` (and ``s``) for the exact algorithm."""
        A = np.zeros((self.num_nodes, self.num_nodes))
        A[self.senders, self.receivers] = self.weights
        return {"A": A} if self.source is None else {"A": A, "s": np.asarray(self.source)}


def _edge_arrays(graph: nx.Graph, index: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Senders, receivers, weights of every edge as ``nx.to_numpy_array`` counts them: both
    directions of an undirected edge, parallel edges added up."""
    edges = list(graph.edges(data="weight", default=1.0))
    try:
        weights = np.array([w for _, _, w in edges], dtype=np.float64).reshape(len(edges))
    except (TypeError, ValueError, OverflowError):
        raise ValueError("edge weights must be real numbers") from None
    senders = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    receivers = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    _check_weights(weights)
    if not graph.is_directed():  # both directions, a self-loop once
        back = senders != receivers
        senders, receivers, weights = (np.concatenate([senders, receivers[back]]),
                                       np.concatenate([receivers, senders[back]]),
                                       np.concatenate([weights, weights[back]]))
    pairs, pair_of = np.unique(senders * len(index) + receivers, return_inverse=True)
    weights = np.bincount(pair_of, weights=weights, minlength=pairs.size)
    _check_weights(weights)  # parallel edges may add up to Inf
    senders, receivers = np.divmod(pairs, len(index))
    return senders, receivers, weights


def _check_weights(weights: np.ndarray) -> None:
    if not np.all(np.isfinite(weights)):
        raise ValueError("edge weights must be finite (found NaN or Inf)")
    if (weights < 0).any():
        raise ValueError("edge weights must be non-negative (the models were trained on weights in [0, 1])")
    if (weights == 0).any():
        raise ValueError("edge weights must be positive: a zero weight is indistinguishable from a missing edge")


def graph_edges(algorithm: str, graph: Any, source: Any = None) -> tuple[GraphEdges, list]:
    """The validated, scaled edge list of a networkx graph, and its node labels in index order."""
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"{algorithm} needs a networkx graph, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    if len(nodes) < 2:
        raise ValueError(f"the graph has {len(nodes)} node(s); {algorithm} needs at least 2")
    kind = GRAPH_KINDS[algorithm]
    index = {node: i for i, node in enumerate(nodes)}
    senders, receivers, weights = _edge_arrays(graph, index)
    if kind.weighted and weights.size:
        weights = weights / weights.max()
    if not kind.weighted:
        weights = np.ones_like(weights)
    if kind.acyclic and not nx.is_directed_acyclic_graph(nx.DiGraph(graph)):
        raise ValueError(f"{algorithm} needs a directed acyclic graph")
    if "s" in SPECS[algorithm] and SPECS[algorithm]["s"][0] == Stage.INPUT:
        if source is None:
            source = nodes[0]
        if source not in graph:
            raise ValueError(f"source {shown(source)} is not a node of the graph")
        source = index[source]
    elif source is not None:
        raise ValueError(f"{algorithm} takes no source node")
    return GraphEdges(senders, receivers, weights, len(nodes), source), nodes


def array_inputs(algorithm: str, data: Any, target: Any = None) -> tuple[dict[str, np.ndarray], list]:
    """CLRS inputs of an array algorithm: ``key`` (and ``target`` for binary search)."""
    if isinstance(data, dict):
        data, target = data.get("key"), data.get("target", target)
    key = as_float_array("key", data)
    if key.ndim != 1 or key.size < 2:
        raise ValueError(f"{algorithm} needs a 1-D sequence of at least 2 numbers, got shape {key.shape}")
    lo, span = key.min(), max(float(np.ptp(key)), 1e-12)
    inputs = {"key": (key - lo) / span}
    if "target" in SPECS[algorithm]:
        try:
            target = float(target)
        except (TypeError, ValueError, OverflowError):
            target = math.nan
        if not math.isfinite(target):
            raise ValueError(f"{algorithm} needs a finite number as target (pass source=target)")
        if np.any(np.diff(key) < 0):
            raise ValueError(f"{algorithm} needs keys sorted in increasing order")
        inputs["target"] = np.asarray((target - lo) / span)
    return inputs, list(range(key.size))


def _to_labels(values: np.ndarray, nodes: list) -> np.ndarray:
    """The labels of node ids: an int64 array when all labels fit one, else an object array."""
    labels = np.empty(values.size, dtype=object)
    for i, v in enumerate(values.flat):  # one by one: a tuple label (grid graphs) is a single object
        labels[i] = nodes[int(v)]
    labels = labels.reshape(values.shape)
    if not all(isinstance(n, (int, np.integer)) for n in nodes):
        return labels
    try:
        return labels.astype(np.int64)
    except OverflowError:
        return labels


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


#: Largest graphs the exact algorithms (dense, recording every hint) run on here, for ``check``
#: and NAR's ground-truth number of steps: hints take ``O(n²)`` memory, ``O(n³)`` and more
#: for algorithms with hints on edges.
EXACT_MAX_NODES = 1024
EXACT_MAX_NODES_EDGE_HINTS = 128


def exact_run(algorithm: str, n: int, inputs: Callable[[], dict[str, np.ndarray]]) -> Trajectory:
    """The exact algorithm on ``inputs()`` of ``n`` nodes; refused, before the dense inputs are
    made, beyond :data:`EXACT_MAX_NODES` (or ``..._EDGE_HINTS``)."""
    specs = SPECS[algorithm].values()
    edge_hints = any(stage == Stage.HINT and where == Location.EDGE for stage, where, _ in specs)
    cap = EXACT_MAX_NODES_EDGE_HINTS if edge_hints else EXACT_MAX_NODES
    if n > cap:
        raise ValueError(
            f"the exact {algorithm} runs on at most {cap} nodes, got {n} (it is needed for check, for NAR's "
            "number of steps T, and on complete graphs; DEAR needs no T)"
        )
    return run_reference(algorithm, complete_inputs(algorithm, inputs()))


def bfs_steps(graph: nx.Graph, source: Any) -> int:
    """bfs's number of steps without running it densely: one per BFS level below the source,
    plus the round that finds nothing new."""
    return max(nx.single_source_shortest_path_length(graph, source).values()) + 1


#: NAR's number of steps without the dense exact run: bfs's from its levels, Floyd–Warshall's
#: one step per intermediate node (its exact run records ``O(n³)`` hints).
CLOSED_FORM_STEPS: dict[str, Callable[[Any, Any], int]] = {
    "bfs": bfs_steps,
    "floyd_warshall": lambda graph, source: graph.number_of_nodes(),
}


def model_batch(algorithm: str, data: Any, source: Any, *, exact: bool, steps: bool
                ) -> tuple[Batch, list, Trajectory | None]:
    """The model's batch of ``data`` (with NAR's number of steps when ``steps``), its node labels,
    and the exact run when asked for (None otherwise, if it was not needed). Graphs go by edge
    list: 10⁴ nodes and more fit."""
    if "A" not in SPECS[algorithm]:  # on the complete graph, as the exact run is
        raw, nodes = array_inputs(algorithm, data, source)
        trajectory = exact_run(algorithm, len(nodes), lambda: raw)
        return collate([trajectory], hints=False), nodes, trajectory
    edges, nodes = graph_edges(algorithm, data, source)
    closed_form = CLOSED_FORM_STEPS.get(algorithm)
    dense = exact or (steps and closed_form is None)
    trajectory = exact_run(algorithm, edges.num_nodes, edges.dense_inputs) if dense else None
    length = None
    if steps:
        source_node = None if edges.source is None else nodes[edges.source]
        length = trajectory.length if trajectory is not None else closed_form(data, source_node)
    return edge_list_batch(algorithm, *edges, length=length), nodes, trajectory


@torch.no_grad()
def run_model(model: Reasoner, batch: Batch) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    device = next(model.parameters()).device
    prediction = model(batch.to(device))
    outputs = {}
    for name, scores in prediction.outputs.items():
        _, location, kind = SPECS[model.algorithm][name]
        outputs[name] = hard_prediction(scores, location, kind, prediction.graph).cpu().numpy()
    diagnostics: dict[str, Any] = dict(prediction.diagnostics)
    if prediction.solver is not None:  # one graph: its own residual and verdict, not batch statistics
        diagnostics |= {"residual": float(prediction.solver.residual[0]),
                        "converged": bool(prediction.solver.converged[0]),
                        "iterations": int(prediction.solver.iterations[0])}
    return outputs, diagnostics


def solve(algorithm: str, graph: Any, source: Any = None, model: str = "dear", *, check: bool = False,
          tol: float | None = None, max_iter: int | None = None) -> dict:
    """Outputs of ``algorithm`` on ``graph`` predicted by a trained reasoner.

    ``graph``: a networkx graph (edge attribute ``"weight"``, default 1) for graph algorithms;
    a sequence of keys (or ``{"key": [...], "target": x}``) for array algorithms, with
    ``source`` as the binary-search target. Returns the output probes (pointers as node ids),
    the solver ``diagnostics`` (DEAR: iterations, residual, converged, tol), ``converged`` (False
    when a DEAR solve stopped above its tolerance, also raised as a :class:`NotConvergedWarning`) and, with ``check``,
    the exact outputs and the fraction of agreeing entries per probe. ``tol``/``max_iter``
    replace DEAR's evaluation solver limits (a relaxed ``tol=1e-2`` roughly halves iterations).
    """
    from dear.run import load_run

    check_algorithm(algorithm)
    config, reasoner = load_run(pretrained_dir(model, algorithm), eval_tol=tol, eval_max_iter=max_iter)
    if config.algorithm != algorithm:
        raise ValueError(f"model {model!r} was trained on {config.algorithm}, not {algorithm}")
    if reasoner.uses_hints:
        raise ValueError(f"a {config.model} model reads the algorithm's own hints; "
                         "solve with nar, nar-lt, dem or dear")
    batch, nodes, trajectory = model_batch(algorithm, graph, source, exact=check, steps=reasoner.uses_length)
    outputs, diagnostics = run_model(reasoner, batch)
    edge_index = batch.edge_index.numpy()
    result: dict[str, Any] = readable_outputs(algorithm, outputs, edge_index, nodes)
    result["diagnostics"] = diagnostics | ({"tol": config.eval_tol} if "converged" in diagnostics else {})
    result["converged"] = diagnostics.get("converged", True)
    if not result["converged"]:
        warnings.warn(f"{model} did not reach its tolerance on this graph (residual {diagnostics['residual']:.3g} after "
                      f"{diagnostics['iterations']} iterations): the answer is its last iterate, not a fixed point; "
                      "try a larger max_iter", NotConvergedWarning, stacklevel=2)
    if check:
        exact = readable_outputs(algorithm, trajectory.outputs, edge_index, nodes)
        result["exact"] = exact
        result["agreement"] = {k: float(np.mean(np.asarray(result[k]) == np.asarray(v))) for k, v in exact.items()}
    return result


class NotConvergedWarning(UserWarning):
    """A DEAR answer whose solve stopped above its tolerance (the last iterate, not a fixed point)."""


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


def solve_file(algorithm: str, path: Path, source: int | None = None, model: str = "dear", check: bool = False,
               tol: float | None = None) -> dict:
    """``dear solve``: read a graph file, solve, return JSON-ready results."""
    check_algorithm(algorithm)
    return _jsonable(solve(algorithm, read_graph_file(Path(path), algorithm), source, model, check=check, tol=tol))


__all__: Sequence[str] = ["solve", "solve_file"]

