"""Compact storage of probes: every probe in the narrowest dtype that holds its values exactly.

CLRS encodes every probe as floats, and so do most kernels; a training set holds thousands of
trajectories (bridges records a ``T x n x n`` edge mask per sample: 14 MB as float64 at n = 64),
so :func:`compact` keeps each probe by its type:

==========================================  ==================  ================================
type                                        dtype               values
==========================================  ==================  ================================
``scalar``                                  float64             as recorded
``mask``, ``mask_one``                      int8                0 / 1, and -1 where CLRS masks
``categorical``                             int8                one-hot on the class axis, -1
                                                                masked (lcs_length's blank class)
``pointer``, ``should_be_permutation``      int16 (int32 past   node indices
                                            2**15 nodes)
==========================================  ==================  ================================

Every value the kernels record is exactly representable so (tests/test_compact.py checks all
algorithms against their float trajectories), and :func:`expand` gives the float64 arrays back
bit for bit. The batching converts either form to the same float32 (``long`` for pointers)
tensors. Kernels may emit these dtypes directly (the biggest hints do: converting a
``T x n x n`` float array costs more than writing it compact in the first place); the rest are
converted here, once per sample. A compact trajectory keeps no memory its probes do not use:
a probe that views part of a larger buffer (``d`` sliced out of a kernel's ``[5, T, n]``
scratch array, the rest of which became int16 copies) is copied, while probes that share a
buffer out among them (``i, j = mask_one(...)``) stay views, and a broadcast (stride-0) axis
stays broadcast (SCC's constant ``A_t`` is one ``n x n`` matrix).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from dear.algorithms import get
from dear.data.trajectory import Trajectory, buffer_of
from dear.specs import POINTER_TYPES, Type

#: Storage dtype of each non-scalar probe type (pointers: :func:`storage_dtype`).
SMALL_INT_TYPES: Final = {Type.MASK: np.dtype(np.int8), Type.MASK_ONE: np.dtype(np.int8),
                          Type.CATEGORICAL: np.dtype(np.int8)}

#: Most nodes whose indices fit int16 pointers (indices ``0 .. 2**15 - 1``).
INT16_NODES: Final = 2**15


def storage_dtype(kind: str, num_nodes: int) -> np.dtype:
    """The dtype a probe of type ``kind`` is kept in on a graph of ``num_nodes`` nodes."""
    if kind in POINTER_TYPES:
        return np.dtype(np.int16 if num_nodes <= INT16_NODES else np.int32)
    return SMALL_INT_TYPES.get(kind, np.dtype(np.float64))


def _unbroadcast(values: np.ndarray) -> np.ndarray:
    """``values`` with each broadcast (stride-0) axis cut to length 1."""
    if 0 not in values.strides:
        return values
    return values[tuple(slice(0, 1) if stride == 0 else slice(None) for stride in values.strides)]


def _rebroadcast(core: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return core if core.shape == shape else np.broadcast_to(core, shape)


def compact_probe(values: np.ndarray, kind: str, num_nodes: int) -> np.ndarray:
    """One probe in its storage dtype (see the module docstring); a view is copied unless it
    already has that dtype (:func:`compact` also copies views that hold on to unused memory)."""
    values = np.asarray(values)
    dtype = storage_dtype(kind, num_nodes)
    return values if values.dtype == dtype else _rebroadcast(_unbroadcast(values).astype(dtype), values.shape)


#: ``algorithm -> (its record, probe -> storage dtype)``: looked up once per algorithm, as
#: ``compact`` runs once per generated sample.
_PLANS: dict[str, tuple[object, dict[str, np.dtype]]] = {}


def _storage_dtypes(algorithm: str, num_nodes: int) -> dict[str, np.dtype]:
    record = get(algorithm)
    if num_nodes > INT16_NODES:
        return {name: storage_dtype(kind, num_nodes) for name, (_, _, kind) in record.specs.items()}
    cached = _PLANS.get(algorithm)
    if cached is None or cached[0] is not record:  # a record registered anew under the name
        cached = _PLANS[algorithm] = (record, {name: storage_dtype(kind, 0) for name, (_, _, kind) in record.specs.items()})
    return cached[1]


def _drop_unused_buffers(views: list[tuple[dict, str, np.ndarray, tuple[tuple[str, int], int]]]) -> None:
    """Copy the probes that view a buffer only partly used by probes (a kernel's scratch array,
    or the float array a converted probe came from), so that the buffer can be freed; views
    that share out a buffer among them (``i, j = mask_one(...)``) stay views. ``views`` holds
    ``(stage, name, probe, its buffer's key and size)``."""
    used: dict[tuple[str, int], int] = {}
    sizes: dict[tuple[str, int], int] = {}
    for _, _, values, (key, size) in views:
        used[key] = used.get(key, 0) + (_unbroadcast(values) if 0 in values.strides else values).nbytes
        sizes[key] = max(size, sizes.get(key, 0))
    for stage, name, values, (key, _) in views:
        if sizes[key] > used[key]:
            stage[name] = _rebroadcast(_unbroadcast(values).copy(), values.shape)


def _views_an_array(values: np.ndarray) -> bool:
    """Whether ``values`` views another NumPy array (directly or through ``as_strided``'s
    wrapper), so that it may hold a larger buffer alive. An array a numba function returned
    has its allocation as base and never spans more of it than itself (see
    :func:`~dear.data.trajectory.buffer_of`): nothing to track."""
    base = values.base
    return isinstance(base, np.ndarray) or isinstance(getattr(base, "base", None), np.ndarray)


def compact(trajectory: Trajectory) -> Trajectory:
    """``trajectory`` with every probe in its storage dtype (the form ``generate`` returns),
    holding no memory beyond its probes'."""
    dtypes = _storage_dtypes(trajectory.algorithm, trajectory.num_nodes)
    stages, views = [], []
    for probes in (trajectory.inputs, trajectory.hints, trajectory.outputs):
        stage = {}
        for name, values in probes.items():
            if not isinstance(values, np.ndarray):
                values = np.asarray(values)
            if values.dtype is not dtypes[name] and values.dtype != dtypes[name]:  # `is`: the fast path
                values = _rebroadcast(_unbroadcast(values).astype(dtypes[name]), values.shape)
            elif values.base is not None and _views_an_array(values):
                views.append((stage, name, values, buffer_of(values)))
            stage[name] = values
        stages.append(stage)
    if views:
        _drop_unused_buffers(views)
    return Trajectory(trajectory.algorithm, *stages, trajectory.length)


def expand_probe(values: np.ndarray) -> np.ndarray:
    """A probe as float64, CLRS's encoding (exact for compact probes; broadcast axes stay so)."""
    values = np.asarray(values)
    if values.dtype == np.float64:
        return values
    core = _unbroadcast(values).astype(np.float64)
    return core if core.shape == values.shape else np.broadcast_to(core, values.shape)


def expand(trajectory: Trajectory) -> Trajectory:
    """``trajectory`` with every probe as float64, as CLRS's reference files hold them."""
    stages = ({name: expand_probe(values) for name, values in stage.items()}
              for stage in (trajectory.inputs, trajectory.hints, trajectory.outputs))
    return Trajectory(trajectory.algorithm, *stages, trajectory.length)


def float64_bytes(trajectory: Trajectory) -> int:
    """Bytes its arrays would occupy as float64 (broadcast axes once): its size before compaction."""
    return 8 * sum(
        math.prod(size for size, stride in zip(array.shape, array.strides) if stride)
        for stage in (trajectory.inputs, trajectory.hints, trajectory.outputs)
        for array in map(np.asarray, stage.values())
    )
