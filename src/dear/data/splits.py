"""The fixed datasets of every experiment, defined once.

A split is a stream of samples with its own seed, so the training, validation and test graphs
never share a draw whatever their sizes and counts; sizes and counts belong to the profile
(:mod:`dear.config`), the test protocol's defaults are here. Every layer that reads data
(training, evaluation, benchmarks) loads it through :func:`load_split`, and so through the
on-disk cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dear.data.cache import cached_generate
from dear.data.generate import NodeCount
from dear.data.trajectory import Trajectory
from dear.errors import shown


@dataclass(frozen=True)
class Split:
    """A fixed stream of samples: its name and its own seed."""

    name: str
    seed: int


TRAIN = Split("train", seed=1)
VAL = Split("val", seed=2)
TEST = Split("test", seed=3)
SPLITS: dict[str, Split] = {split.name: split for split in (TRAIN, VAL, TEST)}

#: The test protocol (DESIGN §5): 100 fresh graphs at each size, the training size and 4x it.
TEST_SIZES = (16, 64)
TEST_SAMPLES = 100


def load_split(
    algorithm: str, split: Split | str, num_samples: int, sizes: NodeCount, *, hints: bool = False,
    random_pos: bool = False, edge_p: tuple[float, ...] = (), cache_dir: Path | None = None,
) -> list[Trajectory]:
    """The first ``num_samples`` trajectories of ``split`` at ``sizes`` (a node count or an
    inclusive range), hint-free unless asked (``random_pos`` as in
    :func:`dear.data.generate.random_positions`; ``edge_p``: the edge probabilities graphs are
    drawn from instead of the algorithm's own)."""
    if isinstance(split, str):
        if split not in SPLITS:
            raise ValueError(f"unknown split {shown(split)}; choose one of: {', '.join(SPLITS)}")
        split = SPLITS[split]
    options = {"random_pos": True} if random_pos else {}  # the cache key of fixed-pos data is unchanged
    if edge_p:
        options["p"] = tuple(edge_p)
    return cached_generate(algorithm, num_samples, sizes, split.seed, cache_dir, hints=hints, **options)
