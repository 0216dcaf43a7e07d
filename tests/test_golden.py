"""Golden test: our reference algorithms reproduce CLRS-30's own trajectories probe for probe.

The trajectories are fixtures in tests/fixtures/clrs_reference (made by the CLRS benchmark;
see the README there): they are always present, so nothing here can skip."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from dear.data import execute
from dear.specs import CLRS_ALGORITHMS, SPECS
from tests.conftest import REFERENCE_DIR, load_reference

#: The algorithms of the maintainers' first reference set (``specs.json``, made by CLRS: the 12
#: implemented first), read from the fixture so that shrinking ``CLRS_ALGORITHMS`` cannot quietly
#: drop a golden test.
FIRST_TWELVE = tuple(json.loads((REFERENCE_DIR / "specs.json").read_text()))

#: 8 samples for each size n in (4, 7, 16) (see the fixtures' README).
SAMPLES_PER_ALGORITHM = 24


def test_fixtures_are_the_unedited_clrs_files() -> None:
    """Every fixture file matches the checksum it was copied with (SHA256SUMS)."""
    listed = {}
    for line in (REFERENCE_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        listed[name] = digest
    on_disk = {p.name for p in REFERENCE_DIR.iterdir() if p.suffix in (".npz", ".json")}
    assert set(listed) == on_disk
    assert {f"{a}.npz" for a in FIRST_TWELVE} | {"specs.json"} <= on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest() == digest, name


def test_every_implemented_clrs_algorithm_is_golden_tested() -> None:
    assert set(FIRST_TWELVE) <= set(CLRS_ALGORITHMS)


@pytest.mark.parametrize("algorithm", CLRS_ALGORITHMS)
def test_execute_reproduces_clrs(algorithm: str) -> None:
    reference = load_reference(algorithm)
    assert len(reference) == SAMPLES_PER_ALGORITHM
    for k, ref in enumerate(reference):
        trajectory = execute(algorithm, ref["input"])
        assert trajectory.length == ref["length"], f"sample {k}: length"
        for stage, ours in (("input", trajectory.inputs), ("hint", trajectory.hints), ("output", trajectory.outputs)):
            assert set(ours) == set(ref[stage]), f"sample {k}: {stage} probes differ"
            for name, expected in ref[stage].items():
                np.testing.assert_allclose(
                    ours[name], expected, atol=1e-5, err_msg=f"{algorithm} sample {k} {stage}/{name}"
                )


def test_specs_match_clrs_specs_json() -> None:
    reference = json.loads((REFERENCE_DIR / "specs.json").read_text())
    assert set(reference) == set(FIRST_TWELVE)
    for algorithm, probes in reference.items():
        assert {k: tuple(v) for k, v in probes.items()} == SPECS[algorithm], algorithm
