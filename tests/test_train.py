"""Training runs: run-directory layout, refusal to overwrite, bit-identical resume, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dear.cli import main
from dear.config import make_config
from dear.data import generate
from dear.data.splits import TEST, TRAIN, VAL
from dear.run import evaluate_run, load_run
from dear.train import Trainer, train
from tests.statistics_asserts import recounted_pointer_score


def _config(**overrides):
    return make_config("bfs", "smoke", steps=12, checkpoint_every=4, eval_every=4, log_every=2, **overrides)


def test_run_directory_layout(tmp_path: Path) -> None:
    train(_config(), tmp_path / "run", progress=False)
    run = tmp_path / "run"
    assert {"config.json", "metrics.jsonl", "model.safetensors"} <= {p.name for p in run.iterdir()}
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(2, 13, 2))
    assert all("loss" in r for r in records)
    result, _ = evaluate_run(run, sizes=(5, 7), samples=4)
    assert json.loads((run / "eval.json").read_text()) == result
    model = load_run(run)[1]
    for size in (5, 7):  # 4 fresh graphs of each size (TEST.seed), scored over their 4 * size nodes
        expected = recounted_pointer_score(model, generate("bfs", 4, size, TEST.seed))
        assert result[str(size)]["score"] == pytest.approx(expected)
        assert result[str(size)]["samples"] == 4


def test_refuses_to_overwrite_another_run(tmp_path: Path) -> None:
    train(_config(), tmp_path / "run", progress=False)
    before = (tmp_path / "run" / "model.safetensors").read_bytes()
    with pytest.raises(ValueError, match="already holds files"):
        Trainer(_config(), tmp_path / "run")
    assert (tmp_path / "run" / "model.safetensors").read_bytes() == before


@pytest.mark.parametrize("model", ["nar", "dear"])
def test_resume_is_bit_identical(tmp_path: Path, model: str) -> None:
    extra = {"model": model, "max_iter": 6, "state_noise": 0.1} if model == "dear" else {"model": model}
    train(_config(**extra), tmp_path / "full", progress=False)

    # An interrupted run: stop after step 8 (as if killed), then resume to the end.
    partial = _config(**extra)
    partial.steps = 8
    train(partial, tmp_path / "cut", progress=False)
    config = json.loads((tmp_path / "cut" / "config.json").read_text())
    config["steps"] = 12
    (tmp_path / "cut" / "config.json").write_text(json.dumps(config))
    train(_config(**extra), tmp_path / "cut", resume=True, progress=False)

    full = load_file(tmp_path / "full" / "checkpoint" / "model.safetensors")
    resumed = load_file(tmp_path / "cut" / "checkpoint" / "model.safetensors")
    assert all((full[k] == resumed[k]).all() for k in full)
    full_log = (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()
    cut_log = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(a)["loss"] for a in full_log] == [json.loads(b)["loss"] for b in cut_log]


def test_a_run_resumed_to_more_steps_records_them_in_its_config(tmp_path: Path) -> None:
    short = _config()
    short.steps = 8
    train(short, tmp_path / "run", progress=False)
    train(_config(), tmp_path / "run", resume=True, progress=False)  # on to the full 12
    assert json.loads((tmp_path / "run" / "config.json").read_text())["steps"] == _config().steps == 12


def test_resume_refuses_other_options_but_not_a_reworded_profile_description(tmp_path: Path) -> None:
    partial = _config()
    partial.steps = 4
    train(partial, tmp_path / "run", progress=False)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    (tmp_path / "run" / "config.json").write_text(json.dumps(config | {"description": "older wording"}))
    train(_config(), tmp_path / "run", resume=True, progress=False)
    with pytest.raises(ValueError, match="options differ"):
        train(_config(lr=1e-2), tmp_path / "run", resume=True, progress=False)


def test_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    train(_config(), tmp_path / "run", progress=False)
    (tmp_path / "run" / "checkpoint" / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="corrupt"):
        train(_config(), tmp_path / "run", resume=True, progress=False)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "nope", "--out", "x"], "unknown algorithm"),
        (["train", "bfs", "--model", "nar", "--profile", "smoke", "--steps", "0", "--out", "x"], "steps must be positive"),
        (["evaluate", "missing-dir"], "not a run directory"),
    ],
)
def test_cli_errors_are_one_line(argv, message, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_hint_supervised_run_trains_and_evaluates(tmp_path: Path) -> None:
    """nar-hints reads hints at evaluation too (its first step is fed the initial hints)."""
    train(_config(model="nar-hints"), tmp_path / "run", progress=False)
    score = evaluate_run(tmp_path / "run", sizes=(6,), samples=4)[0]["6"]["score"]
    model = load_run(tmp_path / "run")[1]
    assert model.uses_hints
    assert score == pytest.approx(recounted_pointer_score(model, generate("bfs", 4, 6, TEST.seed)))


def test_snapshot_holds_the_weights_a_shorter_run_keeps(tmp_path: Path) -> None:
    """One long run gives a learning curve: its snapshot at step S is what a run of S steps keeps."""
    short, long = tmp_path / "short", tmp_path / "long"
    train(make_config("bfs", "smoke", model="nar", steps=10), short, progress=False)
    train(make_config("bfs", "smoke", model="nar", steps=20, snapshot_steps=(10,)), long, progress=False)
    snapshot = load_file(long / "snapshots" / "step10.safetensors")
    kept = load_file(short / "model.safetensors")
    assert snapshot.keys() == kept.keys()
    assert all(torch.equal(snapshot[k], kept[k]) for k in kept)
    assert not all(torch.equal(snapshot[k], v) for k, v in load_file(long / "model.safetensors").items())


def test_edge_p_draws_the_training_graphs_from_the_given_probabilities(tmp_path: Path) -> None:
    import numpy as np

    from dear.data.splits import TRAIN, load_split

    def edges(edge_p: tuple[float, ...]) -> float:
        graphs = load_split("mst_kruskal", TRAIN, 40, (12, 12), edge_p=edge_p, cache_dir=tmp_path)
        return float(np.mean([np.count_nonzero(np.triu(t.inputs["A"], 1)) for t in graphs]))

    # CLRS's Kruskal graphs keep an undirected edge with p**2 = 0.04: 2.6 of 66 pairs on average.
    assert edges(()) < 6
    assert 40 < edges((0.9,)) <= 66  # 0.81 of 66 pairs
    config = make_config("mst_kruskal", "smoke", edge_p=(0.5, 0.9))
    assert config.edge_p == (0.5, 0.9)
    for bad, message in (((0.0,), "probabilities"), ((1.5,), "probabilities")):
        with pytest.raises(ValueError, match=message):
            make_config("mst_kruskal", "smoke", edge_p=bad)
    with pytest.raises(ValueError, match="takes no graph"):
        make_config("minimum", "smoke", edge_p=(0.5,))
    with pytest.raises(SystemExit):
        main(["train", "mst_kruskal", "--edge-p", "0.5,x", "--out", str(tmp_path / "run")])


def test_val_edge_p_draws_the_validation_graphs_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dear.train

    drawn = {}
    real = dear.train.load_split

    def recording(algorithm, split, *args, **kwargs):
        drawn[split.name] = kwargs["edge_p"]
        return real(algorithm, split, *args, **kwargs)

    monkeypatch.setattr(dear.train, "load_split", recording)
    config = make_config("mst_prim", "smoke", steps=2, edge_p=(0.5,), val_edge_p=(0.2,))
    train(config, tmp_path / "run", progress=False)
    assert drawn == {TRAIN.name: (0.5,), VAL.name: (0.2,)}
    with pytest.raises(ValueError, match="val_edge_p must hold probabilities"):
        make_config("mst_prim", "smoke", val_edge_p=(0.0,))
    with pytest.raises(ValueError, match="val_edge_p draws graphs"):
        make_config("minimum", "smoke", val_edge_p=(0.5,))


def test_a_curve_run_seeded_from_a_table_cell_continues_as_one_long_run(tmp_path: Path) -> None:
    """The curve's first horizon reuses the table's cell: its checkpoint resumed to the next
    horizon ends with the weights of a run trained to it from scratch with snapshots."""
    from dear.bench.curve import seed_from_table

    cell, seeded, scratch = tmp_path / "cell", tmp_path / "seeded", tmp_path / "scratch"
    options = dict(model="nar", checkpoint_every=5, eval_every=5)
    train(make_config("bfs", "smoke", steps=10, **options), cell, progress=False)
    assert seed_from_table(seeded, cell, (10, 20))
    assert not seed_from_table(seeded, cell, (10, 20))  # never over an existing run
    assert not seed_from_table(tmp_path / "other", cell, (5, 20))  # the cell stopped elsewhere
    changed = json.loads(make_config("bfs", "smoke", steps=10, **options | {"lr": 1e-2}).to_json())
    assert not seed_from_table(tmp_path / "other", cell, (10, 20), changed)  # another recipe since
    train(make_config("bfs", "smoke", steps=20, snapshot_steps=(10, 20), **options), seeded, resume=True,
          progress=False)
    train(make_config("bfs", "smoke", steps=20, snapshot_steps=(10, 20), **options), scratch, progress=False)
    for name in ("snapshots/step10.safetensors", "snapshots/step20.safetensors", "model.safetensors"):
        ours, theirs = load_file(seeded / name), load_file(scratch / name)
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs), name


def test_init_from_starts_a_run_from_another_runs_kept_weights(tmp_path: Path) -> None:
    """With a zero learning rate the fine-tuned run keeps exactly the weights it started from;
    without --init-from it keeps its own initialisation, which the source run trained away from."""
    source, tuned, fresh = tmp_path / "source", tmp_path / "tuned", tmp_path / "fresh"
    train(_config(), source, progress=False)
    train(_config(lr=0.0, init_from=str(source)), tuned, progress=False)
    train(_config(lr=0.0), fresh, progress=False)
    start, ours, own = (load_file(run / "model.safetensors") for run in (source, tuned, fresh))
    assert all(torch.equal(ours[k], start[k]) for k in start)
    assert not all(torch.equal(own[k], start[k]) for k in start)
    with pytest.raises(ValueError, match="--init-from: no weights"):
        train(_config(init_from=str(tmp_path / "missing")), tmp_path / "other", progress=False)


@pytest.mark.parametrize("overrides", [
    {},
    {"model": "dear", "tol": 0.01, "eval_tol": 0.01, "init": "inputs", "jacobian_weight": 0.1},
    {"model": "dear", "edge_p": (0.1, 0.5), "granola": True, "spectral_norm": True, "seed": 2},
    {"model": "dear", "init_from": "runs/users/mst_prim/dear", "val_size": 128, "val_edge_p": (0.06,),
     "train_sizes": (8, 64)},
    {"model": "nar", "processor": "triplet", "train_sizes": (4, 16), "test_sizes": (16, 32), "hidden": 32},
])
def test_train_command_reproduces_the_run_it_describes(overrides: dict) -> None:
    """The shipped models' table prints this command; run through `dear train` it must give back the
    same config (test sizes are no flag: they come back as a note, not silently dropped)."""
    import shlex
    from dataclasses import asdict

    from dear.cli import build_parser, train_config
    from dear.config import make_config, train_command

    config = asdict(make_config("bfs", "cpu", **overrides))
    command, _, fixed = train_command(config).partition(" (not flags: ")
    assert command.startswith("dear train ")
    rebuilt = asdict(train_config(build_parser().parse_args([*shlex.split(command)[1:], "--out", "unused"])))
    assert fixed == ("test_sizes=16,32)" if "test_sizes" in overrides else "")
    assert {k: v for k, v in rebuilt.items() if k != "test_sizes"} == {k: v for k, v in config.items() if k != "test_sizes"}
