"""Random datasets: ``sample`` draws one trajectory, ``generate`` many (the bulk path)."""

from __future__ import annotations

import contextlib
import gc
import operator
from dataclasses import replace
from typing import Iterable, Iterator, Sequence

import numpy as np

from dear.data.compact import compact
from dear.data.execute import MAX_NODES, MIN_NODES, run_reference
from dear.data.samplers import draw_inputs
from dear.data.trajectory import Trajectory
from dear.errors import shown
from dear.specs import check_algorithm

NodeCount = int | tuple[int, int]


def _non_negative_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {shown(value)}")
    return int(value)


def _node_range(num_nodes: NodeCount) -> tuple[int, int]:
    bounds = (num_nodes, num_nodes) if isinstance(num_nodes, (int, np.integer)) else num_nodes
    try:  # fails unless two integers (TypeError: not iterable/integers, ValueError: not two)
        lo, hi = (operator.index(bound) for bound in bounds)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        lo, hi = None, None
    if lo is None or lo > hi:
        raise ValueError(f"num_nodes must be an int or an inclusive (lo, hi) range, got {shown(num_nodes)}")
    if lo < MIN_NODES:
        raise ValueError(f"num_nodes must be at least {MIN_NODES}, got {shown(num_nodes)}")
    if hi > MAX_NODES:
        raise ValueError(f"num_nodes must be at most {MAX_NODES} (the data are dense), got {shown(num_nodes)}")
    return int(lo), int(hi)


#: ``PCG64.jumped``'s stride (the golden ratio times 2**128), so sample streams never meet.
_JUMP = 0x9E3779B97F4A7C15F39CC0605CEDC835


def sample_rngs(seed: int, indices: Iterable[int]) -> Iterator[np.random.Generator]:
    """The generator of each sample in ``indices``: sample ``i`` draws from
    ``PCG64(seed).jumped(i)``, a function of ``(seed, i)`` only (not of batching or workers).
    One generator is rewound and jumped for each sample, far cheaper than seeding a new one,
    so each must be used up before the next is taken."""
    bit_generator = np.random.PCG64(seed)
    start = bit_generator.state
    rng = np.random.Generator(bit_generator)
    for index in indices:
        bit_generator.state = start
        bit_generator.advance(index * _JUMP)
        yield rng


def _draw(algorithm: str, lo: int, hi: int, rng: np.random.Generator, options: dict, hints: bool = True) -> Trajectory:
    options = dict(options)
    random_pos = bool(options.pop("random_pos", False))
    n = lo if lo == hi else int(rng.integers(lo, hi + 1))
    trajectory = run_reference(algorithm, draw_inputs(algorithm, rng, n, **options))
    if random_pos:  # as many as the sample has nodes (segments_intersect: 4, whatever n)
        pos = random_positions(rng, trajectory.num_nodes, _part_starts(trajectory))
        trajectory = replace(trajectory, inputs=trajectory.inputs | {"pos": pos})
    return compact(trajectory if hints else replace(trajectory, hints={}))


def random_positions(rng: np.random.Generator, n: int, starts: Sequence[int] = (0,)) -> np.ndarray:
    """CLRS's ``process_random_pos`` (used by its training pipeline and by the official DEAR code
    on every split): ``pos`` becomes ``n`` sorted uniform draws instead of ``i / n``, so a model
    cannot read a node's index off its position. Drawn after the inputs, from the sample's own
    stream; the algorithm never reads ``pos``, so the trajectory is otherwise unchanged. Where
    the nodes form parts (``starts``: their first nodes; a string algorithm's two strings), the
    draws are sorted within each part, as CLRS does."""
    return np.concatenate([np.sort(part) for part in np.split(rng.uniform(size=n), starts[1:])])


def _part_starts(trajectory: Trajectory) -> np.ndarray:
    """First nodes of the parts its fixed ``pos`` restarts at 0 in (CLRS's split rule)."""
    return np.flatnonzero(trajectory.inputs["pos"] == 0)


def sample(algorithm: str, num_nodes: NodeCount, seed: int, **generator: object) -> Trajectory:
    """Draw one random input of ``algorithm`` (CLRS's distribution) and execute it; its probes
    are stored compact (:mod:`dear.data.compact`).

    ``generator`` options: ``p`` (edge probability or tuple to draw from), ``low``/``high``
    (weight or key range), ``connected`` (add a spanning path), ``random_pos`` (sorted uniform
    ``pos`` instead of ``i / n``, see :func:`random_positions`). The same trajectory as
    sample 0 of :func:`generate` (``PCG64(seed).jumped(0)`` is ``default_rng(seed)``'s stream).
    """
    check_algorithm(algorithm)
    lo, hi = _node_range(num_nodes)
    return _draw(algorithm, lo, hi, np.random.default_rng(_non_negative_int("seed", seed)), generator)


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: bulk generation creates thousands of trajectories
    (objects with dicts) that can never form cycles, yet each batch of allocations triggers a
    collection that rescans the growing list (5-10% of the time for small samples)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def generate(
    algorithm: str, num_samples: int, num_nodes: NodeCount, seed: int, *, hints: bool = True, **generator: object
) -> Sequence[Trajectory]:
    """``num_samples`` trajectories; sample ``i`` depends only on ``(seed, i)``. Probes are stored
    compact (:mod:`dear.data.compact`: int8 masks, int16 pointers, float64 scalars), as a
    training set holds them; the batching makes the same float32 tensors as from floats.

    ``hints=False`` keeps only inputs, outputs and lengths: what evaluation and models without
    hint supervision need (Floyd–Warshall's hints alone are ``3 n³`` values, ``11 n³`` bytes, per sample)."""
    check_algorithm(algorithm)
    num_samples = _non_negative_int("num_samples", num_samples)
    lo, hi = _node_range(num_nodes)
    seed = _non_negative_int("seed", seed)
    with _cyclic_gc_paused():
        return [_draw(algorithm, lo, hi, rng, generator, hints) for rng in sample_rngs(seed, range(num_samples))]
