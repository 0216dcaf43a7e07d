"""The unit of algorithmic data: one execution of one algorithm on one input."""

from __future__ import annotations

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

    def probe(self, name: str) -> np.ndarray:
        """Look a probe up by name in whichever stage holds it."""
        for stage in (self.inputs, self.hints, self.outputs):
            if name in stage:
                return stage[name]
        raise KeyError(f"{self.algorithm} has no probe {name!r}")
