"""Golden test: our reference algorithms reproduce CLRS-30's own trajectories probe for probe."""

from __future__ import annotations

import numpy as np
import pytest

from dear.data import execute
from dear.specs import CLRS_ALGORITHMS, SPECS
from tests.conftest import load_reference


@pytest.mark.parametrize("algorithm", CLRS_ALGORITHMS)
def test_execute_reproduces_clrs(algorithm: str) -> None:
    for k, ref in enumerate(load_reference(algorithm)):
        trajectory = execute(algorithm, ref["input"])
        assert trajectory.length == ref["length"], f"sample {k}: length"
        for stage, ours in (("input", trajectory.inputs), ("hint", trajectory.hints), ("output", trajectory.outputs)):
            assert set(ours) == set(ref[stage]), f"sample {k}: {stage} probes differ"
            for name, expected in ref[stage].items():
                np.testing.assert_allclose(
                    ours[name], expected, atol=1e-5, err_msg=f"{algorithm} sample {k} {stage}/{name}"
                )


def test_specs_match_clrs_specs_json() -> None:
    import json

    from tests.conftest import REFERENCE_DIR

    path = REFERENCE_DIR / "specs.json"
    if not path.exists():
        pytest.skip("specs.json not found")
    reference = json.loads(path.read_text())
    for algorithm, probes in reference.items():
        assert {k: tuple(v) for k, v in probes.items()} == SPECS[algorithm], algorithm
