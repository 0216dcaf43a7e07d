"""Shared fixtures: the CLRS reference trajectories live beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

def _reference_dir() -> Path:
    """$DEAR_CLRS_REFERENCE, else the maintainers' shared/ beside the checkout, else /work/shared."""
    if os.environ.get("DEAR_CLRS_REFERENCE"):
        return Path(os.environ["DEAR_CLRS_REFERENCE"])
    candidates = [Path(__file__).parents[2] / "shared" / "clrs_reference", Path("/work/shared/clrs_reference")]
    return next((c for c in candidates if c.exists()), candidates[0])


REFERENCE_DIR = _reference_dir()


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
