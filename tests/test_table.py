"""The experiment grid: cell commands and the order cells are trained in."""

import json
import re
from pathlib import Path

import pytest

import dear.bench.table as table
from dear.bench.table import Cell


def test_aligned_cell_trains_dear_against_the_same_seeds_nar_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "cpu" / "mst_prim" / "dear-align" / "seed2"
    argv = Cell("mst_prim", "dear-align", 2).command("cpu", run_dir, resume=False)
    assert argv[argv.index("--model") + 1] == "dear"
    assert argv[argv.index("--align") + 1] == str(tmp_path / "cpu" / "mst_prim" / "nar" / "seed2")


@pytest.mark.parametrize("column, weight", [("dear-jac", "0.1"), ("dear-jac1", "1"), ("dear-jac0.25", "0.25")])
def test_jacobian_columns_train_dear_with_their_weight(tmp_path: Path, column: str, weight: str) -> None:
    argv = Cell("bfs", column, 0).command("cpu", tmp_path, resume=False)
    assert argv[argv.index("--model") + 1] == "dear"
    assert argv[argv.index("--jacobian-weight") + 1] == weight


def test_other_columns_name_their_model() -> None:
    assert table.column_model("nar-lt") == ("nar-lt", [])
    assert table.column_model("triplet") == ("nar", ["--processor", "triplet"])
    with pytest.raises(ValueError, match="unknown table column 'dear-jacx'"):
        table.grid(["bfs"], ["nar", "dear-jacx"], seeds=1)


def test_aligned_cells_wait_for_their_nar_partners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    monkeypatch.setattr(table, "run_cell", lambda cell, *args: order.append(cell.name))
    table.run_table(tmp_path, profile="smoke", seeds=1, algorithms=["bfs", "mst_prim"], columns=["dear-align"],
                    workers=2, runs_root=tmp_path / "runs")
    assert sorted(order[:2]) == ["bfs__nar__seed0", "mst_prim__nar__seed0"]  # partners added, trained first
    assert sorted(order[2:]) == ["bfs__dear-align__seed0", "mst_prim__dear-align__seed0"]


