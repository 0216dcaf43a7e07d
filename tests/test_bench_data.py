"""The data benchmark's bookkeeping (no timing assertions: timings depend on the machine)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dear.data import generate
from dear.algorithms import REGISTRY
from dear.bench.data import clrs_samples_per_s, run_data_benchmark
from dear.specs import CLRS_ALGORITHMS
from tests.conftest import REFERENCE_DIR


def test_every_algorithm_has_a_clrs_reference() -> None:
    """The first 12 CLRS algorithms have a measured CLRS sampler rate (the other 18 are not measured
    yet: ``clrs_samples_per_s`` None, their rows say so)."""
    first_twelve = set(json.loads((REFERENCE_DIR / "specs.json").read_text()))
    measured = {name for name, record in REGISTRY.items() if record.clrs_samples_per_s is not None}
    assert first_twelve <= measured <= set(CLRS_ALGORITHMS)
    assert all(record.clrs in CLRS_ALGORITHMS for record in REGISTRY.values())
    assert clrs_samples_per_s("binary_search_fixed", 64) == REGISTRY["binary_search"].clrs_samples_per_s[1]
    assert clrs_samples_per_s("bfs", 32) is None


def test_run_writes_json_and_csv_with_speedups(tmp_path: Path) -> None:
    result = run_data_benchmark(tmp_path, sizes=(16, 5), algorithms=("bfs", "minimum"), repeats=2, min_seconds=0.01)
    rows = {(row["algorithm"], row["n"]): row for row in result["rows"]}
    assert set(rows) == {("bfs", 16), ("bfs", 5), ("minimum", 16), ("minimum", 5)}
    for (algorithm, n), row in rows.items():
        assert row["samples_per_s_min"] <= row["samples_per_s"] <= row["samples_per_s_max"]
        assert (row["speedup"] is None) == (n == 5)
    assert rows[("bfs", 16)]["generator"] == {"p": 0.5} and rows[("minimum", 16)]["generator"] == {}
    assert json.loads((tmp_path / "bench_data.json").read_text()) == result
    with open(tmp_path / "bench_data.csv") as stream:
        assert len(list(csv.DictReader(stream))) == 4


def test_rows_record_bytes_and_a_rerun_keeps_other_cases(tmp_path: Path) -> None:
    run_data_benchmark(tmp_path, sizes=(16,), algorithms=("bfs", "minimum"), repeats=1, min_seconds=0.01)
    result = run_data_benchmark(tmp_path, sizes=(16,), algorithms=("minimum",), repeats=1, min_seconds=0.01)
    rows = {row["algorithm"]: row for row in result["rows"]}
    assert set(rows) == {"bfs", "minimum"}  # bfs kept from the first run
    trajectory = generate("minimum", 1, 16, seed=0)[0]
    # minimum at n=16: pos, key float64; pred_h int16, min_h and i int8 (16 steps of 16); min int8
    assert trajectory.stored_bytes == 8 * (16 + 16) + 2 * 16 * 16 + 2 * 16 * 16 + 16
    assert rows["minimum"]["megabytes_per_sample"] == trajectory.stored_bytes / 1e6
    # every sample of the timed runs: minimum's size does not depend on the input
    assert rows["minimum"]["held_megabytes_per_sample"] == trajectory.held_bytes / 1e6 == trajectory.stored_bytes / 1e6
    assert rows["minimum"]["float64_megabytes_per_sample"] == 8 * (16 + 16 + 3 * 16 * 16 + 16) / 1e6
    assert rows["bfs"]["held_megabytes_per_sample"] < rows["bfs"]["float64_megabytes_per_sample"]
    scc = generate("strongly_connected_components", 1, 16, seed=0)[0]
    assert scc.hints["A_t"].strides[0] == 0  # one n x n matrix broadcast over T steps, stored once
    assert scc.stored_bytes == scc.hints["A_t"].itemsize * 16 * 16 + sum(
        a.nbytes for stage in (scc.inputs, scc.hints, scc.outputs) for name, a in stage.items() if name != "A_t"
    )
    assert rows["minimum"]["megabytes_per_s"] == pytest.approx(rows["minimum"]["samples_per_s"] * trajectory.stored_bytes / 1e6)


def test_report_sets_clrs_measured_here_beside_ours(tmp_path: Path) -> None:
    from dear.bench.report import data_section

    row = {"algorithm": "binary_search_fixed", "n": 64, "samples_per_s": 3000.0, "clrs_samples_per_s": 3996,
           "speedup": 3000 / 3996}
    (tmp_path / "bench_data.json").write_text(json.dumps({"meta": {}, "rows": [row, {**row, "n": 16}]}))
    assert "| 3,000 | – | 3996 | 0.8× | – | – | – |" in "\n".join(data_section(tmp_path))  # CLRS not timed here
    meta = {"clrs": "2.0.3", "python_loop_s": 0.03, "repeats": 3, "seconds_per_call": 1.0}
    measured = {"meta": meta, "rows": [{"algorithm": "binary_search", "n": 64, "samples_per_s": 250.0}]}
    (tmp_path / "bench_clrs_samplers.json").write_text(json.dumps(measured))
    lines = data_section(tmp_path)
    assert "| 3,000 | – | 3996 | 0.8× | 250.0 | 12.0× | – |" in lines[-2]  # binary_search's sampler stands for the fixed one
    assert "| 3996 | 0.8× | – | – | – |" in lines[-1]  # n = 16 was not timed here

    # Where both sides recorded CPU time, the speed-up per CPU second stands beside the wall-clock one.
    (tmp_path / "bench_data.json").write_text(json.dumps({"meta": {}, "rows": [row | {"samples_per_cpu_s": 6000.0}]}))
    measured["rows"][0]["samples_per_cpu_s"] = 400.0
    (tmp_path / "bench_clrs_samplers.json").write_text(json.dumps(measured))
    assert "| 3,000 | 6,000 | 3996 | 0.8× | 250.0 | 12.0× | 15.0× |" in data_section(tmp_path)[-1]
