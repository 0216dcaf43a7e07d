"""Trajectories -> ``torch_geometric`` batches on sparse edge lists (the only torch-side part
of the data layer).

Layout of a batch (``N`` nodes, ``E`` edges, ``G`` graphs, ``T`` the batch's longest run):

* ``edge_index`` ``[2, E]``: row 0 = sender ``j``, row 1 = receiver ``i``. Graph algorithms
  use the edges of ``adj`` in either direction plus self-loops (a pointer ``pi[i] = j`` is
  always such an edge); array algorithms and Floyd–Warshall use the complete graph, because
  their outputs are defined on every pair (CLRS scores Floyd–Warshall on all ``n²`` pairs).
* probe ``name`` of stage ``s`` is stored as ``f"{s}_{name}"``: node probes ``[N, ...]``, edge
  probes ``[E, ...]`` (value at ``[sender, receiver]``), graph probes ``[G, ...]``; hints have
  the time axis second (``[N, T, ...]``), padded by repeating the last step.
* pointers are ``long`` global node ids; ``mask_one`` probes are float one-hots over the
  nodes of a graph; categorical probes end with a class axis. Every other probe is float32,
  whether the trajectory stores it compact (int8 masks, int16 pointers: what ``generate`` and
  the cache hold) or as CLRS's floats: the tensors are the same.
* ``length`` ``[G]`` is the number of hint steps of each graph.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from dear.algorithms import get
from dear.data.trajectory import Trajectory
from dear.specs import POINTER_TYPES, SPECS, Location, Stage


def probe_key(stage: str, name: str) -> str:
    return f"{stage}_{name}"


def uses_complete_graph(algorithm: str) -> bool:
    return get(algorithm).complete_graph


class ProbeData(Data):
    """One trajectory; pointer probes are node ids, so they shift by the node offset."""

    def __inc__(self, key: str, value, *args, **kwargs):  # noqa: ANN001 (PyG signature)
        if key in getattr(self, "pointer_keys", ()):
            return self.num_nodes
        return super().__inc__(key, value, *args, **kwargs)


def edge_index_of(trajectory: Trajectory) -> np.ndarray:
    """Sender/receiver pairs the model passes messages on (see module docstring)."""
    n = trajectory.num_nodes
    if uses_complete_graph(trajectory.algorithm):
        connected = np.ones((n, n), dtype=bool)
    else:
        adj = trajectory.inputs["adj"] != 0
        connected = adj | adj.T | np.eye(n, dtype=bool)
    senders, receivers = np.nonzero(connected)
    return np.stack([senders, receivers])


def _pad_steps(values: np.ndarray, steps: int) -> np.ndarray:
    """Repeat the last step of a time-major hint up to ``steps``."""
    if values.shape[0] >= steps:
        return values
    return np.concatenate([values, np.repeat(values[-1:], steps - values.shape[0], axis=0)])


def _element_major(values: np.ndarray, location: str, edge_index: np.ndarray, hint: bool) -> np.ndarray:
    """Lay a probe out as ``[nodes|edges|1, (T,) ...]``, edges gathered at ``[sender, receiver]``."""
    if location == Location.EDGE:
        values = values[:, edge_index[0], edge_index[1]] if hint else values[edge_index[0], edge_index[1]]
    if location == Location.GRAPH:
        return values[None]
    return np.moveaxis(values, 0, 1) if hint else values


def to_data(trajectory: Trajectory, steps: int | None = None, hints: bool = True) -> ProbeData:
    """One trajectory as a :class:`ProbeData`; hints padded to ``steps`` (default: its length),
    or left out with ``hints=False`` (models that never read them batch faster)."""
    steps = trajectory.length if steps is None else steps
    spec = SPECS[trajectory.algorithm]
    edge_index = edge_index_of(trajectory)
    fields: dict[str, torch.Tensor] = {}
    pointer_keys = []
    stages = [(Stage.INPUT, trajectory.inputs), (Stage.OUTPUT, trajectory.outputs)]
    if hints:
        stages.append((Stage.HINT, trajectory.hints))
    for stage, probes in stages:
        for name, values in probes.items():
            _, location, kind = spec[name]
            hint = stage == Stage.HINT
            values = np.asarray(values)
            values = _element_major(_pad_steps(values, steps) if hint else values, location, edge_index, hint)
            if kind in POINTER_TYPES:  # node indices: stored compact as integers, by CLRS as floats
                values = values.astype(np.int64) if values.dtype.kind in "iu" else np.rint(values)
                fields[probe_key(stage, name)] = torch.as_tensor(values, dtype=torch.long)
                pointer_keys.append(probe_key(stage, name))
            else:
                # Converted by NumPy first: a probe shared between samples is read-only, and torch
                # would warn about wrapping it even though the conversion copies it.
                fields[probe_key(stage, name)] = torch.from_numpy(np.asarray(values, dtype=np.float32))
    data = ProbeData(
        edge_index=torch.as_tensor(edge_index, dtype=torch.long),
        num_nodes=trajectory.num_nodes,
        length=torch.tensor([trajectory.length]),
        **fields,
    )
    data.pointer_keys = tuple(pointer_keys)
    return data


def collate(trajectories: Sequence[Trajectory], hints: bool = True) -> Batch:
    """Batch trajectories of one algorithm, padding hints to the longest run (or leaving hints
    out with ``hints=False``)."""
    if not trajectories:
        raise ValueError("cannot collate an empty list of trajectories")
    algorithms = {t.algorithm for t in trajectories}
    if len(algorithms) != 1:
        raise ValueError(f"a batch holds one algorithm, got {sorted(algorithms)}")
    steps = max(t.length for t in trajectories)
    return Batch.from_data_list([to_data(t, steps, hints) for t in trajectories], exclude_keys=["pointer_keys"])


def edge_list_batch(algorithm: str, senders: np.ndarray, receivers: np.ndarray, weights: np.ndarray,
                    num_nodes: int, source: int | None = None, length: int | None = None) -> Batch:
    """The model inputs of one graph given as weighted edges ``A[senders, receivers] = weights``
    (distinct pairs), in ``O(n + E)`` memory: graphs of 10⁴ nodes never form an ``n x n`` array.

    The same ``edge_index`` and ``input_*`` tensors as ``collate([execute(algorithm, {"A": A,
    "s": source})], hints=False)``; no outputs (inference only), ``length`` only when given.
    """
    spec, n = SPECS[algorithm], num_nodes
    if "A" not in spec:
        raise ValueError(f"{algorithm} takes an array, not a graph")
    has_source = get(algorithm).has_source
    if has_source != (source is not None):
        raise ValueError(f"{algorithm} needs a source node" if has_source else f"{algorithm} takes no source node")
    pairs = np.asarray(senders, dtype=np.int64) * n + np.asarray(receivers, dtype=np.int64)
    if uses_complete_graph(algorithm):
        keys = np.arange(n * n)
    else:  # the edges of adj in either direction, plus self-loops (see edge_index_of)
        keys = np.unique(np.concatenate([pairs, (pairs % n) * n + pairs // n, np.arange(n) * (n + 1)]))
    edge_index = np.stack(np.divmod(keys, n))
    A = np.zeros(keys.size)
    A[np.searchsorted(keys, pairs)] = weights
    adj = (A + (edge_index[0] == edge_index[1])) != 0  # CLRS's adj: A's edges plus self-loops
    inputs = {"pos": np.arange(n) / n, "A": A, "adj": adj.astype(np.float64)}
    if source is not None:
        inputs["s"] = np.eye(1, n, source).ravel()
    fields = {probe_key(Stage.INPUT, name): torch.as_tensor(inputs[name], dtype=torch.float32)
              for name, (stage, _, _) in spec.items() if stage == Stage.INPUT}
    if length is not None:
        fields["length"] = torch.tensor([length])
    data = ProbeData(edge_index=torch.as_tensor(edge_index, dtype=torch.long), num_nodes=n, **fields)
    return Batch.from_data_list([data])
