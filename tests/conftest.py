"""Shared fixtures: the CLRS reference trajectories are test fixtures inside the repository
(tests/fixtures/clrs_reference, copied from the CLRS benchmark; see its README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

#: CLRS-made reference trajectories, checked in so the golden tests can never skip.
REFERENCE_DIR = Path(__file__).parent / "fixtures" / "clrs_reference"


def load_reference(algorithm: str) -> list[dict]:
    """Samples of ``<algorithm>.npz`` as ``[{"input": {...}, "hint": {...}, "output": {...}, "length": T}]``.

    A missing file is an error, never a skip: the fixtures are part of the repository."""
    path = REFERENCE_DIR / f"{algorithm}.npz"
    archive = np.load(path)  # FileNotFoundError if the fixture is missing
    samples: dict[int, dict] = {}
    for key in archive.files:
        index, *rest = key.split("/")
        sample = samples.setdefault(int(index), {"input": {}, "hint": {}, "output": {}})
        if rest == ["length"]:
            sample["length"] = int(archive[key])
        else:
            sample[rest[0]][rest[1]] = archive[key]
    assert samples, f"{path} holds no samples"
    return [samples[i] for i in sorted(samples)]


try:  # tiny tensors: intra-op threads only cost wake-ups when two test workers share 2 cores
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the data layer is testable without torch
    pass


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory):
    """``smoke_run(algorithm, model)``: the directory of a smoke-profile run, trained on first use."""
    from dear.config import make_config
    from dear.train import train

    runs: dict[tuple[str, str], Path] = {}

    def run(algorithm: str = "bfs", model: str = "nar") -> Path:
        if (algorithm, model) not in runs:
            out = tmp_path_factory.mktemp(f"{algorithm}-{model}") / "run"
            train(make_config(algorithm, "smoke", model=model), out, progress=False)
            runs[algorithm, model] = out
        return runs[algorithm, model]

    return run


@pytest.fixture(autouse=True, scope="session")
def _private_data_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's data cache (~/.cache/dear)."""
    os.environ["DEAR_CACHE"] = str(tmp_path_factory.mktemp("dear-cache"))
