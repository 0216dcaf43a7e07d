"""On-disk cache of the fixed data splits, so that every run reads the same samples without
regenerating them.

Files are plain ``np.savez`` archives in the layout of the CLRS reference trajectories (for
sample ``k``: ``k/input/<probe>``, ``k/hint/<probe>``, ``k/output/<probe>``, ``k/length``),
read with ``allow_pickle=False`` so that loading runs no code, and written atomically (a
temporary file, then ``os.replace``) so that a killed run never leaves half a file. Probes are
stored as ``generate`` keeps them, compact (int8 masks, int16 pointers, float64 scalars:
:mod:`dear.data.compact`); the reader takes any real dtype, so CLRS's float files load as well.

A file's name holds everything its samples depend on, including a fingerprint of the
generator's source code: editing an algorithm or sampler makes old files unreachable
instead of silently stale (they are deleted once the new version is written). A file that
cannot be read (corrupt, truncated, or not a trajectory archive of that algorithm) makes
:func:`load_trajectories` raise a ``ValueError`` naming it; :func:`cached_generate` then
warns and regenerates it: the cache holds derived data only, so regenerating is always right.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from dear.data.generate import NodeCount, generate
from dear.data.trajectory import Trajectory
from dear.specs import Stage, check_algorithm, probes

#: The package directory whose sources the data depend on (a module global for tests).
PACKAGE_DIR = Path(__file__).resolve().parents[1]

#: Sources that determine the generated data, relative to :data:`PACKAGE_DIR`.
DATA_SOURCES = ("algorithms/*.py", "data/samplers.py", "data/execute.py", "data/generate.py", "data/compact.py",
                "specs.py")

#: Version of the file layout, part of the fingerprint: 2 stores probes compact (int8 masks,
#: int16 pointers: :mod:`dear.data.compact`), where version 1 stored floats.
CACHE_FORMAT = 2

_STAGES = (Stage.INPUT, Stage.HINT, Stage.OUTPUT)  # also the middle part of the file's keys


def default_cache_dir() -> Path:
    """``$DEAR_CACHE``, else ``~/.cache/dear``."""
    return Path(os.environ.get("DEAR_CACHE") or Path.home() / ".cache" / "dear")


def data_fingerprint() -> str:
    """Hash of :data:`CACHE_FORMAT` and the sources listed in :data:`DATA_SOURCES`: the version of
    the generated data."""
    digest = hashlib.sha256(f"format {CACHE_FORMAT}\0".encode())
    for path in sorted(path for pattern in DATA_SOURCES for path in PACKAGE_DIR.glob(pattern)):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_path(
    algorithm: str, num_samples: int, num_nodes: NodeCount, seed: int, cache_dir: Path | None = None,
    *, hints: bool = True, **generator: object,
) -> Path:
    """Where :func:`cached_generate` keeps these samples: the name holds a digest of the arguments
    and, last, the :func:`data_fingerprint`."""
    arguments = {"num_nodes": num_nodes, "seed": seed, "hints": hints, "generator": generator}
    digest = hashlib.sha256(json.dumps(arguments, sort_keys=True, default=repr).encode()).hexdigest()[:16]
    directory = cache_dir or default_cache_dir()
    return directory / f"{algorithm}-{num_samples}-{digest}-{data_fingerprint()}.npz"


def save_trajectories(path: Path, trajectories: Sequence[Trajectory]) -> None:
    """Write ``trajectories`` to ``path`` atomically, in the CLRS reference layout."""
    arrays: dict[str, np.ndarray] = {}
    for k, t in enumerate(trajectories):
        for stage, values in zip(_STAGES, (t.inputs, t.hints, t.outputs)):
            arrays.update({f"{k}/{stage}/{name}": np.asarray(value) for name, value in values.items()})
        arrays[f"{k}/length"] = np.asarray(t.length, dtype=np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb") as file:  # a new file with the umask's permissions
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load_trajectories(path: Path, algorithm: str) -> list[Trajectory]:
    """Read a file written by :func:`save_trajectories` (or a CLRS reference file)."""
    expected = {stage: probes(algorithm, stage) for stage in _STAGES}
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"unreadable data cache {path}: {error}") from None
    samples: dict[int, dict[str, dict[str, np.ndarray]]] = {}
    lengths: dict[int, int] = {}
    for key, value in arrays.items():
        index, *rest = key.split("/")
        if not index.isdigit():
            raise ValueError(f"corrupt data cache {path}: unexpected entry {key!r}")
        if rest == ["length"] and value.shape == () and value.dtype.kind in "iu":
            lengths[int(index)] = int(value)
        elif len(rest) == 2 and rest[0] in expected and rest[1] in expected[rest[0]] and value.dtype.kind in "biuf":
            samples.setdefault(int(index), {stage: {} for stage in _STAGES})[rest[0]][rest[1]] = value
        else:
            raise ValueError(f"corrupt data cache {path}: {key!r} is not a {algorithm} probe")
    complete = all(
        set(sample[stage]) == set(expected[stage])
        for sample in samples.values()
        for stage in (Stage.INPUT, Stage.OUTPUT)  # hints may be left out
    )
    if not complete or set(samples) != set(range(len(samples))) or set(lengths) != set(samples):
        raise ValueError(f"corrupt data cache {path}: probes, samples or lengths are missing")
    return [
        Trajectory(algorithm, sample[Stage.INPUT], sample[Stage.HINT], sample[Stage.OUTPUT], lengths[k])
        for k, sample in sorted(samples.items())
    ]


def cached_generate(
    algorithm: str, num_samples: int, num_nodes: NodeCount, seed: int, cache_dir: Path | None = None,
    *, hints: bool = True, **generator: object,
) -> list[Trajectory]:
    """:func:`dear.data.generate` through the cache: read on a hit, generated and written on a miss.
    Hint-free datasets (``hints=False``) are cached as files of their own."""
    check_algorithm(algorithm)  # before it becomes part of a file name
    path = cache_path(algorithm, num_samples, num_nodes, seed, cache_dir, hints=hints, **generator)
    if path.exists():
        try:
            trajectories = load_trajectories(path, algorithm)
            if len(trajectories) != num_samples:
                raise ValueError(f"data cache {path} holds {len(trajectories)} samples, not {num_samples}")
            return trajectories
        except ValueError as error:
            warnings.warn(f"{error}; regenerating it", stacklevel=2)
    trajectories = list(generate(algorithm, num_samples, num_nodes, seed, hints=hints, **generator))
    save_trajectories(path, trajectories)
    for stale in path.parent.glob(f"{path.stem.rsplit('-', 1)[0]}-*.npz"):  # older data versions
        if stale != path:
            stale.unlink(missing_ok=True)
    return trajectories
