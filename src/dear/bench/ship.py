"""``dear bench ship``: copy trained table runs into the package as its pretrained models.

A shipped model is a run directory without the resumable checkpoint: ``config.json``,
``model.safetensors``, ``metrics.jsonl``, ``train_summary.json`` and ``eval.json``, so that
``dear evaluate`` and ``dear.solve`` treat it like any run and its provenance stays with it.
Shipping writes the source tree's ``src/dear/pretrained`` (the staging folder packaging picks
up as package data), never an installed package: outside a source checkout it refuses.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SHIPPED_FILES = ("config.json", "model.safetensors", "metrics.jsonl", "train_summary.json", "eval.json")
PRETRAINED_ROOT = Path(__file__).resolve().parents[1] / "pretrained"


def source_tree_pretrained(package: Path = PRETRAINED_ROOT.parent) -> Path:
    """``src/dear/pretrained`` of the source checkout this package runs from; a ``ValueError``
    when it runs from an installed copy (writing there would change an installed package)."""
    source = package.parent
    if source.name != "src" or not (source.parent / "pyproject.toml").exists():
        raise ValueError(f"dear bench ship writes a source checkout's src/dear/pretrained, but dear runs from "
                         f"{package}; run it from a checkout (pip install -e .)")
    return package / "pretrained"


def trained_runs(runs: Path, seed: int = 0) -> list[tuple[str, str, Path]]:
    """``(algorithm, column, run)`` of every run under ``runs``, laid out as the table's
    (``<algorithm>/<column>/seed<seed>``) or as the learning curve's (``<algorithm>/<column>``,
    one seed-0 run each, trained to the curve's last horizon)."""
    runs = Path(runs)
    found = [(r.parent.parent.name, r.parent.name, r) for r in runs.glob(f"*/*/seed{seed}")]
    if seed == 0:
        found += [(c.parent.parent.name, c.parent.name, c.parent) for c in runs.glob("*/*/config.json")]
    return sorted(found)


def ship_pretrained(runs: Path, models: tuple[str, ...] = ("nar", "dear"), seed: int = 0,
                    dest: Path | None = None, algorithms: tuple[str, ...] | None = None,
                    names: dict[str, str] | None = None) -> list[Path]:
    """Copy every trained and evaluated run of the table columns ``models`` (of ``algorithms``,
    default all) under ``runs`` (:func:`trained_runs`: the table's seed-``seed`` cells or the
    curve's runs) into ``dest/<name>/<algorithm>``, where ``name`` is ``names[column]`` (default
    the column itself: ``dear-jac1`` ships as ``model="dear-jac1"``; ``{"dear-warm-fpc": "dear"}``
    ships that recipe as the default DEAR). A replaced folder is emptied first, so no file of an
    older model stays beside the new one."""
    names = names or {}
    dest = source_tree_pretrained() if dest is None else dest
    shipped = []
    for algorithm, model, run in trained_runs(runs, seed):
        if model not in models or (algorithms is not None and algorithm not in algorithms):
            continue
        if not all((run / f).exists() for f in ("train_summary.json", "eval.json")):
            continue
        target = dest / names.get(model, model) / algorithm
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in SHIPPED_FILES:
            if (run / name).exists():
                shutil.copy2(run / name, target / name)
        shipped.append(target)
    return shipped
