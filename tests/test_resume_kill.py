"""A training run killed at any moment resumes to the weights and log of an uninterrupted run.

One test SIGKILLs real ``dear train`` processes (early, after a checkpoint, at a random moment
that may fall inside a checkpoint write); the others stop a run in-process at the exact
windows a kill can hit: before the first checkpoint, between the renames of the checkpoint
swap, in the middle of a log line.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from safetensors.torch import load_file

from dear.cli import main
from dear.config import make_config
from dear.train import Trainer, train

STEPS, EVERY = 16, 2
ARGV = ["train", "bfs", "--profile", "smoke", "--steps", str(STEPS), "--checkpoint-every", str(EVERY), "--quiet"]


class Killed(BaseException):
    """Stands for SIGKILL in-process: nothing catches it and no cleanup code runs for it."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uninterrupted run."""
    out = tmp_path_factory.mktemp("reference") / "run"
    assert main([*ARGV, "--out", str(out)]) == 0
    return out


def assert_same_run(run: Path, reference: Path) -> None:
    """Bit-identical final weights, and every logged step once with the same loss."""
    final, expected = (load_file(p / "checkpoint" / "model.safetensors") for p in (run, reference))
    assert final.keys() == expected.keys()
    assert all(final[k].equal(expected[k]) for k in expected)
    logs = [[json.loads(line) for line in (p / "metrics.jsonl").read_text().splitlines()] for p in (run, reference)]
    steps_and_losses = [[(record["step"], record["loss"]) for record in log] for log in logs]
    assert steps_and_losses[0] == steps_and_losses[1]  # each logged step once


def checkpoint_step(out: Path) -> int:
    """Step of the last complete checkpoint; -1 for none (or when caught mid-swap)."""
    try:
        return json.loads((out / "checkpoint" / "state.json").read_text())["step"]
    except (OSError, ValueError):
        return -1


def launch(out: Path) -> subprocess.Popen:
    """``dear train``, resuming once the run has written its config (a kill before leaves nothing)."""
    resume = ["--resume"] if (out / "config.json").exists() else []
    command = [sys.executable, "-m", "dear", *ARGV, "--out", str(out), *resume]
    return subprocess.Popen(command, env=os.environ | {"OMP_NUM_THREADS": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], delay: float = 0.0) -> None:
    while process.poll() is None and not ready():
        time.sleep(0.002)
    time.sleep(delay)
    process.kill()
    process.wait()


def test_sigkill_at_any_moment_then_resume(tmp_path: Path, reference: Path) -> None:
    out, rng = tmp_path / "run", random.Random(0)
    kill_when(launch(out), lambda: True, delay=rng.uniform(0.0, 0.5))  # early: likely still importing
    kill_when(launch(out), lambda: checkpoint_step(out) >= 4)
    restored = checkpoint_step(out)
    # Soon after the first new checkpoint, at a random moment: often inside the next checkpoint write.
    kill_when(launch(out), lambda: checkpoint_step(out) > restored, delay=rng.uniform(0.0, 0.1))
    finish = launch(out)
    _, stderr = finish.communicate(timeout=300)
    assert finish.returncode == 0, stderr[-2000:]
    assert_same_run(out, reference)


def kill_at_swap(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Raise :class:`Killed` when ``checkpoint.tmp/`` is about to be renamed into place for the
    ``count``-th time: the old checkpoint has already been moved to ``checkpoint.old/``."""
    rename, swaps = pathlib.Path.rename, []

    def renamed(self: Path, target: Path) -> Path:
        if self.name == "checkpoint.tmp":
            swaps.append(target)
            if len(swaps) == count:
                raise Killed
        return rename(self, target)

    monkeypatch.setattr(pathlib.Path, "rename", renamed)


@pytest.mark.parametrize(
    "swap, torn_log",
    [
        (1, False),  # before the first checkpoint is in place: resume starts from step 0
        (3, False),  # between the renames: only checkpoint.old/ is complete
        (5, True),  # ... and the log ends in a line cut short
    ],
)
def test_kill_windows_resume(tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch,
                             swap: int, torn_log: bool) -> None:
    config, out = make_config("bfs", "smoke", steps=STEPS, checkpoint_every=EVERY), tmp_path / "run"
    with monkeypatch.context() as patch:
        kill_at_swap(patch, swap)
        with pytest.raises(Killed):
            Trainer(config, out, progress=False).run()
    if torn_log:
        with open(out / "metrics.jsonl", "a") as log:
            log.write('{"step": 99, "lo')
    restore, restored = Trainer._restore, []

    def recorded(self: Trainer, *args: object) -> tuple[int, dict]:
        step, best = restore(self, *args)
        restored.append(step)
        return step, best

    monkeypatch.setattr(Trainer, "_restore", recorded)
    train(config, out, resume=True, progress=False)
    assert restored == ([EVERY * (swap - 1)] if swap > 1 else [])  # the last complete checkpoint, not step 0
    assert_same_run(out, reference)
    assert not (out / "checkpoint.old").exists()
