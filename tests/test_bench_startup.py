"""``dear bench startup``: alternating fresh-interpreter timings, medians, verdict and report.
The commands are swapped for trivial ones, so the test times nothing heavy."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import dear.bench.startup as startup
from dear.bench.report import startup_section


def test_startup_alternates_the_commands_and_judges_the_median_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    fake = {"import torch": 1.0, "dear solve": 1.5}

    def timed(argv: list[str]) -> float:
        seen.append(argv[-1])
        return fake[argv[-1]]

    monkeypatch.setattr(startup, "startup_commands", lambda graph: {name: [sys.executable, name] for name in fake})
    monkeypatch.setattr(startup, "_seconds", timed)
    verdict = startup.run_startup_benchmark(tmp_path, repeats=3)
    assert seen == ["import torch", "dear solve"] * 4  # one untimed warm-up pair, then alternating
    assert verdict == {"import_torch_s": 1.0, "solve_s": 1.5, "extra_s": 0.5, "limit_s": 1.0, "holds": True}
    data = json.loads((tmp_path / "bench_startup.json").read_text())
    assert len(data["rows"]) == 6 and (tmp_path / "bench_startup.csv").exists()
    assert "| 1.00 s | 1.50 s | +0.50 s | 1 s | holds |" in "\n".join(startup_section(tmp_path))
    fake["dear solve"] = 2.5
    assert startup.run_startup_benchmark(tmp_path, repeats=1)["holds"] is False


def test_the_measured_commands_are_a_solve_and_the_torch_import(tmp_path: Path) -> None:
    commands = startup.startup_commands(tmp_path / "g.edgelist")
    assert commands["import torch"][1:] == ["-c", "import torch"]
    assert commands["dear solve"][1:5] == ["-m", "dear.cli", "solve", startup.ALGORITHM]
