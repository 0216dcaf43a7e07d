"""Shared fixtures: the CLRS reference trajectories live beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REFERENCE_DIR = Path(os.environ.get("DEAR_CLRS_REFERENCE", Path(__file__).parents[2] / "shared" / "clrs_reference"))


def load_reference(algorithm: str) -> list[dict]:
    """Samples of ``<algorithm>.npz`` as ``[{"input": {...}, "hint": {...}, "output": {...}, "length": T}]``."""
    path = REFERENCE_DIR / f"{algorithm}.npz"
    if not path.exists():
        pytest.skip(f"CLRS reference trajectories not found at {path} (set DEAR_CLRS_REFERENCE)")
    archive = np.load(path)
    samples: dict[int, dict] = {}
    for key in archive.files:
        index, *rest = key.split("/")
        sample = samples.setdefault(int(index), {"input": {}, "hint": {}, "output": {}})
        if rest == ["length"]:
            sample["length"] = int(archive[key])
        else:
            sample[rest[0]][rest[1]] = archive[key]
    return [samples[i] for i in sorted(samples)]


try:  # tiny tensors: intra-op threads only cost wake-ups when two test workers share 2 cores
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the data layer is testable without torch
    pass
