"""The README's main command, at smoke size: every stage runs and leaves its artefacts."""

from __future__ import annotations

from pathlib import Path

from dear.demo import run_demo


def test_quick_demo_end_to_end(tmp_path: Path) -> None:
    summary = run_demo(tmp_path, quick=True)
    assert set(summary["results"]) == {"nar", "dear"}
    assert all(0.0 <= r[size]["score"] <= 1.0 for r in summary["results"].values() for size in ("8", "16"))
    assert (tmp_path / "scores.png").stat().st_size > 0 and (tmp_path / "loss.png").stat().st_size > 0
    assert 0.0 <= summary["solve"]["pi"] <= 1.0
