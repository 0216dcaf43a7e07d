"""Run a reference algorithm on CLRS-named inputs, validating them first."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dear.algorithms import ArrayInputs, GraphInputs, get
from dear.algorithms._probes import graph, mask_one, node_positions
from dear.data.trajectory import Trajectory
from dear.specs import AlgorithmSpec, Location, Stage, Type, check_algorithm, feature_width

MIN_NODES = 2
#: Largest size ``sample``/``generate`` draw: the data are dense (``A`` alone is ``n x n``
#: float64, 8 GiB at this size), so an absurd size is refused before anything is allocated.
MAX_NODES = 2**15


def as_float_array(name: str, value: object) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # e.g. ragged nested lists
        array = None
    # Only bool/int/float: NumPy would silently cast strings, dates or complex numbers.
    if array is None or array.dtype.kind not in "biuf":
        raise ValueError(f"input {name!r} must be an array of real numbers, got {type(value).__name__}")
    array = array.astype(np.float64, order="C", copy=False)  # C order: one compiled signature
    if not np.all(np.isfinite(array)):
        raise ValueError(f"input {name!r} contains NaN or Inf; give finite values")
    return array


def _check_shape(algorithm: str, spec: AlgorithmSpec, name: str, value: np.ndarray, n: int) -> None:
    expected = {Location.NODE: (n,), Location.EDGE: (n, n), Location.GRAPH: ()}[spec[name][1]]
    if spec[name][2] == Type.CATEGORICAL:  # one-hot over the classes
        expected += (feature_width(algorithm, name),)
    if value.shape != expected:
        raise ValueError(f"input {name!r} of {algorithm} must have shape {expected}, got {value.shape}")


def _is_acyclic(edges: np.ndarray) -> bool:
    """Kahn's algorithm, a layer of sources at a time (self-loops count as cycles)."""
    remaining = np.ones(edges.shape[0], dtype=bool)
    while remaining.any():
        sources = remaining & ~edges[remaining].any(axis=0)
        if not sources.any():
            return False
        remaining &= ~sources
    return True


def _check_structure(algorithm: str, data: dict[str, np.ndarray]) -> None:
    """Inputs the algorithm is not defined on (it would run, but answer nonsense)."""
    kind = get(algorithm).inputs
    if isinstance(kind, GraphInputs) and kind.acyclic and not _is_acyclic(data["A"] != 0):
        raise ValueError(f"{algorithm} needs a directed acyclic graph, but 'A' has a cycle")
    if isinstance(kind, ArrayInputs) and kind.sorted_keys and np.any(np.diff(data["key"]) < 0):
        raise ValueError(f"{algorithm} needs 'key' sorted in ascending order")


def _source_index(s: np.ndarray, n: int) -> int:
    if s.shape == ():
        index = int(s)
        if index != s or not 0 <= index < n:
            raise ValueError(f"input 's' must be a node index in [0, {n}), got {s}")
        return index
    if s.shape != (n,) or not np.isin(s, (0.0, 1.0)).all() or s.sum() != 1:
        raise ValueError(f"input 's' must be a one-hot vector of length {n} or a node index")
    return int(np.argmax(s))


def complete_inputs(algorithm: str, inputs: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Validate ``inputs`` against the spec, derive ``pos``/``adj`` when absent, one-hot ``s``."""
    spec = check_algorithm(algorithm)
    if not isinstance(inputs, Mapping):
        raise ValueError(f"inputs must be a mapping of probe name to array, got {type(inputs).__name__}")
    wanted = {name for name, (stage, _, _) in spec.items() if stage == Stage.INPUT}
    unknown = set(inputs) - wanted
    if unknown:
        raise ValueError(
            f"{algorithm} has no input probe(s) {sorted(map(str, unknown))}; its inputs are {sorted(wanted)}"
        )
    data = {name: as_float_array(name, value) for name, value in inputs.items()}
    record = get(algorithm)
    main = record.inputs.arguments[0]  # the input that sets the number of nodes
    if main not in data:
        raise ValueError(f"{algorithm} needs input {main!r}")
    n = data[main].shape[0] if data[main].ndim else 0
    if n < MIN_NODES:
        raise ValueError(f"{algorithm} needs at least {MIN_NODES} nodes, got {n}")
    _check_shape(algorithm, spec, main, data[main], n)  # before deriving adj from it
    if "pos" not in data:  # an input kind may lay its nodes out otherwise (strings: per part)
        positions = getattr(record.inputs, "positions", None)
        data["pos"] = positions(data) if positions else node_positions(n)
    if "adj" in wanted:
        data.setdefault("adj", graph(data["A"]))
    if record.has_source:
        if "s" not in data:
            raise ValueError(f"{algorithm} needs a source node 's'")
        data["s"] = mask_one(_source_index(data["s"], n), n)
    if "target" in wanted and "target" not in data:
        raise ValueError(f"{algorithm} needs a scalar 'target'")
    missing = sorted(wanted - set(data))
    if missing:
        raise ValueError(f"{algorithm} needs input(s) {missing}")
    for name in wanted:
        _check_shape(algorithm, spec, name, data[name], n)
    _check_structure(algorithm, data)
    return {name: data[name] for name in spec if name in wanted}


def _argument(spec: tuple[str, str, str], value: np.ndarray) -> object:
    """An input as the kernel takes it: a node index for a one-node mask (the source), a float
    for a graph scalar (the target), else the array."""
    _, location, kind = spec
    if kind == Type.MASK_ONE and location == Location.NODE:
        return int(np.argmax(value))
    return float(value) if location == Location.GRAPH else value


def run_reference(algorithm: str, inputs: dict[str, np.ndarray]) -> Trajectory:
    """Execute on already validated inputs (the hot path of :func:`generate`)."""
    record = get(algorithm)
    run = record.kernel(*(_argument(record.specs[name], inputs[name]) for name in record.inputs.arguments))
    length = next(iter(run.hints.values())).shape[0]
    return Trajectory(algorithm, inputs, run.hints, run.outputs, length)


def execute(algorithm: str, inputs: Mapping[str, object]) -> Trajectory:
    """Run ``algorithm`` on CLRS-named ``inputs`` (no batch axis) and record its trajectory.

    ``inputs`` holds ``A`` (edge weights, ``[n, n]``) and, where the algorithm has a source,
    ``s`` (one-hot ``[n]`` or a node index); array algorithms take ``key`` (and ``target``).
    ``pos`` and ``adj`` are derived as CLRS does when not given.
    """
    return run_reference(algorithm, complete_inputs(algorithm, inputs))
