"""DDP training with two CPU processes (gloo), launched by torchrun as users would, ends with the
weights of a single-process run on the same global batches."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model
from dear.data.splits import TRAIN
from dear.nn.normalise import counts_over_processes
from dear.train import batch_order, train

#: ``minimum``: its only output is a mask_one over nodes, whose loss is a mean over *graphs*
#: (``sum / num_graphs``). With two equal shards of 4 graphs, the mean of the ranks' losses is
#: then exactly the loss of the global batch of 8, so DDP's averaged gradient is the
#: single-process gradient up to float rounding and the runs must end with the same weights.
#: (Not bfs: its pointer loss is normalised per batch, see the xfail cases further down.)
ALGORITHM, STEPS = "minimum", 6

#: The one weight whose gradient is zero in exact arithmetic: a constant added to every node's
#: logit leaves the softmax over the nodes unchanged. Its computed gradient is rounding noise,
#: which Adam normalises into steps of about ``lr`` in a direction that depends on the order of
#: the float sums (different in the two runs); it has no effect on any prediction or loss.
SHIFT_INVARIANT = "output_decoder.heads.min.linear.bias"

#: Tolerance on every other weight. Measured: every other weight agrees to 1e-7 after 6 steps
#: (the differences are float rounding of the gloo all-reduce and the sharded forward pass).
#: A real sharding mistake moves weights by a sizeable part of a step of lr = 3e-4: training
#: on half of each global batch (what one rank alone sees) ends up to 2e-3 away (measured).
#: 1e-5 is 100x the rounding and 1/30 of one step.
ATOL = 1e-5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Seconds one launch may take: it takes 4-7 s on 2 shared cores (measured).
LAUNCH_TIMEOUT = 120


def _launch_torchrun(out: Path) -> tuple[int | None, str]:
    """``torchrun`` with 2 CPU processes training into ``out``: its exit code (None if it hung)
    and its stderr. A hung launch's processes (launcher and ranks) are sent SIGABRT, on which each
    prints its threads' stacks into that stderr (``PYTHONFAULTHANDLER``)."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_port", str(_free_port()), "-m", "dear", "train", ALGORITHM, "--profile", "smoke",
               "--steps", str(STEPS), "--out", str(out), "--quiet"]
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _, stderr = process.communicate(timeout=LAUNCH_TIMEOUT)
        return process.returncode, stderr
    except subprocess.TimeoutExpired:
        for pid in [*_children(process.pid), process.pid]:  # ranks first: each runs in its own session
            os.kill(pid, signal.SIGABRT)
        _, stderr = process.communicate()
        return None, stderr


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def test_torchrun_two_cpu_processes_match_one_process(tmp_path: Path) -> None:
    # One CI run (of many) saw the launch never exit after rank 0 had written its results: a hang
    # at exit in torch's launcher or process-group teardown that 12 launches beside two busy
    # cores did not reproduce. So a hung launch is retried once, in a fresh folder on a fresh
    # port, and two hangs fail with every process's stacks.
    hangs = []
    for attempt in range(2):
        out = tmp_path / f"ddp{attempt}"
        code, stderr = _launch_torchrun(out)
        if code is not None:
            break
        hangs.append(stderr[-8000:])
    assert code is not None, f"torchrun hung twice; stacks of the last launch:\n{hangs[-1]}"
    assert code == 0, stderr[-2000:]
    config = make_config(ALGORITHM, "smoke", steps=STEPS)
    single = train(config, tmp_path / "single", progress=False)

    summary = json.loads((out / "train_summary.json").read_text())
    assert (summary["processes"], single["processes"]) == (2, 1)
    assert (summary["best_step"], summary["best_val_score"]) == (single["best_step"], single["best_val_score"])
    assert summary["best_val_loss"] == pytest.approx(single["best_val_loss"], rel=1e-5)

    ours = load_file(out / "checkpoint" / "model.safetensors")  # the last step's weights
    theirs = load_file(tmp_path / "single" / "checkpoint" / "model.safetensors")
    assert set(ours) == set(theirs) and SHIFT_INVARIANT in ours
    for name, expected in theirs.items():
        if name != SHIFT_INVARIANT:
            torch.testing.assert_close(ours[name], expected, rtol=0, atol=ATOL, msg=name)
    # Adam moves a weight by about lr per step whatever its gradient, so even the noisy one stays
    # within STEPS steps of the other run's value.
    assert (ours[SHIFT_INVARIANT] - theirs[SHIFT_INVARIANT]).abs().max() <= 2 * STEPS * config.lr

    # Logged once per step, by rank 0. The gradient norm is taken after DDP's all-reduce, so it is
    # the global batch's (the logged loss is rank 0's shard's own, so it is not compared).
    ddp_log = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    single_log = [json.loads(line) for line in (tmp_path / "single" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in ddp_log] == [r["step"] for r in single_log] == [5, 6]
    for a, b in zip(ddp_log, single_log):
        assert a["grad_norm"] == pytest.approx(b["grad_norm"], rel=1e-5)
        assert ("val_loss" in a) == ("val_loss" in b) == (a["step"] == STEPS)
    assert ddp_log[-1]["val_loss"] == pytest.approx(single_log[-1]["val_loss"], rel=1e-5)


def _gradient(model: torch.nn.Module, trajectories: list) -> torch.Tensor:
    model.zero_grad()
    batch = collate(trajectories)
    loss, _ = model.loss(batch, model(batch))
    loss.backward()
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]).double()


