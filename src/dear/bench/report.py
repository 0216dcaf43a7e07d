"""``dear bench report``: rebuild ``docs/RESULTS.md`` from the committed result files.

No number in the report is typed by hand: each table is read from a file under ``results/``
that a ``dear bench`` command wrote, and each section names that command. Published figures
are quoted with their source. The code writes tables and figures only; the prose around them
lives in ``docs/results/<section>.md`` (:func:`_prose`), and the machine and commit are read
when the report is built (:func:`machine`, :func:`commit`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import string
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dear.algorithms import REGISTRY, get
from dear.bench.inference import DEAR_VARIANTS, SHIPPED
from dear.bench.records import dear_column
from dear.bench.ship import PRETRAINED_ROOT
from dear.bench.table import TAIL_FRACTION, TEST_SIZES, aggregate, jacobian_weight, read_cells
from dear.bench.uniqueness import STARTS
from dear.config import same_recipe, train_command
from dear.data.splits import TEST, TEST_SAMPLES

#: Our columns set beside the published figures: the blog's DEM against our re-implementation.
OURS_BESIDE_PUBLISHED = ("dem", "dear", "nar")
#: The headline DEAR of an algorithm without a shipped DEAR: the latest recipe it has cells of.
RECIPE_PREFERENCE = ("dear-warm-tol0.01-jac0.1", "dear-warm-tol0.01")

#: The report's prose: one markdown fragment per section, ``docs/results/<section>.md``.
PROSE_ROOT = Path(__file__).resolve().parents[3] / "docs" / "results"

#: The values the code supplies to each fragment, by (section, part); part ``""`` is a fragment
#: without ``<!-- part: NAME -->`` markers. A fragment writes them as ``{name}`` (``str.format``).
PROSE_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("header", ""): (),
    ("data", ""): ("clrs_here_run",),
    ("protocol", ""): ("profile",),
    ("equilibrium", "intro"): ("test_seed", "test_graphs", "load"),
    ("equilibrium", "shipped"): ("each", "mean", "score_margin", "score_wins"),
    ("equilibrium", "recipes"): ("profile", "tail"),
    ("accuracy", "intro"): ("command", "profile", "test_graphs", "test_seed"),
    ("accuracy", "headline"): ("published",),
    ("accuracy", "every-column"): (),
    ("accuracy", "published"): ("source",),
    ("accuracy", "paper-tables"): (),
    ("accuracy", "budget"): ("profile", "steps", "batch_size", "train_samples", "hidden", "official_steps",
                             "official_train_samples", "official_hidden", "more_updates"),
    ("curve", ""): ("profile", "test_seed", "test_graphs"),
    ("training", ""): ("profile", "cores", "tail"),
    ("jacobian", ""): (),
    ("targets", ""): ("min_n", "growing_target", "growing", "other_target", "tol"),
    ("inference", ""): ("commands", "last_run", "cores"),
    ("tolerance", ""): ("commands", "test_seed", "test_graphs"),
    ("shipped", ""): ("test_graphs", "test_seed"),
    ("solve", ""): ("count", "sizes", "real", "tree_valid", "tree_ratio", "correct"),
    ("startup", ""): ("algorithm", "nodes", "repeats", "limit"),
}

_PART = re.compile(r"<!--\s*part:\s*([\w-]+)\s*-->")
_COMMENT = re.compile(r"<!--.*-->")


def prose_parts(section: str) -> dict[str, str]:
    """``docs/results/<section>.md`` split at its ``<!-- part: NAME -->`` markers (text before the
    first marker is part ``""``); other whole-line HTML comments are notes to editors, dropped."""
    path = PROSE_ROOT / f"{section}.md"
    if not path.is_file():
        raise FileNotFoundError(f"report prose fragment {path} is missing")
    parts: dict[str, list[str]] = {"": []}
    part = ""
    for line in path.read_text().splitlines():
        marker = _PART.fullmatch(line.strip())
        if marker:
            part = marker[1]
            if part in parts:
                raise ValueError(f"{path}: part {part!r} appears twice")
            parts[part] = []
        elif not _COMMENT.fullmatch(line.strip()):
            parts[part].append(line)
    return {name: "\n".join(lines).strip() for name, lines in parts.items() if name or "\n".join(lines).strip()}


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a fragment (``{{`` is a literal brace); ``{}`` counts as ``""``."""
    return {re.split(r"[.\[]", field)[0] for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _prose(section: str, part: str = "", **values: object) -> list[str]:
    """The lines of one fragment part with the code's ``values`` filled in. A missing fragment or
    part, or a ``{name}`` the code does not supply, is an error naming the file."""
    declared = PROSE_VALUES.get((section, part))
    if declared is None or set(values) != set(declared):
        raise ValueError(f"prose ({section!r}, {part!r}) is given {sorted(values)}; PROSE_VALUES declares {declared}")
    path = PROSE_ROOT / f"{section}.md"
    parts = prose_parts(section)
    if part not in parts:
        raise KeyError(f"report prose fragment {path} has no part {part!r} (it has: {', '.join(map(repr, parts))})")
    try:
        unknown = placeholders(parts[part]) - set(values)
    except ValueError as error:  # an unmatched brace: write {{ or }} for a literal one
        raise ValueError(f"report prose fragment {path} (part {part!r}): {error}") from None
    if unknown:
        raise KeyError(f"report prose fragment {path} (part {part!r}) uses {{{', '.join(sorted(unknown))}}}, "
                       f"which the report does not supply; it supplies: {', '.join(sorted(values)) or 'nothing'}")
    return parts[part].format(**values).splitlines()


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    return None


def _memory_gib() -> float | None:
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20  # kB
    return None


def machine() -> str:
    """The machine building the report, read now: CPU, cores, memory, GPU, Python and torch."""
    import torch

    arch = platform.machine()
    model = _cpu_model() or platform.processor() or arch or "unknown CPU"
    memory = _memory_gib()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return ", ".join([f"{model} ({arch})" if arch and arch != model else model, f"{os.cpu_count()} CPU cores",
                      *([f"{memory:.0f} GiB"] if memory else []), gpu, f"Python {platform.python_version()}",
                      f"torch {torch.__version__}"])


def commit() -> str:
    """``git rev-parse --short HEAD`` of the code building the report, or "unknown" without git."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


#: Data-benchmark fields that rows of older runs may lack, in table order, with their format.
OPTIONAL_DATA_FIELDS = (("megabytes_per_sample", ".3g"), ("megabytes_per_s", ",.0f"),
                        ("held_megabytes_per_sample", ".3g"), ("float64_megabytes_per_sample", ".3g"),
                        ("load_average_1min", ".2f"), ("python_loop_s", ".3f"))


def _recorded(row: dict, key: str, spec: str) -> str:
    """``row[key]`` formatted, or – for a row measured before the field existed."""
    return format(row[key], spec) if key in row else "–"


def _clrs_measured_here(results: Path) -> tuple[dict, dict[tuple[str, int], dict]]:
    """``tools/clrs_sampler_rates.py``'s file: the CLRS samplers timed on this machine, if run."""
    measured = _load(results / "bench_clrs_samplers.json") or {"meta": {}, "rows": []}
    return measured["meta"], {(row["algorithm"], row["n"]): row for row in measured["rows"]}


def _speedups_here(ours: dict, clrs: dict | None) -> str:
    """CLRS here (samples/s), our wall-clock speed-up over it, and the speed-up per CPU second
    where both sides recorded CPU time (robust to the other load of a shared machine)."""
    if not clrs:
        return "– | – | –"
    per_cpu = (f"{ours['samples_per_cpu_s'] / clrs['samples_per_cpu_s']:.1f}×"
               if "samples_per_cpu_s" in ours and "samples_per_cpu_s" in clrs else "–")
    return f"{clrs['samples_per_s']:,.1f} | {ours['samples_per_s'] / clrs['samples_per_s']:.1f}× | {per_cpu}"


def data_section(results: Path) -> list[str]:
    bench = _load(results / "bench_data.json")
    if not bench:
        return ["*Not measured yet: run `dear bench data`.*"]
    here_meta, here = _clrs_measured_here(results)
    here_note = (f"dm-clrs {here_meta['clrs']}, py loop {here_meta['python_loop_s']:.3f} s, "
                 f"{here_meta['repeats']} repeats of ~{here_meta['seconds_per_call']:g} s" if here_meta else "not run")
    lines = [f"Command: `dear bench data` → `results/bench_data.json`. Machine: {bench.get('meta', {})}.", "",
             *_prose("data", clrs_here_run=here_note), "",
             ("| algorithm | n | ours (samples/s) | ours (samples/CPU s) | CLRS (reference) | speed-up | CLRS here | "
              "speed-up here | per CPU s | MB/sample | MB/s | held MB/sample | as float64 MB/sample | load | "
              "py loop (s) |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in bench["rows"]:
        clrs = row.get("clrs_samples_per_s")
        speedup = row.get("speedup")
        measured = _speedups_here(row, here.get((get(row["algorithm"]).clrs, row["n"])))
        optional = " | ".join(_recorded(row, key, spec) for key, spec in OPTIONAL_DATA_FIELDS)
        lines.append(f"| {row['algorithm']} | {row['n']} | {row['samples_per_s']:,.0f} | "
                     f"{_recorded(row, 'samples_per_cpu_s', ',.0f')} | "
                     f"{clrs if clrs is not None else '–'} | {f'{speedup:.1f}×' if speedup else '–'} | "
                     f"{measured} | {optional} |")
    return lines


def dear_recipes(cells: list[dict], pretrained: Path = PRETRAINED_ROOT) -> dict[str, str]:
    """``algorithm -> column``: the DEAR recipe the headline table shows for each algorithm, the
    column whose seed-0 cell trained the shipped DEAR (same config), else the first of
    :data:`RECIPE_PREFERENCE` with cells, else its only DEAR column."""
    columns: dict[str, set[str]] = {}
    for record in cells:
        cell = record["cell"]
        if cell["column"].startswith("dear"):
            columns.setdefault(cell["algorithm"], set()).add(cell["column"])
    recipes = {}
    for algorithm, found in columns.items():
        shipped = _load(pretrained / "dear" / algorithm / "config.json")
        same = [r["cell"]["column"] for r in cells if shipped and r["cell"]["algorithm"] == algorithm
                and r["cell"]["column"] in found and r["cell"]["seed"] == shipped.get("seed")
                and same_recipe(r.get("config", {}), shipped)]
        preferred = [c for c in RECIPE_PREFERENCE if c in found]
        choice = same or preferred or (sorted(found) if len(found) == 1 else [])
        if choice:
            recipes[algorithm] = choice[0]
    return recipes


def _score(entry: dict | None) -> str:
    return f"{entry['mean']:.3f} ± {entry['std']:.3f} [{entry['n']}]" if entry else "–"


def _converged(cells: list[dict], algorithm: str, column: str, size: str) -> str:
    """Mean converged share and tolerance of a column's cells at ``size`` (– without records)."""
    found = [r["eval"][size] for r in cells if r["cell"]["algorithm"] == algorithm and r["cell"]["column"] == column
             and "converged_fraction" in r["eval"].get(size, {})]
    if not found:
        return "–"
    tol = sorted({f"{e['eval_tol']:g}" for e in found if "eval_tol" in e})
    share = float(np.mean([e["converged_fraction"] for e in found]))
    return f"{share:.0%}" + (f" at {'/'.join(tol)}" if tol else "")


def headline_lines(results: Path, profile: str, table: dict, pretrained: Path = PRETRAINED_ROOT) -> list[str]:
    """The table a reader wants first: per algorithm, NAR, NAR-LT and DEAR (one recipe each,
    :func:`dear_recipes`) at every size, DEAR's converged share at 64, and the published CLRS-30
    figures (``results/published_clrs.json``) where they exist."""
    cells = read_cells(results / "table" / profile)
    recipes = dear_recipes(cells, pretrained)
    sizes = sorted({int(s) for cols in table.values() for by in cols.values() for s in by})
    published = _load(results / "published_clrs.json") or {"columns": [], "figures": {}}
    header = [f"{name} @{size}" for size in sizes for name in ("nar", "nar-lt", "DEAR")]
    header += ["DEAR recipe", "DEAR converged @64", *published["columns"]]
    lines = [*_prose("accuracy", "headline", published=published.get("source", "none found")), "",
             "| algorithm | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for algorithm in sorted(table):
        recipe = recipes.get(algorithm)
        columns = ("nar", "nar-lt", recipe)
        scores = [_score(table[algorithm].get(c, {}).get(str(size)) if c else None) for size in sizes for c in columns]
        quoted = published["figures"].get(algorithm, {})
        lines.append(f"| {algorithm} | " + " | ".join([
            *scores, f"`{recipe}`" if recipe else "–", _converged(cells, algorithm, recipe, "64") if recipe else "–",
            *(quoted.get(c, "–") for c in published["columns"])]) + " |")
    return lines


def table_section(results: Path, profile: str) -> list[str]:
    table = aggregate(results / "table" / profile)
    if not table:
        return [f"*No finished cells yet: run `dear bench table --profile {profile}`.*"]
    columns = sorted({c for cols in table.values() for c in cols})
    sizes = sorted({int(s) for cols in table.values() for by in cols.values() for s in by})
    command = f"`dear bench table --profile {profile} --seeds S --columns {','.join(columns)}`"
    lines = [*_prose("accuracy", "intro", command=command, profile=profile, test_graphs=TEST_SAMPLES,
                     test_seed=TEST.seed), "", *headline_lines(results, profile, table), "",
             *_prose("accuracy", "every-column"), ""]
    header = [f"{c} @{s}" for s in sizes for c in columns]
    lines += ["| algorithm | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for algorithm in sorted(table):
        cells = []
        for size in sizes:
            for column in columns:
                cells.append(_score(table[algorithm].get(column, {}).get(str(size))))
        lines.append(f"| {algorithm} | " + " | ".join(cells) + " |")
    return lines + published_lines(results, table) + ["", *_prose("accuracy", "paper-tables"), "",
                                                      *budget_note(profile)]


def published_lines(results: Path, table: dict) -> list[str]:
    """Published figures (``results/published.json``: figures, source, and what we found about
    each gap) beside our columns at 64 nodes."""
    published = _load(results / "published.json")
    if not published:
        return []
    figures = published["figures"]
    findings = {(f["algorithm"], f["column"]): f["finding"] for f in published["findings"]}
    ours = [c for c in OURS_BESIDE_PUBLISHED if any(c in table.get(a, {}) for a in figures)]
    lines = ["", *_prose("accuracy", "published", source=published["source"]), "",
             "| algorithm | " + " | ".join([*next(iter(figures.values())), *(f"ours {c}" for c in ours)]) + " |",
             "|---" * (len(next(iter(figures.values()))) + len(ours) + 1) + "|"]
    for algorithm, quoted in figures.items():
        mine = [table.get(algorithm, {}).get(c, {}).get("64") for c in ours]
        lines.append(f"| {algorithm} | " + " | ".join([*quoted.values(), *(
            f"{entry['mean']:.1%} [{entry['n']}]" if entry else "–" for entry in mine)]) + " |")
    for algorithm, quoted in figures.items():
        for column, name in published["compared"].items():
            entry = table.get(algorithm, {}).get(column, {}).get("64")
            figure = float(quoted[name].split("%")[0]) / 100
            if entry and abs(entry["mean"] - figure) > published["gap"]:
                finding = findings.get((algorithm, column), published["unexplained"])
                lines += ["", (f"*{algorithm}, ours {column} {entry['mean']:.1%} against {name} {figure:.1%}:* "
                               f"{finding}")]
    return lines


def budget_note(profile: str) -> list[str]:
    """Why a cheap profile's numbers sit apart from published ones: its budget against the
    paper protocol's, read from the two profiles."""
    from dear.config import profile_defaults

    ours, paper = profile_defaults(profile), profile_defaults("official")
    if ours == paper:
        return []
    return _prose("accuracy", "budget", profile=profile, steps=f"{ours['steps']:,}", batch_size=ours["batch_size"],
                  train_samples=f"{ours['train_samples']:,}", hidden=ours["hidden"],
                  official_steps=f"{paper['steps']:,}", official_train_samples=f"{paper['train_samples']:,}",
                  official_hidden=paper["hidden"], more_updates=f"{paper['steps'] / ours['steps']:.0f}")


#: Settings compared between the official and a cheaper profile, in the order of the table.
PROTOCOL_SETTINGS = ("train_samples", "train_sizes", "random_pos", "val_samples", "val_size", "test_samples",
                     "hidden", "batch_size", "lr", "grad_clip", "steps", "select_by", "solver", "anderson_m", "tol",
                     "max_iter", "eval_tol", "eval_max_iter", "backward", "phantom_damping", "backward_tol",
                     "jacobian_weight", "align_weight", "state_noise", "start_noise", "stochastic_steps",
                     "correction_states")
#: Settings a cheaper profile may change (the budget); any other difference is flagged.
BUDGET = ("hidden", "steps", "eval_every", "checkpoint_every", "log_every", "test_sizes")


def protocol_section(profile: str) -> list[str]:
    """The official protocol beside ``profile``'s, read from the two profile files (with the
    dataclass defaults where a profile is silent), every difference marked."""
    from dataclasses import fields

    from dear.config import TrainConfig, profile_defaults

    defaults = {f.name: f.default for f in fields(TrainConfig)}
    official, ours = defaults | profile_defaults("official"), defaults | profile_defaults(profile)
    lines = [*_prose("protocol", profile=profile), "", f"| setting | official | {profile} | |", "|---|---|---|---|"]
    for name in PROTOCOL_SETTINGS:
        a, b = official[name], ours[name]
        mark = "" if a == b else ("budget" if name in BUDGET else "**differs**")
        lines.append(f"| {name} | {a} | {b} | {mark} |")
    return lines


def equilibrium_section(results: Path, profile: str) -> list[str]:
    """The equilibrium check on the shipped DEARs, and every DEAR recipe of the table at the same
    strict tolerance beside its NAR (the ablation), with its training cost and training solver."""
    bench = _load(results / "bench_equilibrium.json")
    if not bench:
        return ["*Not measured yet: run `dear bench equilibrium` (and `--source table`).*"]
    meta, rows = bench["meta"], bench["rows"]
    check = meta["check"]
    graphs = sorted({r["samples"] for r in rows if "samples" in r})
    lines = [*_prose("equilibrium", "intro", test_seed=meta["test_seed"],
                     test_graphs=", ".join(map(str, graphs)) or TEST_SAMPLES, load=f"{meta['load_average_1min']:.1f}"),
             ""]
    shipped = [r for r in rows if r["source"] == "shipped"]
    if shipped:
        verdict = meta.get("verdict", {})
        yes = {True: "yes", False: "no"}
        criteria = _prose("equilibrium", "shipped", each=f"{check['each']:.0%}", mean=f"{check['mean']:.0%}",
                          score_margin=check["score_margin"], score_wins=check["score_wins"])
        # The verdict, computed, ends the criteria's paragraph.
        criteria[-1] += (f" Result: each ≥ {check['each']:.0%}: **{yes[bool(verdict.get('each_converged'))]}** "
                         f"(below: {', '.join(verdict.get('below_each', [])) or 'none'}); mean "
                         f"{verdict.get('mean_converged', float('nan')):.1%}: "
                         f"**{yes[bool(verdict.get('mean_holds'))]}**; within {check['score_margin']} of NAR or "
                         f"above on {verdict.get('score_within_margin')} of {verdict.get('algorithms')}: "
                         f"**{yes[bool(verdict.get('score_holds'))]}** (misses: "
                         f"{', '.join(verdict.get('score_misses', [])) or 'none'}).")
        lines += [*criteria, "", *_equilibrium_rows(shipped, {})]
    table = [r for r in rows if r["source"] == "table"]
    if table:
        records = {(r["cell"]["algorithm"], r["cell"]["column"], r["cell"]["seed"]): r
                   for r in read_cells(results / "table" / profile)}
        lines += ["", *_prose("equilibrium", "recipes", profile=profile, tail=f"{TAIL_FRACTION:.0%}"), ""]
        lines += _equilibrium_rows(table, records)
    return lines


def _equilibrium_rows(rows: list[dict], records: dict) -> list[str]:
    """One row per DEAR, with the adjoint solve at its fixed points (– for rows measured before)."""
    lines = [("| algorithm | column | seed | n | tol | cap | score | NAR | converged | iterations (mean / max) "
              "| residual (mean / max) | train min | converged in training | adjoint converged (iterations) "
              "| same answer from another start (fixed-point distance) |"),
             "|---" * 15 + "|"]
    for r in sorted(rows, key=lambda r: (r["algorithm"], r["column"], r["seed"])):
        record = records.get((r["algorithm"], r["column"], r["seed"]), {})
        minutes = f"{record['train_seconds'] / 60:.1f}" if record.get("train_seconds") else "–"
        trained = (record.get("tail_solver") or {}).get("converged_fraction")
        line = (f"| {r['algorithm']} | {r['column']} | {r['seed']} | {r['n']} | {r['tol']:g} | "
                f"{r['eval_max_iter']} | {r['score']:.3f} | {r['nar_score']:.3f} | "
                f"{r['converged_fraction']:.0%} | "
                f"{r['iterations_mean']:.1f} / {r['iterations_max']:.0f} | {r['residual_mean']:.3g} / "
                f"{r['residual_max']:.3g} | {minutes} | {'–' if trained is None else f'{trained:.0%}'} |")
        line += (f" {r['adjoint_converged_fraction']:.0%} ({r['adjoint_iterations_mean']:.1f}) |"
                 if "adjoint_converged_fraction" in r else " – |")
        lines.append(line + f" {_starts_cell(r)} |")
    return lines


def _starts_cell(row: dict) -> str:
    """``zeros 87% (0.40) · random 48% (0.72)``: per start other than the model's own, the share of
    answers that stay the same and the median relative distance between the fixed points."""
    parts = []
    for start in STARTS:
        if f"{start}_agreement" not in row:
            continue
        distance = row[f"{start}_distance_median"]
        parts.append(f"{start} {row[f'{start}_agreement']:.0%} ({'–' if distance is None else f'{distance:.2f}'})")
    return " · ".join(parts) or "–"


def curve_section(results: Path, profile: str) -> list[str]:
    """Score at n=64 against training steps (``dear bench curve``): how much of a gap is budget."""
    from dear.bench.curve import HORIZONS

    records = [json.loads(p.read_text()) for p in sorted((results / "curve" / profile).glob("*.json"))]
    if not records:
        return [f"*Not measured yet: run `dear bench curve --profile {profile}`.*"]
    horizons = sorted({int(h) for r in records for h in r["horizons"]} | set(HORIZONS))
    seeds = sorted({r.get("test_seed", TEST.seed) for r in records})
    lines = [*_prose("curve", profile=profile, test_seed=", ".join(map(str, seeds)), test_graphs=TEST_SAMPLES), "",
             "| algorithm | model | " + " | ".join(f"{h:,} steps" for h in horizons) + " |",
             "|---|---|" + "---|" * len(horizons)]
    for r in sorted(records, key=lambda r: (r["algorithm"], r["model"])):
        cells = []
        for h in horizons:
            entry = r["horizons"].get(str(h))
            if entry is None:
                cells.append("–")
                continue
            minutes = f", {entry['train_seconds'] / 60:.0f} min" if entry.get("train_seconds") else ""
            converged = f", {entry['converged_fraction']:.0%} conv." if "converged_fraction" in entry else ""
            cells.append(f"{entry['score']:.3f}{minutes}{converged}")
        lines.append(f"| {r['algorithm']} | {r['model']} | " + " | ".join(cells) + " |")
    return lines


def training_section(results: Path, profile: str) -> list[str]:
    """Per cell: training time, final training loss, best validation score and, for the
    equilibrium models, how the solver fared at test time. Placing ``dear`` beside
    ``dear-align`` here is the alignment comparison (same seed, same data, same budget)."""
    records = read_cells(results / "table" / profile)
    if not records:
        return [f"*No finished cells yet: run `dear bench table --profile {profile}`.*"]
    lines = [*_prose("training", profile=profile, cores=os.cpu_count(), tail=f"{TAIL_FRACTION:.0%}"), "",
             ("| algorithm | column | seed | train min | training loss | best val | converged in training "
              "| score @64 | DEAR iterations @64 | converged @64 |"), "|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(records, key=lambda r: (r["cell"]["algorithm"], r["cell"]["column"], r["cell"]["seed"])):
        cell, at64 = r["cell"], r["eval"].get("64", {})
        minutes = f"{r['train_seconds'] / 60:.1f}" if r.get("train_seconds") else "–"
        parts = r.get("tail_loss_parts") or {}
        if parts:
            loss = f"{parts['loss']:.4f}"
        else:  # cells recorded before the tail mean: their last logged step
            parts = r.get("final_loss_parts", {})
            loss = f"{r['final_loss']:.4f}*" if r.get("final_loss") is not None else "–"
        for term in ("align", "jacobian"):  # total = output losses + these weighted auxiliary terms
            if term in parts:
                loss += f" ({term} {parts[term]:.4f})"
        solver = (f"{at64['iterations_mean']:.1f}", f"{at64['converged_fraction']:.0%}") \
            if "iterations_mean" in at64 else ("–", "–")
        trained = r.get("tail_solver") or {}
        in_training = f"{trained['converged_fraction']:.0%}" if trained else "–"
        lines.append(f"| {cell['algorithm']} | {cell['column']} | {cell['seed']} | {minutes} | {loss} | "
                     f"{r['train']['best_val_score']:.3f} | {in_training} | {at64.get('score', float('nan')):.3f} | "
                     f"{solver[0]} | {solver[1]} |")
    return lines


def jacobian_section(results: Path, profile: str) -> list[str]:
    """DEAR's score and test-time solver iterations at n=64 by Jacobian weight, for the algorithms
    that have a ``dear-jac<w>`` cell: the regulariser's trade-off between speed and accuracy."""
    at64: dict[str, dict[str, list[dict]]] = {}
    for r in read_cells(results / "table" / profile):
        cell = r["cell"]
        if jacobian_weight(cell["column"]) is not None and "64" in r["eval"]:
            at64.setdefault(cell["algorithm"], {}).setdefault(cell["column"], []).append(r["eval"]["64"])
    at64 = {a: by for a, by in at64.items() if any(c != "dear" for c in by)}
    if not at64:
        return [f"*No `dear-jac<w>` cells yet: run `dear bench table --profile {profile} --columns dear-jac1`.*"]
    columns = sorted({c for by in at64.values() for c in by}, key=jacobian_weight)
    lines = [*_prose("jacobian"), "",
             "| algorithm | " + " | ".join(f"w = {jacobian_weight(c):g} (`{c}`)" for c in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for algorithm, by in sorted(at64.items()):
        cells = []
        for column in columns:
            evals = by.get(column)
            cells.append(f"{np.mean([e['score'] for e in evals]):.3f} in "
                         f"{np.mean([e['iterations_mean'] for e in evals]):.1f} it [{len(evals)}]" if evals else "–")
        lines.append(f"| {algorithm} | " + " | ".join(cells) + " |")
    return lines


def _column_flag(column: str) -> str:
    """The flags that time ``column``: nothing for the packaged models, else the table's cell."""
    return "" if column == SHIPPED else f" --source table --dear-column {column}"


def _bench_commands(what: str, rows: list[dict], flags: Callable[[dict], str]) -> list[str]:
    """One ``dear bench WHAT`` command per group of rows run with the same ``flags``, naming the
    group's algorithms and sizes: a results file filled over several runs shows each of them."""
    commands = []
    for flag in dict.fromkeys(map(flags, rows)):
        group = [r for r in rows if flags(r) == flag]
        algorithms = ",".join(dict.fromkeys(r["algorithm"] for r in group))
        sizes = ",".join(str(n) for n in sorted({r["n"] for r in group}))
        commands.append(f"`dear bench {what} --algorithms {algorithms} --sizes {sizes}{flag}`")
    return commands


def inference_section(results: Path, out: Path) -> list[str]:
    bench = _load(results / "bench_inference.json")
    if not bench:
        return ["*Not measured yet: run `dear bench inference`.*"]
    meta, rows = bench["meta"], bench["rows"]
    commands = _bench_commands("inference", rows, lambda r: _column_flag(dear_column(r))
                               + f" --warmup {r['warmup']} --repeats {r['repeats']}")
    lines = [*_prose("inference", commands="; ".join(commands), last_run=meta, cores=os.cpu_count()), "",
             "| algorithm | DEAR column | n | load | NAR s/graph | NAR steps T | " + " | ".join(
                 f"DEAR s/graph ({tol}) | iterations | DEAR / NAR" for tol in DEAR_VARIANTS.values()) + " |",
             "|---|---|---|---|---|---|" + "---|---|---|" * len(DEAR_VARIANTS)]
    for r in rows:
        cells = [r["algorithm"], dear_column(r), str(r["n"]), f"{r['load_average_1min']:.1f}",
                 f"{r['nar_median_s']:.4f} ({r['nar_q1_s']:.4f}–{r['nar_q3_s']:.4f})",
                 f"{r['nar_steps_mean']:.1f}"]
        for variant in DEAR_VARIANTS:
            if f"{variant}_median_s" in r:
                cells += [f"{r[f'{variant}_median_s']:.4f}", f"{r[f'{variant}_iterations_mean']:.1f}",
                          f"{r[f'{variant}_over_nar']:.2f}"]
            else:  # measured before this variant existed
                cells += ["–"] * 3
        lines.append("| " + " | ".join(cells) + " |")
    for name, caption in (("median", "Seconds per graph vs size"),
                          ("iterations", "NAR's T and DEAR's iterations vs size")):
        path = results / f"bench_inference_{name}.png"
        if path.exists():
            lines += ["", f"{caption}:", "", f"![{caption}]({os.path.relpath(path, out.parent)})"]
    return lines


#: Issue 5's targets for DEAR / NAR time: held at every timed n >= TARGET_MIN_N.
TARGET_MIN_N = 64
#: Where NAR's T grows with n, DEAR must take at most half of NAR's time; elsewhere at most 1.5x.
GROWING_T_TARGET, OTHER_TARGET = 0.5, 1.5


def time_target(algorithm: str) -> float:
    """Issue 5's target for DEAR / NAR time at n >= TARGET_MIN_N for ``algorithm``."""
    return GROWING_T_TARGET if get(algorithm).t_grows else OTHER_TARGET


#: The timed variant held to the targets: tolerance 1e-2, at which the equilibrium check asks
#: DEARs to converge (at 0.1 a "converged" state is still 10% from its image).
TARGET_VARIANT = "dear_relaxed"


def targets_section(results: Path, profile: str) -> list[str]:
    """Each (algorithm, DEAR column) against its time target, beside the scores that the time buys."""
    bench = _load(results / "bench_inference.json")
    if not bench:
        return ["*Not measured yet: run `dear bench inference`.*"]
    table = aggregate(results / "table" / profile)
    cases: dict[tuple[str, str], dict[int, dict]] = {}
    for r in bench["rows"]:
        if r["n"] >= TARGET_MIN_N:
            cases.setdefault((r["algorithm"], dear_column(r)), {})[r["n"]] = r

    recipes = dear_recipes(read_cells(results / "table" / profile))

    def score(algorithm: str, column: str) -> str:
        column = recipes.get(algorithm, "–") if column == SHIPPED else column  # the shipped DEAR's cells
        entry = table.get(algorithm, {}).get(column, {}).get("64")
        return f"{entry['mean']:.3f} [{entry['n']}]" if entry else "–"

    lines = [*_prose("targets", min_n=TARGET_MIN_N, growing_target=f"{GROWING_T_TARGET:g}",
                     growing=", ".join(name for name, r in REGISTRY.items() if r.t_grows),
                     other_target=f"{OTHER_TARGET:g}", tol=DEAR_VARIANTS[TARGET_VARIANT].removeprefix("tol ")), "",
             (f"| algorithm | DEAR column | target | DEAR / NAR at {DEAR_VARIANTS[TARGET_VARIANT]} (by n) | met | "
              "cheapest variant (by n) | score @64 | nar score @64 |"), "|---|---|---|---|---|---|---|---|"]
    for (algorithm, column), by_n in sorted(cases.items()):
        target = time_target(algorithm)
        ratios, cheapest = {}, []
        for n, r in sorted(by_n.items()):
            ratios[n] = r[f"{TARGET_VARIANT}_over_nar"]
            variant = min(DEAR_VARIANTS, key=lambda v: r.get(f"{v}_over_nar", np.inf))
            cheapest.append(f"{n}: {r[f'{variant}_over_nar']:.2f} ({DEAR_VARIANTS[variant]})")
        met = "yes" if all(ratio <= target for ratio in ratios.values()) else "no"
        shown = f"shipped (`{recipes.get(algorithm, '?')}`)" if column == SHIPPED else column
        lines.append(f"| {algorithm} | {shown} | ≤ {target:g} | "
                     + ", ".join(f"{n}: {ratio:.2f}" for n, ratio in ratios.items())
                     + f" | {met} | {'; '.join(cheapest)} | {score(algorithm, column)} | {score(algorithm, 'nar')} |")
    return lines


def tolerance_section(results: Path, out: Path) -> list[str]:
    bench = _load(results / "bench_tolerance.json")
    if not bench:
        return ["*Not measured yet: run `dear bench tolerance`.*"]
    rows = bench["rows"]
    commands = _bench_commands("tolerance", rows, lambda r: _column_flag(r["column"]) + (
        f" --patience {r['patience']}" if r.get("patience") else ""))
    lines = [*_prose("tolerance", commands="; ".join(commands), test_seed=bench["meta"]["test_seed"],
                     test_graphs=rows[0]["samples"]), "",
             ("| algorithm | column | n | tol | patience | score | iterations (mean / max) | converged | stalled "
              "| iterations / T | NAR score | NAR T |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        patience, stalled = ((str(r["patience"]), f"{r['stalled_fraction']:.0%}") if r.get("patience")
                             else ("–", "–"))
        lines.append(f"| {r['algorithm']} | {r['column']} | {r['n']} | {r['tol']:g} | {patience} | "
                     f"{r['score']:.3f} | {r['iterations_mean']:.1f} / {r['iterations_max']:.0f} | "
                     f"{r['converged_fraction']:.0%} | {stalled} | {r['iterations_mean'] / r['nar_steps_mean']:.2f} | "
                     f"{r['nar_score']:.3f} | {r['nar_steps_mean']:.1f} |")
    figure = os.path.relpath(results / "plots" / "tolerance_tradeoff.png", out.parent)
    return [*lines, "", f"![DEAR score vs solver iterations]({figure})"]


#: The eval.json sizes the shipped table shows: the table's test sizes, which its cells (and so
#: the models shipped from them) are scored at.
SHIPPED_SIZES = tuple(map(str, TEST_SIZES))


def shipped_section(pretrained: Path) -> list[str]:
    """How each shipped model was trained (its config.json) and what it scored (its eval.json)."""
    runs = sorted(pretrained.glob("*/*/config.json"))
    if not runs:
        return ["*No models shipped yet: run `dear bench ship`.*"]
    lines = [*_prose("shipped", test_graphs=TEST_SAMPLES, test_seed=TEST.seed), "",
             "| shipped as | algorithm | trained with | steps | best val (graph size) | "
             + "".join(f"score @{size} | " for size in SHIPPED_SIZES)
             + f"converged {' / '.join(f'@{size}' for size in SHIPPED_SIZES)} (mean iterations; tol, cap) |",
             "|---|---|---|---|---|" + "---|" * (len(SHIPPED_SIZES) + 1)]
    for path in runs:
        config = json.loads(path.read_text())
        evaluation = _load(path.parent / "eval.json") or {}
        summary = _load(path.parent / "train_summary.json") or {}
        command = f"`{train_command(config)}`"
        scores = "".join(f"{evaluation[size]['score']:.3f} | " if size in evaluation else "– | " for size in SHIPPED_SIZES)
        best, val_size = summary.get("best_val_score"), config.get("val_size", 16)
        lines.append(f"| {path.parent.parent.name} | {config['algorithm']} | {command} | {config['steps']} | "
                     f"{'–' if best is None else f'{best:.3f} ({val_size})'} | {scores}"
                     f"{_shipped_convergence(evaluation)} |")
    return lines


def _shipped_convergence(evaluation: dict) -> str:
    """A shipped DEAR's converged share at each of :data:`SHIPPED_SIZES` as its eval.json measured
    it, with the tolerance and cap it was measured at (a NAR, which solves nothing: –)."""
    sizes = [evaluation[size] if "converged_fraction" in evaluation.get(size, {}) else None for size in SHIPPED_SIZES]
    solved = [e for e in sizes if e is not None]
    if not solved:
        return "–"
    shares = " / ".join("–" if e is None else f"{e['converged_fraction']:.0%} ({e['iterations_mean']:.1f})" for e in sizes)
    return f"{shares}; {solved[0]['eval_tol']:g}, {solved[0]['eval_max_iter']}"


def solve_section(results: Path) -> list[str]:
    """``dear bench solve``'s verdict: per shipped model and algorithm, validity, weight against
    the optimum, tie-aware correctness at the largest size, and whether the check holds."""
    from dear.bench.solve_quality import CORRECT, REAL_GRAPHS, SIZES, TREE_RATIO, TREE_VALID

    data = _load(results / "bench_solve.json")
    if not data:
        return ["*Not measured yet: run `dear bench solve`.*"]
    largest = max(SIZES)
    lines = [*_prose("solve", count=data["meta"]["count"], sizes=" and ".join(map(str, SIZES)),
                     real=", ".join(REAL_GRAPHS), tree_valid=f"{TREE_VALID:.0%}", tree_ratio=f"{TREE_RATIO - 1:.0%}",
                     correct=CORRECT), "",
             f"| model | algorithm | answers | never silently wrong | valid | mean weight / optimum | "
             f"correct @{largest} | converged @{largest} | check |", "|---|---|---|---|---|---|---|---|---|"]
    for model, by_algorithm in data["meta"]["verdict"].items():
        for algorithm, v in by_algorithm.items():
            count = sum(r["model"] == model and r["algorithm"] == algorithm for r in data["rows"])
            refused = f" ({v['refused']} refused)" if v.get("refused") else ""
            ratio = "–" if v["mean_ratio"] is None else f"{v['mean_ratio']:.3f}"
            correct, converged = v[f"correct_at_{largest}"], v.get(f"converged_at_{largest}")
            lines.append(f"| {model} | {algorithm} | {count}{refused} | {'yes' if v['never_silently_wrong'] else '**no**'} | "
                         f"{v['valid']:.0%} | {ratio} | {'–' if correct is None else f'{correct:.3f}'} | "
                         f"{'–' if converged is None else f'{converged:.0%}'} | "
                         f"{'holds' if v['holds'] else '**misses**'} |")
    deep = [(model, algorithm, v[f"correct_by_hops_at_{largest}"]) for model, by_algorithm in data["meta"]["verdict"].items()
            for algorithm, v in by_algorithm.items() if v.get(f"correct_by_hops_at_{largest}")]
    if deep:
        lines += ["", f"Shortest-path answers at n = {largest}, share of right pointers by the node's depth in the "
                  "tree (fewest arcs of a shortest path from the source; nodes at that depth in brackets):", "",
                  "| model | algorithm | right pointers by depth |", "|---|---|---|"]
        lines += [f"| {model} | {algorithm} | " + " · ".join(f"{hops}: {share:.2f} ({nodes})" for hops, (share, nodes) in by_hops.items())
                  + " |" for model, algorithm, by_hops in deep]
    return lines


def startup_section(results: Path) -> list[str]:
    """``dear bench startup``'s medians and verdict, with the machine and its load."""
    data = _load(results / "bench_startup.json")
    if not data:
        return ["*Not measured yet: run `dear bench startup`.*"]
    meta, v = data["meta"], data["meta"]["verdict"]
    load = [r["load_average_1min"] for r in data["rows"]]
    return [*_prose("startup", algorithm=meta["algorithm"], nodes=meta["nodes"], repeats=meta["repeats"],
                    limit=f"{v['limit_s']:.0f} s"), "",
            "| `import torch` | `dear solve` | extra | limit | check | machine | load (1 min) |", "|---|---|---|---|---|---|---|",
            f"| {v['import_torch_s']:.2f} s | {v['solve_s']:.2f} s | {v['extra_s']:+.2f} s | {v['limit_s']:.0f} s | "
            f"{'holds' if v['holds'] else '**misses**'} | {meta['machine']}, {meta['cores']} cores, Python {meta['python']} | "
            f"{min(load):.2f}-{max(load):.2f} |"]


def json_section(results: Path, name: str, command: str) -> list[str]:
    data = _load(results / name)
    if not data:
        return [f"*Not measured yet: run `{command}`.*"]
    return [f"Command: `{command}` → `results/{name}`:", "", "```json", json.dumps(data, indent=2)[:4000], "```"]


def figures_section(results: Path, out: Path, profile: str) -> list[str]:
    """Redraw the table's figures under ``results/plots/`` and link them from the report."""
    import dear.bench.figures as figures

    plots = results / "plots"
    drawn = {
        "Score vs test size (mean ± std over seeds)":
            figures.scores_vs_size(results, profile, plots / "scores_vs_size.png"),
        "DEAR solver iterations (o, left) and worst relative residual (x, right) vs test size":
            figures.solver_vs_size(results, profile, plots / "solver_vs_size.png"),
        "Training loss, NAR vs DEAR (the shipped seed-0 cpu runs' metrics.jsonl)":
            figures.loss_curves(PRETRAINED_ROOT, plots / "loss_curves.png"),
    }
    lines = []
    for caption, path in drawn.items():
        if path is not None:
            lines += [f"{caption}:", "", f"![{caption}]({os.path.relpath(path, out.parent)})", ""]
    return lines or ["*No figures yet: no finished cells.*"]


def write_report(results: Path = Path("results"), out: Path = Path("docs/RESULTS.md"),
                 profile: str = "cpu") -> Path:
    sections = [
        "# Results",
        "",
        *_prose("header"),
        "",
        f"Built at commit `{commit()}` on: {machine()}.",
        "",
        "## Data generation throughput",
        *data_section(results),
        "",
        f"## Protocol: official vs `{profile}`",
        *protocol_section(profile),
        "",
        "## DEAR at equilibrium: convergence at a strict tolerance, and the recipes compared",
        *equilibrium_section(results, profile),
        "",
        f"## Accuracy (profile `{profile}`)",
        *table_section(results, profile),
        "",
        f"## Learning curve: score vs training steps (profile `{profile}`)",
        *curve_section(results, profile),
        "",
        "## Figures",
        *figures_section(results, out, profile),
        f"## Training cost, losses and convergence per cell (profile `{profile}`)",
        *training_section(results, profile),
        "",
        "## DEAR's Jacobian regularisation: score vs solver iterations",
        *jacobian_section(results, profile),
        "",
        "## Inference time against the targets",
        *targets_section(results, profile),
        "",
        "## Inference time: NAR vs DEAR",
        *inference_section(results, out),
        "",
        "## DEAR's solver tolerance: score vs iterations",
        *tolerance_section(results, out),
        "",
        "## Shipped pretrained models",
        *shipped_section(PRETRAINED_ROOT),
        "",
        "## `dear.solve` on users' graphs: valid, repaired, right?",
        *solve_section(results),
        "",
        "## `dear solve` start-up: the cost beyond importing torch",
        *startup_section(results),
        "",
        "## Large sparse graphs",
        *json_section(results, "bench_large_graph.json", "dear bench large-graph"),
        "",
        "## DEAR training memory vs solver iterations",
        *json_section(results, "bench_deq_memory.json", "dear bench memory"),
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(sections))
    return out
