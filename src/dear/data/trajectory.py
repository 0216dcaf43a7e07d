"""The unit of algorithmic data: one execution of one algorithm on one input."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def _stored(array: np.ndarray) -> int:
    """Bytes ``array`` spans, a broadcast (stride-0) axis once."""
    return array.itemsize * math.prod(size for size, stride in zip(array.shape, array.strides) if stride)


def buffer_of(array: np.ndarray) -> tuple[tuple[str, int], int]:
    """``(key, bytes)`` of the buffer ``array`` views (through views, broadcasts and
    ``as_strided`` alike): the first array of its chain of bases, whose memory is that buffer's
    (numba hands an array back on its own allocation: arrays of one allocation share its
    address as key). Slices taken inside a numba function hide the rest of their allocation."""
    owner = array
    while True:
        base = owner.base
        if not isinstance(base, np.ndarray):
            base = getattr(base, "base", None)  # as_strided's wrapper holds the array it views
        if not isinstance(base, np.ndarray):
            break
        owner = base
    address = getattr(owner.base, "data", None)  # a numba allocation (its MemInfo)
    return (("numba", address) if isinstance(address, int) else ("array", id(owner))), owner.nbytes


@dataclass(frozen=True)
class Trajectory:
    """Inputs, time-major hints ``[T, ...]`` and outputs of one run (no batch axis).

    ``length`` is CLRS's number of hint steps ``T``; models unroll that many steps. Probes hold
    CLRS's values; :func:`~dear.data.generate` and the cache keep them compact (masks, one-hots
    and categoricals int8, pointers int16, scalars float64: :mod:`dear.data.compact`), whereas a
    kernel's own run (``execute``) and CLRS's reference files may hold floats; the batching
    turns either into the same tensors.
    """

    algorithm: str
    inputs: dict[str, np.ndarray]
    hints: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    length: int = field(default=0)

    @property
    def num_nodes(self) -> int:
        return int(self.inputs["pos"].shape[0])

    @property
    def stored_bytes(self) -> int:
        """Bytes its arrays occupy, i.e. what generating it had to write: unlike ``nbytes``, a
        broadcast (stride-0) axis, such as the constant ``A_t`` hint of SCC, counts once."""
        return sum(_stored(array) for stage in (self.inputs, self.hints, self.outputs) for array in stage.values())

    @property
    def held_bytes(self) -> int:
        """Bytes of the buffers its arrays keep alive, each buffer once: what a training set pays
        to hold it. Above :attr:`stored_bytes` where a probe is a view into a larger array (a
        kernel's scratch buffer), below ``nbytes`` where an axis is broadcast."""
        buffers: dict[tuple[str, int], int] = {}
        for stage in (self.inputs, self.hints, self.outputs):
            for array in stage.values():
                key, size = buffer_of(array)
                buffers[key] = max(size, buffers.get(key, 0))
        return sum(buffers.values())

    def probe(self, name: str) -> np.ndarray:
        """Look a probe up by name in whichever stage holds it."""
        for stage in (self.inputs, self.hints, self.outputs):
            if name in stage:
                return stage[name]
        raise KeyError(f"{self.algorithm} has no probe {name!r}")
