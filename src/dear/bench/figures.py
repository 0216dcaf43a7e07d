"""The accuracy table's figures, drawn from committed files only (so ``dear bench report`` can
redraw them without retraining): score vs test size per algorithm and column, DEAR's solver
iterations and residual vs test size (both from ``results/table/<profile>/*.json``), and the
training loss of NAR vs DEAR (from the shipped seed-0 runs' ``metrics.jsonl``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np

from dear.bench.plots import plt, read_metrics  # noqa: I001 (plots selects the headless backend first)
from dear.bench.records import dear_column
from dear.bench.table import read_cells
from matplotlib.ticker import NullFormatter, ScalarFormatter


def _grid(count: int) -> tuple:
    cols = min(count, 4)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _log_size_axis(ax, sizes: set[int]) -> None:
    ax.set(xscale="log", xticks=sorted(sizes))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _save(fig, out: Path) -> Path:
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def scores_vs_size(results: Path, profile: str, out: Path) -> Path | None:
    """One panel per algorithm: CLRS score (mean ± std over seeds) against test size per column."""
    by_algorithm: dict[str, dict[str, dict[int, list[float]]]] = {}
    for cell in read_cells(results / "table" / profile):
        series = by_algorithm.setdefault(cell["cell"]["algorithm"], {}).setdefault(cell["cell"]["column"], {})
        for size, result in cell["eval"].items():
            series.setdefault(int(size), []).append(result["score"])
    if not by_algorithm:
        return None
    fig, axes = _grid(len(by_algorithm))
    for ax, (algorithm, columns) in zip(axes, sorted(by_algorithm.items())):
        for column, by_size in sorted(columns.items()):
            sizes = sorted(by_size)
            ax.errorbar(sizes, [np.mean(by_size[s]) for s in sizes], yerr=[np.std(by_size[s]) for s in sizes],
                        marker="o", capsize=3, label=column)
        ax.set(title=algorithm, xlabel="test nodes", ylabel="score", ylim=(0, 1.02))
        _log_size_axis(ax, {s for by_size in columns.values() for s in by_size})
        ax.legend(fontsize=7)
    return _save(fig, out)


def solver_vs_size(results: Path, profile: str, out: Path) -> Path | None:
    """One panel per algorithm: mean solver iterations (left axis) and worst residual (right,
    log) against test size, for every equilibrium column."""
    by_algorithm: dict[str, dict[str, dict[int, tuple[float, float]]]] = {}
    for cell in read_cells(results / "table" / profile):
        for size, result in cell["eval"].items():
            if "iterations_mean" in result:
                column = f"{cell['cell']['column']} s{cell['cell']['seed']}"
                by_algorithm.setdefault(cell["cell"]["algorithm"], {}).setdefault(column, {})[int(size)] = (
                    result["iterations_mean"], result["residual_max"])
    if not by_algorithm:
        return None
    fig, axes = _grid(len(by_algorithm))
    for ax, (algorithm, columns) in zip(axes, sorted(by_algorithm.items())):
        twin = ax.twinx()
        for column, by_size in sorted(columns.items()):
            sizes = sorted(by_size)
            line, = ax.plot(sizes, [by_size[s][0] for s in sizes], marker="o", label=f"{column} iterations")
            twin.plot(sizes, [by_size[s][1] for s in sizes], marker="x", linestyle="--", color=line.get_color())
        ax.set(title=algorithm, xlabel="test nodes", ylabel="iterations (o)", ylim=(0, None))
        _log_size_axis(ax, {s for by_size in columns.values() for s in by_size})
        twin.set(ylabel="max residual (x)", yscale="log")
        ax.legend(fontsize=7)
    return _save(fig, out)


def loss_curves(pretrained: Path, out: Path) -> Path | None:
    """One panel per algorithm: training loss against step of the shipped NAR and DEAR runs."""
    algorithms = sorted({p.name for p in pretrained.glob("*/*") if (p / "metrics.jsonl").exists()})
    if not algorithms:
        return None
    fig, axes = _grid(len(algorithms))
    for ax, algorithm in zip(axes, algorithms):
        for model in sorted(p.name for p in pretrained.iterdir() if (p / algorithm / "metrics.jsonl").exists()):
            records = read_metrics(pretrained / model / algorithm)
            ax.plot([r["step"] for r in records], [r["loss"] for r in records], label=model)
        ax.set(title=algorithm, xlabel="step", ylabel="training loss", yscale="log")
        ax.legend(fontsize=7)
    return _save(fig, out)


#: Line styles of the DEAR variants (solver settings), in the order they are given.
VARIANT_STYLES = ("-", "--", ":", "-.")


def inference_vs_size(rows: list[dict], variants: Mapping[str, str], out: Path, seconds: bool) -> Path | None:
    """One panel per algorithm of ``bench_inference.json``'s rows: NAR (black) and every DEAR
    column (a colour each, a line style per variant: row field prefix -> label) against graph
    size; ``seconds`` plots time per graph (log), else NAR's T and DEAR's mean iterations."""
    if not rows:
        return None
    algorithms = sorted({row["algorithm"] for row in rows})
    columns = sorted({dear_column(row) for row in rows})
    colours = {column: f"C{i}" for i, column in enumerate(columns)}
    fig, axes = _grid(len(algorithms))
    for ax, algorithm in zip(axes, algorithms):
        mine = sorted((r for r in rows if r["algorithm"] == algorithm), key=lambda r: r["n"])
        nar = {r["n"]: r["nar_median_s" if seconds else "nar_steps_mean"] for r in mine}
        ax.plot(list(nar), list(nar.values()), color="black", marker="o", label="NAR" if seconds else "NAR T")
        for column in columns:
            for (prefix, label), style in zip(variants.items(), VARIANT_STYLES):
                field = f"{prefix}_median_s" if seconds else f"{prefix}_iterations_mean"
                points = [(r["n"], r[field]) for r in mine if dear_column(r) == column and field in r]
                if points:
                    ax.plot(*zip(*points), color=colours[column], linestyle=style, marker=".", label=f"{column} {label}")
        ax.set(title=algorithm, xlabel="nodes", ylabel="s / graph" if seconds else "steps / iterations",
               yscale="log" if seconds else "linear")
        _log_size_axis(ax, set(nar))
    handles = {}
    for ax in axes[:len(algorithms)]:  # one legend for the figure: every label once
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=4, fontsize=7,
               bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.04 + 0.012 * math.ceil(len(handles) / 4), 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