def _shard_gradients(model, shards: list[list]) -> list[torch.Tensor]:
    """Each shard's gradient as a DDP rank computes it: every loss normaliser is the whole
    batch's count per rank (``dear.distributed.count_per_process``), here without a process
    group: a first pass records each shard's counts in order, the second replays their mean."""
    counts: list[list[torch.Tensor]] = [[] for _ in shards]
    for shard, recorded in zip(shards, counts):
        def record(local: torch.Tensor, recorded: list = recorded) -> torch.Tensor:
            recorded.append(local)
            return local
        with counts_over_processes(record):
            _gradient(model, shard)
    world = len(shards)
    gradients = []
    for shard in shards:
        replay = iter(sum(c) / world for c in zip(*counts))
        with counts_over_processes(lambda local: next(replay)):
            gradients.append(_gradient(model, shard))
    return gradients


@pytest.mark.parametrize("algorithm", ["minimum", "binary_search", "bfs", "mst_kruskal", "insertion_sort"])
def test_mean_of_the_ranks_gradients_is_the_global_batch_gradient(algorithm: str, monkeypatch) -> None:
    """What DDP computes (the mean over ranks of each shard's gradient, ``order[rank::world]``)
    against what one process computes on the whole global batch, on the smoke profile's data:
    equal for losses averaged over nodes too (pointers, masks, permutations), as every
    normaliser is the whole batch's. The permutation head's training-time Gumbel noise is
    switched off: each shard draws its own (DDP matches one process in expectation there)."""
    from dear.nn import permutation

    sinkhorn = permutation.log_sinkhorn
    monkeypatch.setattr(permutation, "log_sinkhorn", lambda *args, **kw: sinkhorn(*args, **kw | {"noise": False}))
    config = make_config(algorithm, "smoke")
    torch.manual_seed(0)
    model = build_model(config)
    data = generate(algorithm, config.train_samples, tuple(config.train_sizes), seed=TRAIN.seed)
    order = batch_order(len(data), config.batch_size, config.seed, 0)
    whole = _gradient(model, [data[i] for i in order])
    shards = _shard_gradients(model, [[data[i] for i in order[rank::2]] for rank in range(2)])
    assert len(order[0::2]) == len(order[1::2])
    ddp = (shards[0] + shards[1]) / 2
    assert np.isfinite(float(whole.norm())) and float(whole.norm()) > 0
    # Measured 1.5e-7 for minimum and binary_search (float rounding); 3% (bfs) and 28%
    # (insertion_sort) before the normalisers were made global.
    assert float((ddp - whole).norm() / whole.norm()) < 1e-5


def test_unreduced_shards_differ_where_losses_average_over_nodes() -> None:
    """The control: without the whole-batch counts, bfs's shards do not add up (the bug fixed)."""
    config = make_config("bfs", "smoke")
    torch.manual_seed(0)
    model = build_model(config)
    data = generate("bfs", config.train_samples, tuple(config.train_sizes), seed=TRAIN.seed)
    order = batch_order(len(data), config.batch_size, config.seed, 0)
    whole = _gradient(model, [data[i] for i in order])
    ddp = sum(_gradient(model, [data[i] for i in order[rank::2]]) for rank in range(2)) / 2
    assert float((ddp - whole).norm() / whole.norm()) > 1e-3
