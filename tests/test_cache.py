"""The split cache returns exactly what ``generate`` makes, survives bad files, and goes
stale when the generator's source changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from dear.data import cache, generate
from dear.data.cache import cache_path, load_trajectories, save_trajectories
from dear.data.splits import SPLITS, Split, load_split
from dear.specs import ALGORITHMS, CLRS_ALGORITHMS
from tests.conftest import REFERENCE_DIR, load_reference
from tests.trajectory_asserts import assert_same_trajectories

TINY = Split("tiny", seed=3)
TINY_SIZES = (4, 7)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_round_trip_equals_the_generated_trajectories(algorithm: str, tmp_path: Path) -> None:
    expected = generate(algorithm, 3, TINY_SIZES, TINY.seed)
    assert_same_trajectories(load_split(algorithm, TINY, 3, TINY_SIZES, hints=True, cache_dir=tmp_path), expected)  # generated, then saved
    assert [path.name for path in tmp_path.iterdir()] == [cache_path(algorithm, 3, (4, 7), 3, tmp_path).name]
    assert_same_trajectories(load_split(algorithm, TINY, 3, TINY_SIZES, hints=True, cache_dir=tmp_path), expected)  # read back


def test_files_use_the_clrs_reference_layout(tmp_path: Path) -> None:
    algorithm = CLRS_ALGORITHMS[0]
    reference = load_reference(algorithm)
    loaded = load_trajectories(REFERENCE_DIR / f"{algorithm}.npz", algorithm)
    assert [t.length for t in loaded] == [sample["length"] for sample in reference]
    path = tmp_path / "copy.npz"
    save_trajectories(path, loaded)
    reference_keys = np.load(REFERENCE_DIR / f"{algorithm}.npz").files
    assert sorted(np.load(path, allow_pickle=False).files) == sorted(reference_keys)


def test_everything_the_samples_depend_on_gets_its_own_file(tmp_path: Path) -> None:
    paths = {
        cache_path("bfs", 3, (4, 7), 3, tmp_path),
        cache_path("bfs", 4, (4, 7), 3, tmp_path),
        cache_path("bfs", 3, (4, 8), 3, tmp_path),
        cache_path("bfs", 3, (4, 7), 4, tmp_path),
        cache_path("bfs", 3, (4, 7), 3, tmp_path, p=0.5),
        cache_path("dfs", 3, (4, 7), 3, tmp_path),
    }
    assert len(paths) == 6


def _corrupt_files(tmp_path: Path) -> dict[str, Path]:
    """Files that are not readable trajectory archives of ``bfs``."""
    good = tmp_path / "good.npz"
    save_trajectories(good, generate("bfs", 2, TINY_SIZES, TINY.seed))
    data = good.read_bytes()
    files = {
        "empty": b"",
        "garbage": b"not an archive at all",
        "truncated": data[: len(data) // 2],
        "flipped-byte": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.npz"
        paths[name].write_bytes(content)
    paths["pickled"] = tmp_path / "pickled.npz"  # loading it would have to run pickle
    np.savez(paths["pickled"], **{"0/input/pos": np.array([object()]), "0/length": np.array(1)})
    paths["other-algorithm"] = tmp_path / "dfs.npz"
    save_trajectories(paths["other-algorithm"], generate("dfs", 2, 4, 0))
    paths["missing-length"] = tmp_path / "missing-length.npz"
    np.savez(paths["missing-length"], **{k: v for k, v in np.load(good).items() if k != "1/length"})
    return paths


def test_bad_files_raise_a_value_error_naming_the_file(tmp_path: Path) -> None:
    for name, path in _corrupt_files(tmp_path).items():
        with pytest.raises(ValueError, match="data cache") as error:
            load_trajectories(path, "bfs")
        assert str(path) in str(error.value) and "\n" not in str(error.value), name


def test_a_corrupt_cached_split_is_regenerated_with_a_warning(tmp_path: Path) -> None:
    path = cache_path("bfs", 2, TINY_SIZES, TINY.seed, tmp_path)
    path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="unreadable data cache .*; regenerating it"):
        trajectories = load_split("bfs", TINY, 2, TINY_SIZES, hints=True, cache_dir=tmp_path)
    assert_same_trajectories(trajectories, generate("bfs", 2, TINY_SIZES, TINY.seed))
    assert_same_trajectories(load_trajectories(path, "bfs"), trajectories)


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "split.npz"
    trajectories = generate("bfs", 2, 5, 0)
    save_trajectories(path, trajectories)
    before = path.read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask, "a cache file must be as readable as any other"

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        save_trajectories(path, generate("bfs", 3, 5, 1))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["split.npz"], "temporary file left behind"


def test_fingerprint_follows_the_data_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "dear"
    shutil.copytree(cache.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    original = cache.data_fingerprint()
    (package / "data" / "batching.py").write_text("# not a data source\n")
    assert cache.data_fingerprint() == original
    sources = ("algorithms/bfs.py", "data/samplers.py", "data/execute.py", "data/generate.py", "data/compact.py",
               "specs.py")
    for source in sources:  # one file of each pattern in DATA_SOURCES
        path = package / source
        text = path.read_text()
        path.write_text(text + "\n# changed\n")
        assert cache.data_fingerprint() != original, source
        path.write_text(text)
    assert cache.data_fingerprint() == original
    monkeypatch.setattr(cache, "CACHE_FORMAT", cache.CACHE_FORMAT + 1)  # a new file layout: a new version
    assert cache.data_fingerprint() != original


def test_a_new_data_version_replaces_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_split("minimum", TINY, 2, TINY_SIZES, cache_dir=tmp_path)
    (old,) = tmp_path.iterdir()
    monkeypatch.setattr(cache, "data_fingerprint", lambda: "0123456789abcdef")
    load_split("minimum", TINY, 2, TINY_SIZES, cache_dir=tmp_path)
    load_split("minimum", TINY, 3, TINY_SIZES, cache_dir=tmp_path)  # other arguments: a file of its own
    names = [path.name for path in tmp_path.iterdir()]
    assert old.name not in names and len(names) == 2
    assert all(name.endswith("-0123456789abcdef.npz") for name in names)


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEAR_CACHE", str(tmp_path))
    assert cache.default_cache_dir() == tmp_path
    assert cache_path("bfs", 1, 8, 0).parent == tmp_path
    monkeypatch.delenv("DEAR_CACHE")
    assert cache.default_cache_dir() == Path.home() / ".cache" / "dear"


def test_splits_never_share_a_seed() -> None:
    assert list(SPLITS) == ["train", "val", "test"]
    assert len({split.seed for split in SPLITS.values()}) == len(SPLITS), "splits share a seed"


def test_unknown_split_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown split 'tets_64'; choose one of: train, val, test"):
        load_split("bfs", "tets_64", 1, 4, cache_dir=tmp_path)
