"""Probe specifications of every algorithm, read from the algorithm records.

``SPECS[algorithm][probe] = (stage, location, type)`` with CLRS-30's vocabulary, so that
encoders, decoders, losses and metrics never need per-algorithm code. The facts live in
:mod:`dear.algorithms` (one record per algorithm); this module is the view the model layers
read, plus the vocabulary re-exported for them.
"""

from __future__ import annotations

from typing import Final, Iterator, Mapping

from dear.algorithms import REGISTRY, get
from dear.algorithms.spec import (  # the vocabulary, re-exported
    CATEGORICAL_CLASSES,
    POINTER_TYPES,
    AlgorithmSpec,
    Location,
    ProbeSpec,
    Stage,
    Type,
)

class _Specs(Mapping[str, AlgorithmSpec]):
    """``name -> specs`` of every registered algorithm, read from the registry on each access
    (an algorithm registered later, e.g. by a test or a plug-in, is seen everywhere)."""

    def __getitem__(self, name: str) -> AlgorithmSpec:
        return REGISTRY[name].specs

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


SPECS: Final[Mapping[str, AlgorithmSpec]] = _Specs()

#: Every algorithm name this package can execute (CLRS's 12 plus DEAR's two variants), as
#: registered when the package was imported.
ALGORITHMS: Final = tuple(REGISTRY)

#: The algorithms of CLRS-30 that the reference trajectories cover (those that are their own
#: CLRS counterpart).
CLRS_ALGORITHMS: Final = tuple(name for name, record in REGISTRY.items() if record.clrs == name)

#: The 10 algorithms of the DEAR paper's tables, in the paper's row order.
PAPER_ALGORITHMS: Final = tuple(
    sorted((name for name, r in REGISTRY.items() if r.paper_row is not None), key=lambda n: REGISTRY[n].paper_row)
)


def check_algorithm(algorithm: str) -> AlgorithmSpec:
    """Return the spec of ``algorithm`` or raise a ``ValueError`` listing the known names."""
    return get(algorithm).specs


def probes(algorithm: str, stage: str) -> dict[str, ProbeSpec]:
    """The probes of ``algorithm`` at ``stage``, in declaration order."""
    return get(algorithm).probes(stage)


def is_graph_algorithm(algorithm: str) -> bool:
    """Graph algorithms take an adjacency (``A``/``adj``); array ones take ``key``."""
    return get(algorithm).is_graph


def feature_width(algorithm: str, name: str) -> int:
    """Width of a probe's last axis once batched: classes for categorical probes, else 1."""
    record = get(algorithm)
    if record.specs[name][2] != Type.CATEGORICAL:
        return 1
    return record.categories.get(name) or CATEGORICAL_CLASSES[name]


__all__ = ["ALGORITHMS", "CATEGORICAL_CLASSES", "CLRS_ALGORITHMS", "PAPER_ALGORITHMS", "POINTER_TYPES", "SPECS",
           "AlgorithmSpec", "Location", "ProbeSpec", "Stage", "Type", "check_algorithm", "feature_width",
           "is_graph_algorithm", "probes"]