def test_aligned_cell_refuses_an_unfinished_partner(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has not finished training"):
        table.run_cell(Cell("bfs", "dear-align", 0), "smoke", tmp_path / "runs", tmp_path / "results", (16,), 4)


def test_report_lists_each_cell_with_its_alignment_term(tmp_path: Path) -> None:
    from dear.bench.report import training_section

    cells = tmp_path / "table" / "cpu"
    cells.mkdir(parents=True)
    for column, parts in (("dear", {"pi": 0.2}), ("dear-align", {"pi": 0.15, "align": 0.01})):
        record = {"cell": {"algorithm": "mst_prim", "column": column, "seed": 0}, "train": {"best_val_score": 0.9},
                  "eval": {"64": {"score": 0.7, "iterations_mean": 30.0, "converged_fraction": 0.5,
                                          "residual_max": 1e-3}},
                  "final_loss": sum(parts.values()), "final_loss_parts": parts, "train_seconds": 600.0}
        if column == "dear-align":  # recorded with the tail mean, which the report prefers
            record["tail_loss_parts"] = {"loss": 0.12, "pi": 0.1, "align": 0.02}
            record["tail_solver"] = {"iterations_mean": 38.0, "converged_fraction": 0.25, "residual_max": 0.1}
        (cells / f"mst_prim__{column}__seed0.json").write_text(json.dumps(record))
    rows = [line for line in training_section(tmp_path, "cpu") if line.startswith("| mst_prim")]
    from dear.bench import figures

    for draw in (figures.scores_vs_size, figures.solver_vs_size):
        assert draw(tmp_path, "cpu", tmp_path / "plots" / f"{draw.__name__}.png").stat().st_size > 1000
        assert draw(tmp_path, "paper", tmp_path / "plots" / "none.png") is None  # no cells, no figure
    assert rows == ["| mst_prim | dear | 0 | 10.0 | 0.2000* | 0.900 | – | 0.700 | 30.0 | 50% |",
                    "| mst_prim | dear-align | 0 | 10.0 | 0.1200 (align 0.0200) | 0.900 | 25% | 0.700 | 30.0 | 50% |"]


def test_tail_losses_average_the_last_fifth_of_logged_steps() -> None:
    metrics = [{"step": 25 * (i + 1), "loss": float(i), "loss_pi": float(i) / 2, "grad_norm": 9.0} for i in range(10)]
    metrics.append({"step": 250, "best_val_score": 0.5})  # an evaluation line: no loss
    assert table.tail_losses(metrics) == {"loss": 8.5, "pi": 4.25}
    assert table.tail_losses([]) == {}


def test_tail_solver_averages_the_training_solver_of_equilibrium_models_only() -> None:
    nar = [{"step": 25 * (i + 1), "loss": 1.0} for i in range(10)]
    dear = [m | {"iterations_mean": 40.0 - i, "converged_fraction": i / 10, "residual_max": 0.1} for i, m in enumerate(nar)]
    assert table.tail_solver(nar) == {}
    assert table.tail_solver(dear) == pytest.approx({"iterations_mean": 31.5, "converged_fraction": 0.85, "residual_max": 0.1})


def test_rows_of_other_cases_survive_a_new_run(tmp_path: Path) -> None:
    from dear.bench.records import merge_rows

    path = tmp_path / "bench_inference.json"
    old = [{"algorithm": "bfs", "n": 16, "dear_median_s": 1.0}, {"algorithm": "dfs", "n": 16, "dear_median_s": 2.0}]
    path.write_text(json.dumps({"meta": {}, "rows": old}))
    merged = merge_rows(path, [{"algorithm": "dfs", "n": 16, "dear_median_s": 3.0}], lambda r: (r["algorithm"], r["n"]))
    assert merged == [old[0], {"algorithm": "dfs", "n": 16, "dear_median_s": 3.0}]


def test_inference_benchmark_times_the_chosen_dear_column(tmp_path: Path, smoke_run) -> None:
    import shutil

    from dear.bench.inference import run_inference_benchmark

    runs = tmp_path / "runs"
    for column, model in (("nar", "nar"), ("dear-jac", "dear")):
        shutil.copytree(smoke_run("bfs", model), runs / "bfs" / column / "seed0")
    # dfs has no dear-jac cell: skipped, never timed with the packaged model under the cell's name.
    rows = run_inference_benchmark(tmp_path, ["bfs", "dfs"], sizes=(8,), warmup=0, repeats=1, runs=runs,
                                   dear_column="dear-jac")
    assert [(r["algorithm"], r["dear_column"], r["n"]) for r in rows] == [("bfs", "dear-jac", 8)]
    assert rows[0]["dear_model"] == str(runs / "bfs" / "dear-jac" / "seed0")
    skipped = json.loads((tmp_path / "bench_inference.json").read_text())["meta"]["skipped"]
    assert skipped == ["dfs: no trained dear-jac cell for dfs in " + str(runs) + "; train it with "
                       "`dear bench table --algorithms dfs --columns dear-jac`"]
    assert rows[0]["dear_iterations_mean"] >= 1 and rows[0]["nar_median_s"] > 0
    assert rows[0]["dear_patient_iterations_mean"] <= rows[0]["dear_iterations_mean"]  # only ever stops earlier
    assert (tmp_path / "bench_inference.csv").exists()


def test_inference_benchmark_without_table_runs_times_the_shipped_pair(tmp_path: Path) -> None:
    from dear.bench.inference import SHIPPED, run_inference_benchmark
    from dear.solving import pretrained_dir

    [row] = run_inference_benchmark(tmp_path / "a", ["bfs"], sizes=(8,), warmup=0, repeats=1)
    assert row["dear_column"] == SHIPPED
    assert (row["dear_model"], row["nar_model"]) == (str(pretrained_dir("dear", "bfs")), str(pretrained_dir("nar", "bfs")))


def test_tolerance_sweep_scores_dear_at_each_tolerance_beside_nar(tmp_path: Path, smoke_run) -> None:
    import shutil

    from dear.bench.tolerance import run_tolerance_benchmark

    runs = tmp_path / "runs"
    for model in ("nar", "dear"):
        shutil.copytree(smoke_run("bfs", model), runs / "bfs" / model / "seed0")
    rows = run_tolerance_benchmark(tmp_path, ["bfs", "activity_selector"], sizes=(8,), samples=4, tolerances=(0.5, 1e-6),
                                   runs=runs)
    assert [(r["algorithm"], r["tol"]) for r in rows] == [("bfs", 0.5), ("bfs", 1e-6)]  # activity_selector: no cells
    loose, tight = rows
    assert loose["iterations_mean"] < tight["iterations_mean"] <= tight["eval_max_iter"]
    assert loose["nar_score"] == tight["nar_score"] and loose["nar_steps_mean"] >= 1
    meta = json.loads((tmp_path / "bench_tolerance.json").read_text())["meta"]
    assert meta["skipped"] and meta["skipped"][0].startswith("activity_selector")
    assert (tmp_path / "plots" / "tolerance_tradeoff.png").stat().st_size > 1000
    # A stall-test sweep is kept beside the plain one, not merged into it.
    patient = run_tolerance_benchmark(tmp_path, ["bfs"], sizes=(8,), samples=4, tolerances=(1e-6,), runs=runs,
                                      patience=1)
    assert [(r["tol"], r.get("patience", 0)) for r in patient] == [(0.5, 0), (1e-6, 0), (1e-6, 1)]
    assert patient[2]["iterations_mean"] <= tight["iterations_mean"]


def test_bench_report_refreshes_the_aggregate_table(tmp_path: Path) -> None:
    """The harness writes ``table_<profile>`` only when its run ends; ``bench report`` must
    rebuild it from whatever cells have landed since."""
    from dear.cli import main

    cells = tmp_path / "table" / "cpu"
    cells.mkdir(parents=True)
    source = Path(__file__).parents[1] / "results" / "archive-v1" / "table" / "cpu" / "bfs__nar__seed0.json"
    (cells / source.name).write_text(source.read_text())
    assert main(["bench", "report", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "table_cpu.json").read_text())
    assert summary["bfs"]["nar"]["64"]["n"] == 1
    assert "bfs" in (tmp_path / "table_cpu.md").read_text()
    from dear.bench.report import commit, machine

    report = (tmp_path / "RESULTS.md").read_text()
    assert f"Built at commit `{commit()}` on: {machine()}." in report  # read when built, once, at the top
    assert report.count("Built at commit") == 1 and report.index("Built at commit") < report.index("\n## ")


def _published(results: Path) -> dict:
    """The repository's published figures, copied into a test's results folder."""
    published = json.loads((Path(__file__).parents[1] / "results" / "published.json").read_text())
    results.mkdir(parents=True, exist_ok=True)
    (results / "published.json").write_text(json.dumps(published))
    return published


def test_published_figures_sit_beside_our_cells_at_64(tmp_path: Path) -> None:
    from dear.bench.report import table_section

    _published(tmp_path)
    cells = tmp_path / "table" / "cpu"
    cells.mkdir(parents=True)
    for seed, score in enumerate((0.5, 0.6)):
        record = {"cell": {"algorithm": "bfs", "column": "dem", "seed": seed}, "train": {"best_val_score": 0.9},
                  "eval": {"64": {"score": score}, "128": {"score": 0.1}}}
        (cells / f"bfs__dem__seed{seed}.json").write_text(json.dumps(record))
    lines = table_section(tmp_path, "cpu")
    header = next(line for line in lines if line.startswith("| algorithm | blog DEM"))
    assert header.endswith("| ours dem |")  # only the columns that have cells
    assert "| bfs | 53.8% | 100% / 100% | 55.0% [2] |" in lines
    assert "| dfs | 5.0% | 7% / 48% | – |" in lines


def test_a_large_gap_to_a_published_figure_is_written_down(tmp_path: Path) -> None:
    from dear.bench.report import table_section

    _published(tmp_path)
    cells = tmp_path / "table" / "cpu"
    cells.mkdir(parents=True)
    for score, expect in ((0.6, False), (0.9, True)):  # blog DEM on bfs: 53.8%, gap threshold 15 points
        record = {"cell": {"algorithm": "bfs", "column": "dem", "seed": 0}, "train": {"best_val_score": 0.9},
                  "eval": {"64": {"score": score}}}
        (cells / "bfs__dem__seed0.json").write_text(json.dumps(record))
        found = [line for line in table_section(tmp_path, "cpu") if line.startswith("*bfs, ours dem")]
        assert bool(found) == expect


def test_jacobian_section_orders_dear_columns_by_weight(tmp_path: Path) -> None:
    from dear.bench.report import jacobian_section

    cells = tmp_path / "table" / "cpu"
    cells.mkdir(parents=True)
    assert jacobian_section(tmp_path, "cpu")[0].startswith("*No `dear-jac<w>` cells yet")
    for algorithm, column, seed, score, iterations in (
        ("bfs", "dear", 0, 0.9, 60.0), ("bfs", "dear-jac1", 0, 0.8, 10.0), ("bfs", "dear-jac1", 1, 0.6, 20.0),
        ("bfs", "dear-jac", 0, 0.85, 30.0), ("bfs", "nar", 0, 0.95, None), ("dfs", "dear", 0, 0.2, 64.0),
    ):
        at64 = {"score": score} | ({"iterations_mean": iterations} if iterations else {})
        record = {"cell": {"algorithm": algorithm, "column": column, "seed": seed}, "eval": {"64": at64}}
        (cells / f"{algorithm}__{column}__seed{seed}.json").write_text(json.dumps(record))
    lines = jacobian_section(tmp_path, "cpu")
    assert "| algorithm | w = 0 (`dear`) | w = 0.1 (`dear-jac`) | w = 1 (`dear-jac1`) |" in lines
    assert "| bfs | 0.900 in 60.0 it [1] | 0.850 in 30.0 it [1] | 0.700 in 15.0 it [2] |" in lines
    assert not any(line.startswith("| dfs") for line in lines)  # no regularised cell to compare with


def test_ship_copies_the_chosen_columns_under_their_own_names(tmp_path: Path) -> None:
    from dear.bench.ship import SHIPPED_FILES, ship_pretrained

    runs, dest = tmp_path / "runs", tmp_path / "pretrained"
    for algorithm, column in (("bfs", "nar"), ("bfs", "dear-jac1"), ("bfs", "dear"), ("mst_prim", "dear-jac1")):
        run = runs / algorithm / column / "seed0"
        run.mkdir(parents=True)
        for name in SHIPPED_FILES:
            (run / name).write_text(f"{algorithm} {column}")
    (runs / "bfs" / "dear-jac1" / "seed1").mkdir()  # other seeds are never shipped
    shipped = ship_pretrained(runs, models=("nar", "dear-jac1"), dest=dest, algorithms=("bfs",))
    assert shipped == [dest / "dear-jac1" / "bfs", dest / "nar" / "bfs"]
    assert (dest / "dear-jac1" / "bfs" / "config.json").read_text() == "bfs dear-jac1"
    assert not (dest / "dear").exists() and not (dest / "dear-jac1" / "mst_prim").exists()

    # A column shipped under another name replaces that folder whole: no stale file stays.
    (dest / "dear" / "bfs").mkdir(parents=True)
    (dest / "dear" / "bfs" / "stale.txt").write_text("old")
    shipped = ship_pretrained(runs, models=("dear-jac1",), dest=dest, algorithms=("bfs",), names={"dear-jac1": "dear"})
    assert shipped == [dest / "dear" / "bfs"]
    assert sorted(p.name for p in (dest / "dear" / "bfs").iterdir()) == sorted(SHIPPED_FILES)
    assert (dest / "dear" / "bfs" / "config.json").read_text() == "bfs dear-jac1"


def test_a_large_gap_without_a_finding_says_so(tmp_path: Path) -> None:
    from dear.bench.report import table_section

    published = _published(tmp_path)
    cells = tmp_path / "table" / "cpu"
    cells.mkdir(parents=True)
    record = {"cell": {"algorithm": "mst_prim", "column": "dem", "seed": 0}, "eval": {"64": {"score": 0.4}}}
    (cells / "mst_prim__dem__seed0.json").write_text(json.dumps(record))  # the blog's DEM: 75.2%
    expected = f"*mst_prim, ours dem 40.0% against blog DEM 75.2%:* {published['unexplained']}"
    assert expected in table_section(tmp_path, "cpu")


def test_targets_section_holds_each_column_to_its_algorithms_target(tmp_path: Path) -> None:
    from dear.bench.inference import DEAR_VARIANTS
    from dear.bench.report import TARGET_VARIANT, targets_section

    def row(algorithm: str, n: int, ratio: float) -> dict:
        timings = {f"{v}_over_nar": ratio if v == TARGET_VARIANT else ratio * (i + 2) for i, v in enumerate(DEAR_VARIANTS)}
        return {"algorithm": algorithm, "dear_column": "dear", "n": n, **timings}

    rows = [row("dfs", 16, 9.0), row("dfs", 64, 0.4), row("dfs", 128, 0.6), row("bfs", 64, 1.4)]
    (tmp_path / "bench_inference.json").write_text(json.dumps({"meta": {}, "rows": rows}))
    (tmp_path / "table" / "cpu").mkdir(parents=True)
    lines = targets_section(tmp_path, "cpu")
    by_algorithm = {line.split(" | ")[0][2:]: line for line in lines if line.startswith("| bfs") or line.startswith("| dfs")}
    assert "| ≤ 1.5 | 64: 1.40 | yes |" in by_algorithm["bfs"]
    assert "| ≤ 0.5 | 64: 0.40, 128: 0.60 | no |" in by_algorithm["dfs"]  # 0.6 at 128 misses; n=16 not held
    assert f"64: 0.40 ({DEAR_VARIANTS[TARGET_VARIANT]})" in by_algorithm["dfs"] and by_algorithm["dfs"].endswith("| – | – |")


def test_every_prose_fragment_uses_only_values_the_report_supplies() -> None:
    """The report's prose lives in docs/results/<section>.md; a ``{name}`` there that the code
    does not fill in (report.PROSE_VALUES), or a fragment or part the code never reads, fails."""
    from dear.bench.report import PROSE_ROOT, PROSE_VALUES, placeholders, prose_parts

    read = {section for section, _ in PROSE_VALUES}
    assert sorted(p.stem for p in PROSE_ROOT.glob("*.md")) == sorted(read)  # no orphan fragment
    for section in read:
        parts = prose_parts(section)
        assert sorted(parts) == sorted(part for s, part in PROSE_VALUES if s == section), section
        for part, text in parts.items():
            assert text, f"{section}.md part {part!r} is empty"
            unknown = placeholders(text) - set(PROSE_VALUES[section, part])
            assert not unknown, f"{PROSE_ROOT / section}.md part {part!r} uses {unknown}, not supplied by the report"


def test_prose_errors_name_the_fragment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dear.bench import report

    monkeypatch.setattr(report, "PROSE_ROOT", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"protocol\.md is missing"):
        report._prose("protocol", profile="cpu")
    (tmp_path / "protocol.md").write_text("<!-- a note to editors -->\nProfile `{profile}`,\nread {when}.\n")
    with pytest.raises(KeyError, match=r"protocol\.md \(part ''\) uses \{when\}, which the report does not supply"):
        report._prose("protocol", profile="cpu")
    (tmp_path / "protocol.md").write_text("Profile `{profile}`, {{literal}},\nwrapped.\n")
    assert report._prose("protocol", profile="cpu") == ["Profile `cpu`, {literal},", "wrapped."]
    (tmp_path / "equilibrium.md").write_text("<!-- part: intro -->\nSeed {test_seed}.\n")
    with pytest.raises(KeyError, match=r"equilibrium\.md has no part 'recipes'"):
        report._prose("equilibrium", "recipes", profile="cpu", tail="20%")
    with pytest.raises(ValueError, match="PROSE_VALUES declares"):  # the code must give what it declares
        report._prose("protocol")


def test_report_header_reads_the_machine_and_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import platform
    import subprocess

    from dear.bench import report

    assert f"{os.cpu_count()} CPU cores" in report.machine()
    assert f"Python {platform.python_version()}" in report.machine()
    assert report.commit() == "unknown" or re.fullmatch(r"[0-9a-f]{4,40}", report.commit())

    def no_git(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", no_git)
    assert report.commit() == "unknown"


def test_shipping_writes_only_a_source_checkout(tmp_path: Path) -> None:
    from dear.bench.ship import PRETRAINED_ROOT, source_tree_pretrained

    assert source_tree_pretrained() == PRETRAINED_ROOT  # this checkout: src/dear/pretrained
    installed = tmp_path / "site-packages" / "dear"
    installed.mkdir(parents=True)
    with pytest.raises(ValueError, match="writes a source checkout's src/dear/pretrained, but dear runs from"):
        source_tree_pretrained(installed)


def _cell(cells: Path, algorithm: str, column: str, seed: int, score: float, config: dict | None = None,
          converged: float | None = None) -> None:
    at64 = {"score": score} | ({"converged_fraction": converged, "eval_tol": 0.01} if converged is not None else {})
    record = {"cell": {"algorithm": algorithm, "column": column, "seed": seed}, "eval": {"64": at64},
              "config": config or {}}
    (cells / f"{algorithm}__{column}__seed{seed}.json").write_text(json.dumps(record))


def test_headline_shows_the_recipe_the_shipped_dear_was_trained_with(tmp_path: Path) -> None:
    from dear.bench.report import dear_recipes, headline_lines
    from dear.bench.table import aggregate, read_cells

    cells, pretrained = tmp_path / "table" / "cpu", tmp_path / "pretrained"
    cells.mkdir(parents=True)
    shipped = {"algorithm": "bfs", "seed": 0, "jacobian_weight": 0.0, "description": "old words"}
    (pretrained / "dear" / "bfs").mkdir(parents=True)
    (pretrained / "dear" / "bfs" / "config.json").write_text(json.dumps(shipped))
    _cell(cells, "bfs", "nar", 0, 0.99)
    _cell(cells, "bfs", "dear-warm-tol0.01", 0, 0.98, shipped | {"description": "new words"}, converged=1.0)
    _cell(cells, "bfs", "dear-warm-tol0.01-jac0.1", 0, 0.5, shipped | {"jacobian_weight": 0.1}, converged=0.5)
    _cell(cells, "dfs", "dear-warm-tol0.01", 0, 0.2)  # no shipped DEAR: the preferred recipe with cells
    _cell(cells, "dfs", "dear-warm-tol0.01-jac0.1", 0, 0.3)
    _cell(cells, "mst_prim", "dear-ift", 0, 0.6)  # the only DEAR column
    recipes = dear_recipes(read_cells(cells), pretrained)
    assert recipes == {"bfs": "dear-warm-tol0.01", "dfs": "dear-warm-tol0.01-jac0.1", "mst_prim": "dear-ift"}

    lines = headline_lines(tmp_path, "cpu", aggregate(cells), pretrained)
    assert "| bfs | 0.990 ± 0.000 [1] | – | 0.980 ± 0.000 [1] | `dear-warm-tol0.01` | 100% at 0.01 |" in lines


def test_equilibrium_cases_are_the_dear_cells_with_a_nar_partner_of_the_chosen_columns(tmp_path: Path) -> None:
    from dear.bench.equilibrium import table_cases

    runs, results = tmp_path / "runs", tmp_path / "results"
    results.mkdir()
    for algorithm, column in (("bfs", "nar"), ("bfs", "dear"), ("bfs", "dear-jac1"), ("bfs", "dem"),
                              ("dfs", "dear")):
        run = runs / algorithm / column / "seed0"
        run.mkdir(parents=True)
        (run / "train_summary.json").write_text("{}")
    (runs / "bfs" / "dear-warm" / "seed0").mkdir(parents=True)  # not trained yet
    (results / "bfs__nar__seed0.json").write_text(json.dumps({"eval": {"64": {"score": 0.9}}}))
    found = [(a, c, s, n) for a, c, s, _, n in table_cases(runs, results, ("bfs", "dfs"), 64)]
    assert found == [("bfs", "dear", 0, 0.9), ("bfs", "dear-jac1", 0, 0.9)]  # dfs has no nar cell, dem is no DEAR
    only = table_cases(runs, results, ("bfs",), 64, columns=("dear-jac1",))
    assert [c for _, c, *_ in only] == ["dear-jac1"]
    (runs / "bfs" / "dear" / "seed1").mkdir()
    (runs / "bfs" / "dear" / "seed1" / "train_summary.json").write_text("{}")
    (results / "bfs__nar__seed1.json").write_text(json.dumps({"eval": {"64": {"score": 0.8}}}))
    assert [(c, s) for _, c, s, *_ in table_cases(runs, results, ("bfs",), 64, columns=("dear",))] == [
        ("dear", 0), ("dear", 1)]
    assert [(c, s) for _, c, s, *_ in table_cases(runs, results, ("bfs",), 64, columns=("dear",), seeds=1)] == [
        ("dear", 0)]


def test_adjoint_is_solved_only_where_the_forward_converged(smoke_run) -> None:
    from dear.bench.adjoint import adjoint_convergence
    from dear.data.splits import TEST, load_split
    from dear.run import load_run

    config, model = load_run(smoke_run("bfs", "dear"))
    data = load_split("bfs", TEST, 6, (8, 8), random_pos=config.random_pos)
    own = dict(model.solver_options), dict(model.eval_limits)
    loose = adjoint_convergence(model, data, batch_size=6, tol=0.9)
    assert loose["implicit_fraction"] == 1.0  # every forward converged: every graph gets the adjoint
    assert 0.0 <= loose["adjoint_converged_fraction"] <= 1.0 and loose["adjoint_iterations_mean"] >= 1
    unreachable = adjoint_convergence(model, data, batch_size=6, tol=1e-12)
    assert unreachable == {"implicit_fraction": 0.0}  # no fixed point: no implicit gradient, no adjoint
    assert (model.solver_options, model.eval_limits) == own  # the model's own settings come back


def test_a_nar_is_not_evaluated_where_unrolling_its_t_is_beyond_the_budget() -> None:
    from dear.bench.table import UNROLL_EVAL_BUDGET, Cell, affordable_sizes, unroll_cost

    assert unroll_cost("bubble_sort", 128, 100) > UNROLL_EVAL_BUDGET > unroll_cost("bubble_sort", 64, 100)
    sizes, skipped = affordable_sizes(Cell("bubble_sort", "nar", 0), (64, 128), 100)
    assert sizes == [64] and list(skipped) == ["128"] and "not evaluated" in skipped["128"]
    # DEAR and NAR-LT never unroll the ground-truth T: every size is kept.
    for column in ("dear", "nar-lt"):
        assert affordable_sizes(Cell("bubble_sort", column, 0), (64, 128), 100) == ([64, 128], {})


def test_bench_rows_land_in_a_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    from dear.bench.records import write_rows

    write_rows(tmp_path / "new" / "deeper" / "bench_x.json", {"machine": "m"}, [{"a": 1, "b": [2]}])
    assert json.loads((tmp_path / "new" / "deeper" / "bench_x.json").read_text())["rows"] == [{"a": 1, "b": [2]}]
    assert (tmp_path / "new" / "deeper" / "bench_x.csv").read_text().splitlines() == ["a,b", "1,[2]"]


def test_a_curve_of_an_unknown_model_is_refused_in_one_line(capsys) -> None:
    from dear.cli import main

    assert main(["bench", "curve", "--models", "nar,foo", "--out", "unused"]) != 0
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "unknown table column 'foo'" in error


def test_a_curve_of_a_recipe_column_is_accepted_but_an_aligned_one_is_refused(tmp_path: Path) -> None:
    from dear.bench.curve import run_curve

    run_curve(tmp_path, algorithms=(), models=("dear-warm-tol0.01-start1",), runs_root=tmp_path / "runs")
    with pytest.raises(ValueError, match="aligns to a table cell"):
        run_curve(tmp_path, algorithms=(), models=("dear-align",), runs_root=tmp_path / "runs")


def test_a_curve_run_of_a_recipe_column_checks_only_steps_against_its_table_cell() -> None:
    from dear.bench.curve import expected_config

    assert expected_config("bfs", "cpu", "dear")["model"] == "dear"
    assert expected_config("bfs", "cpu", "dear-warm-tol0.01-start1-train32") is None
