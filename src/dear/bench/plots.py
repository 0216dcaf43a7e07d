"""Matplotlib figures written as PNG (headless backend)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_metrics(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def plot_loss_curves(runs: Mapping[str, Path], out: Path, title: str = "training loss") -> Path:
    """One line per run: training loss against optimiser step."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, run_dir in runs.items():
        records = read_metrics(run_dir)
        ax.plot([r["step"] for r in records], [r["loss"] for r in records], label=label)
    ax.set(xlabel="step", ylabel="loss", title=title, yscale="log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_scores_vs_size(scores: Mapping[str, Mapping[int, float | Sequence[float]]], out: Path,
                        title: str = "CLRS score vs test size", ylabel: str = "score") -> Path:
    """``scores[label][size]`` is a value or a list over seeds (plotted as mean ± std)."""
    import numpy as np

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for label, by_size in scores.items():
        sizes = sorted(by_size)
        values = [np.atleast_1d(by_size[s]) for s in sizes]
        means = [v.mean() for v in values]
        ax.errorbar(sizes, means, yerr=[v.std() for v in values], marker="o", capsize=3, label=label)
    ax.set(xlabel="nodes", ylabel=ylabel, title=title, xscale="log")
    ax.set_xticks(sorted({s for by_size in scores.values() for s in by_size}))
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_tradeoff(curves: Mapping[str, Sequence[tuple[float, float]]], references: Mapping[str, tuple[float, float]],
                  out: Path, title: str, xlabel: str, ylabel: str = "score") -> Path:
    """One line of ``(x, y)`` points per label, and each label's reference point as a star in
    the same colour (e.g. DEAR's score vs iterations over tolerances, and NAR at its T)."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for label, points in curves.items():
        xs, ys = zip(*sorted(points))
        (line,) = ax.plot(xs, ys, marker="o", label=label)
        if label in references:
            ax.plot(*references[label], marker="*", markersize=12, color=line.get_color(), linestyle="none")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xscale="log")
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.get_xaxis().set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
