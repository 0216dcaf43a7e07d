"""Registry mapping algorithm names to their reference implementations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Execution:
    """What a reference algorithm records: time-major hints and final outputs."""

    hints: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]


#: ``name -> fn``; graph algorithms take ``(A)`` or ``(A, s)``, array ones ``(key)`` or
#: ``(key, target)``, where ``s`` is the source index and ``target`` a float.
REGISTRY: dict[str, Callable[..., Execution]] = {}


def register(name: str) -> Callable[[Callable[..., Execution]], Callable[..., Execution]]:
    def decorate(fn: Callable[..., Execution]) -> Callable[..., Execution]:
        REGISTRY[name] = fn
        return fn

    return decorate
