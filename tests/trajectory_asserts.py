"""Exact comparison of trajectories, shared by the determinism and cache tests."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from dear.data import Trajectory


def assert_same_trajectories(ours: Sequence[Trajectory], theirs: Sequence[Trajectory]) -> None:
    """Equal algorithm, length and every probe bit for bit (values, shapes and dtypes)."""
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert (a.algorithm, a.length) == (b.algorithm, b.length), f"sample {k}"
        for stage in ("inputs", "hints", "outputs"):
            mine, other = getattr(a, stage), getattr(b, stage)
            assert list(mine) == list(other), f"sample {k}: {stage} probes differ"
            for name in mine:
                x, y = np.asarray(mine[name]), np.asarray(other[name])
                assert x.dtype == y.dtype and np.array_equal(x, y), f"sample {k}: {stage}/{name}"
