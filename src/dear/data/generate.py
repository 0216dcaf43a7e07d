"""Random datasets: ``sample`` draws one trajectory, ``generate`` many (the bulk path)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from dear.data.execute import MIN_NODES, run_reference
from dear.data.samplers import draw_inputs
from dear.data.trajectory import Trajectory
from dear.specs import check_algorithm

NodeCount = int | tuple[int, int]


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _node_range(num_nodes: NodeCount) -> tuple[int, int]:
    lo, hi = (num_nodes, num_nodes) if np.isscalar(num_nodes) else tuple(num_nodes)  # type: ignore[misc]
    if int(lo) != lo or int(hi) != hi or lo > hi:
        raise ValueError(f"num_nodes must be an int or an inclusive (lo, hi) range, got {num_nodes!r}")
    if lo < MIN_NODES:
        raise ValueError(f"num_nodes must be at least {MIN_NODES}, got {num_nodes!r}")
    return int(lo), int(hi)


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of sample ``index`` of the stream ``seed``: independent of batching."""
    return np.random.default_rng((seed, index))


def _draw(algorithm: str, lo: int, hi: int, rng: np.random.Generator, options: dict) -> Trajectory:
    n = lo if lo == hi else int(rng.integers(lo, hi + 1))
    return run_reference(algorithm, draw_inputs(algorithm, rng, n, **options))


def sample(algorithm: str, num_nodes: NodeCount, seed: int, **generator: object) -> Trajectory:
    """Draw one random input of ``algorithm`` (CLRS's distribution) and execute it.

    ``generator`` options: ``p`` (edge probability or tuple to draw from), ``low``/``high``
    (weight or key range), ``connected`` (add a spanning path).
    """
    check_algorithm(algorithm)
    lo, hi = _node_range(num_nodes)
    return _draw(algorithm, lo, hi, np.random.default_rng(_check_seed(seed)), generator)


def generate(
    algorithm: str, num_samples: int, num_nodes: NodeCount, seed: int, **generator: object
) -> Sequence[Trajectory]:
    """``num_samples`` trajectories; sample ``i`` depends only on ``(seed, i)``."""
    check_algorithm(algorithm)
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 0:
        raise ValueError(f"num_samples must be a non-negative integer, got {num_samples!r}")
    lo, hi = _node_range(num_nodes)
    seed = _check_seed(seed)
    return [_draw(algorithm, lo, hi, sample_rng(seed, i), generator) for i in range(num_samples)]
