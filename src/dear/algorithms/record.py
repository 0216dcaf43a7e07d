"""The algorithm record: every fact about one algorithm, in one place.

Each algorithm module registers one :class:`Algorithm` per algorithm it implements: its
kernel, its CLRS-30 probe specs, how its inputs are drawn, what shape its answer has, and the
few facts the benchmarks need. Every other layer (data, models, solving, checking, benchmarks)
reads these records instead of naming algorithms, so adding an algorithm means one record
and one kernel.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Final, Mapping, Protocol

import numpy as np

from dear.algorithms.spec import POINTER_TYPES, AlgorithmSpec, Location, Stage, Type
from dear.errors import shown


@dataclass(frozen=True)
class Execution:
    """What a reference algorithm records: time-major hints and final outputs."""

    hints: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]


#: Edge probabilities of the DEAR paper's training distribution.
PAPER_EDGE_PROBABILITIES: Final[tuple[float, ...]] = tuple(np.round(np.arange(1, 10) / 10, 1))


@dataclass(frozen=True)
class GraphInputs:
    """How CLRS draws the graph of an algorithm (and what graphs it is defined on)."""

    directed: bool
    weighted: bool
    acyclic: bool = False  # only DAGs are valid inputs
    community: bool = False  # CLRS's perturbed 4-community graph (SCC)
    source: bool = True
    p: tuple[float, ...] = PAPER_EDGE_PROBABILITIES  # default edge probabilities
    clrs_p: float = 0.5  # the edge probability of CLRS's own sampler
    complete: bool = False  # answers on every pair, or pointers off the edges: run on the complete graph

    @property
    def arguments(self) -> tuple[str, ...]:
        """The inputs the kernel takes, in order (a one-node mask is passed as its index)."""
        return ("A", "s") if self.source else ("A",)


@dataclass(frozen=True)
class ArrayInputs:
    """How CLRS draws the keys of an array algorithm."""

    sorted_keys: bool = False  # only ascending keys are valid inputs
    target: bool = False  # a scalar ``target`` input
    target_within_keys: bool = False  # DEAR's fix: a target above every key swaps with the largest
    low: float = 0.0  # keys (and target) are U[low, high] unless the generator options say otherwise
    high: float = 1.0

    @property
    def arguments(self) -> tuple[str, ...]:
        """The inputs the kernel takes, in order (a graph scalar is passed as a float)."""
        return ("key", "target") if self.target else ("key",)


class InputKind(Protocol):
    """What any other kind of input (strings, points, intervals, ...) provides: the kernel's
    inputs in order, and a sampler with CLRS's distribution. Define one beside the kernel."""

    @property
    def arguments(self) -> tuple[str, ...]: ...

    def draw(self, rng: np.random.Generator, n: int, **options: Any) -> dict[str, np.ndarray]:
        """CLRS-named inputs of one random instance with ``n`` nodes (``pos`` included)."""
        ...


class Answer(enum.Enum):
    """The structure a valid answer has; the checker and the repair dispatch on it."""

    SHORTEST_PATH_TREE = "shortest-path tree rooted at the source"
    SPANNING_TREE = "minimum spanning tree rooted at the source"
    DFS_FOREST = "depth-first forest"
    COMPONENT_TREES = "one tree per strongly connected component"
    COMPONENT_ROOTS = "each node pointing to its component's root"
    ALL_PAIRS_TREES = "one shortest-path tree per node"
    MST_EDGES = "the edges of a minimum spanning forest"
    CUT_EDGES = "the edges whose removal disconnects their component"
    CUT_NODES = "the nodes whose removal disconnects their component"
    TOPOLOGICAL_ORDER = "a chain through every node in an order every arc respects"
    SORTED_CHAIN = "a chain through the keys in sorted order"
    MINIMUM = "the node of the smallest key"
    SEARCH = "the node of the smallest key >= target"


#: ``(num_nodes, src, dst, source) -> T``: the number of steps without running the algorithm.
StepCount = Callable[[int, np.ndarray, np.ndarray, "int | None"], int]


@dataclass(frozen=True)
class Algorithm:
    """One algorithm: how to run it, what it records, how its inputs are drawn, and how its
    answer is judged.

    Args:
        name: CLRS-30's name (or DEAR's, for its variants).
        title: the name shown to people.
        kernel: the reference implementation, ``(A[, s])`` or ``(key[, target])``.
        specs: ``probe -> (stage, location, type)`` in CLRS-30's vocabulary.
        inputs: the input distribution and validity (graph or array).
        answer: the structure of a valid answer (the meaning of its output probes; None: unchecked).
        t_grows: whether the number of steps T grows with n on its inputs (issue 5's targets).
        steps: T in closed form from an edge list, for sizes where the exact run is too dense.
        clrs: the CLRS-30 algorithm whose sampler and reference data it follows.
        clrs_samples_per_s: that sampler's samples/s at n = 16 and 64 (one process; DESIGN §6).
        paper_row: its row in the DEAR paper's tables (None when not in the paper).
        max_timed_nodes: largest size the inference benchmark times (dense hints grow as n³).
        categories: classes of its categorical probes, where they differ from
            :data:`~dear.algorithms.spec.CATEGORICAL_CLASSES`.
    """

    name: str
    title: str
    kernel: Callable[..., Execution]
    specs: AlgorithmSpec
    inputs: GraphInputs | ArrayInputs | InputKind
    answer: Answer | None
    t_grows: bool
    steps: StepCount | None = None
    clrs: str | None = None
    clrs_samples_per_s: tuple[float, float] | None = None
    paper_row: int | None = None
    max_timed_nodes: int | None = None
    categories: Mapping[str, int] = field(default_factory=dict)

    @property
    def is_graph(self) -> bool:
        return isinstance(self.inputs, GraphInputs)

    @property
    def has_source(self) -> bool:
        return self.is_graph and self.inputs.source

    @property
    def complete_graph(self) -> bool:
        """Runs on every pair of nodes: array algorithms and all-pairs answers."""
        return not self.is_graph or self.inputs.complete

    @property
    def output(self) -> str:
        """The answer's main probe: its first output probe, as declared (the only one but for
        chains that also name their first node, see :attr:`head`)."""
        return next(iter(self.probes(Stage.OUTPUT)))

    @property
    def head(self) -> str | None:
        """The one-node output naming where a pointer answer's chain starts (topological
        sort's ``topo_head``), declared after :attr:`output`; None where there is none."""
        if self.specs[self.output][2] not in POINTER_TYPES:
            return None
        return next((k for k, (_, _, kind) in self.probes(Stage.OUTPUT).items() if kind == Type.MASK_ONE), None)

    @property
    def edge_hints(self) -> bool:
        """Records an ``n x n`` hint per step, so its exact run is dense in memory."""
        return any(s == Stage.HINT and where == Location.EDGE for s, where, _ in self.specs.values())

    def probes(self, stage: str) -> AlgorithmSpec:
        """Its probes at ``stage``, in declaration order."""
        return {k: v for k, v in self.specs.items() if v[0] == stage}


#: Every registered algorithm, in registration order.
REGISTRY: dict[str, Algorithm] = {}


def register(record: Algorithm) -> Algorithm:
    if record.name in REGISTRY:
        raise ValueError(f"algorithm {record.name!r} is registered twice")
    REGISTRY[record.name] = record
    return record


def get(name: object) -> Algorithm:
    """The record of ``name``, or a ``ValueError`` listing the known names."""
    try:
        return REGISTRY[name]  # type: ignore[index]
    except (KeyError, TypeError):
        raise ValueError(f"unknown algorithm {shown(name)}; choose one of: {', '.join(REGISTRY)}") from None
