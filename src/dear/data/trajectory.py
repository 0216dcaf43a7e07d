"""The unit of algorithmic data: one execution of one algorithm on one input."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Trajectory:
    """Inputs, time-major hints ``[T, ...]`` and outputs of one run (no batch axis).

    ``length`` is CLRS's number of hint steps ``T``; models unroll that many steps.
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
        return sum(
            array.itemsize * math.prod(size for size, stride in zip(array.shape, array.strides) if stride)
            for stage in (self.inputs, self.hints, self.outputs)
            for array in stage.values()
        )

    def probe(self, name: str) -> np.ndarray:
        """Look a probe up by name in whichever stage holds it."""
        for stage in (self.inputs, self.hints, self.outputs):
            if name in stage:
                return stage[name]
        raise KeyError(f"{self.algorithm} has no probe {name!r}")
