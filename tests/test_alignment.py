"""``--align``: the monotone DP against brute force, a loss with a real gradient into DEAR, a
frozen NAR kept out of the DEAR's modules, and the command line end to end."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dear.checkpoint import save_tensors, write_json
from dear.cli import main
from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model
from dear.models.alignment import aligned_steps, alignment_cost, alignment_loss, monotone_alignment
from dear.run import load_alignment_target

SHAPES = [(1, 1), (1, 4), (4, 1), (2, 2), (3, 3), (5, 5), (2, 5), (3, 4), (5, 2), (4, 3), (5, 1), (1, 5)]


def _paths(K: int, T: int, path: tuple = ((0, 0),)):
    """Every path of the rule: moves advance k by 0 or 1 and t by >= 0, not both by 0."""
    k, t = path[-1]
    if (k, t) == (K - 1, T - 1):
        yield path
    for dk in (0, 1):
        for nt in range(t + (1 - dk), T):
            if k + dk < K:
                yield from _paths(K, T, path + ((k + dk, nt),))


def _is_monotone_path(pairs: list[tuple[int, int]], K: int, T: int) -> bool:
    moves = [(k1 - k0, t1 - t0) for (k0, t0), (k1, t1) in zip(pairs, pairs[1:])]
    return (pairs[0] == (0, 0) and pairs[-1] == (K - 1, T - 1)
            and all(dk in (0, 1) and dt >= 0 and (dk, dt) != (0, 0) for dk, dt in moves))


@pytest.mark.parametrize("K, T", SHAPES)
def test_dp_matches_brute_force(K: int, T: int) -> None:
    generator = torch.Generator().manual_seed(K * 10 + T)
    for _ in range(5):
        cost = torch.rand(K, T, generator=generator)
        pairs = monotone_alignment(cost)
        best = min(sum(float(cost[p]) for p in path) for path in _paths(K, T))
        assert _is_monotone_path(pairs, K, T)
        assert sum(float(cost[p]) for p in pairs) == pytest.approx(best, abs=1e-6)
        if K > 1:  # every DEAR state aligned exactly once
            assert [k for k, _ in pairs] == list(range(K))


def test_batched_dp_uses_each_graphs_own_steps() -> None:
    """Graphs with fewer NAR steps ignore the padding columns, however cheap."""
    generator = torch.Generator().manual_seed(0)
    steps = torch.tensor([1, 3, 6, 2])
    cost = torch.rand(4, 5, 6, generator=generator)
    padding = (torch.arange(6) >= steps[:, None])[:, None, :]
    path = aligned_steps(cost.masked_fill(padding, 0.0), steps)
    for g, T in enumerate(steps.tolist()):
        assert [(k, int(t)) for k, t in enumerate(path[g])] == monotone_alignment(cost[g, :, :T])


def test_dp_is_fast_at_64_by_64() -> None:
    cost = torch.rand(32, 64, 64)
    steps = torch.randint(1, 65, (32,))
    start = time.perf_counter()
    path = aligned_steps(cost, steps)
    assert time.perf_counter() - start < 0.5
    assert (path[:, 0] == 0).all() and (path[:, -1] == steps - 1).all() and (path.diff(dim=1) >= 0).all()


def test_dp_rejects_bad_shapes_and_steps() -> None:
    with pytest.raises(ValueError, match="steps"):
        aligned_steps(torch.rand(1, 3, 4), torch.tensor([5]))
    with pytest.raises(ValueError, match="cost"):
        monotone_alignment(torch.rand(3))


def test_loss_is_mean_distance_along_each_graphs_path() -> None:
    generator = torch.Generator().manual_seed(1)
    K, T, H = 4, 5, 3
    batch = torch.tensor([0, 0, 0, 1, 1])
    steps = torch.tensor([5, 2])
    dear = torch.randn(K, 5, H, generator=generator)
    nar = torch.randn(T, 5, H, generator=generator)
    cost = alignment_cost(dear, nar, batch, 2)
    for g, k, t in zip(*(axis.flatten() for axis in torch.meshgrid(*map(torch.arange, (2, K, T)), indexing="ij"))):
        direct = (dear[k, batch == g] - nar[t, batch == g]).norm(dim=-1).mean()  # the definition
        assert float(cost[g, k, t]) == pytest.approx(float(direct), rel=1e-5, abs=1e-6)
    expected = torch.stack([
        torch.stack([cost[g][pair] for pair in monotone_alignment(cost[g, :, : int(steps[g])])]).mean()
        for g in range(2)
    ]).mean()
    assert float(alignment_loss(dear, nar, batch, steps)) == pytest.approx(float(expected), rel=1e-5)


def test_dp_and_loss_use_only_each_graphs_own_states() -> None:
    """A graph whose solve stopped early has fewer DEAR states: its padding rows are never read
    by the DP nor counted in the loss, however they are filled."""
    generator = torch.Generator().manual_seed(3)
    K, T, H = 5, 4, 3
    batch = torch.tensor([0, 0, 1, 1, 1])
    steps, states = torch.tensor([4, 3]), torch.tensor([2, 5])
    dear = torch.randn(K, 5, H, generator=generator)
    nar = torch.randn(T, 5, H, generator=generator)
    cost = alignment_cost(dear, nar, batch, 2)
    path = aligned_steps(cost, steps, states)
    for g in range(2):
        own = monotone_alignment(cost[g, : int(states[g]), : int(steps[g])])
        assert [(k, int(t)) for k, t in enumerate(path[g, : int(states[g])])] == own
    expected = torch.stack([
        torch.stack([cost[g][pair] for pair in monotone_alignment(cost[g, : int(states[g]), : int(steps[g])])]).mean()
        for g in range(2)
    ]).mean()
    loss = alignment_loss(dear, nar, batch, steps, states)
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    scrambled = dear.clone()
    scrambled[2:, :2] = 100.0  # graph 0's padding rows
    assert float(alignment_loss(scrambled, nar, batch, steps, states)) == pytest.approx(float(loss), rel=1e-6)
    with pytest.raises(ValueError, match="states"):
        aligned_steps(cost, steps, torch.tensor([0, 5]))


def _save_untrained(run_dir: Path, algorithm: str = "bfs", **overrides) -> Path:
    """A run directory holding a freshly initialised model (what ``load_run`` reads)."""
    config = make_config(algorithm, "smoke", **overrides)
    torch.manual_seed(1)
    run_dir.mkdir(parents=True)
    write_json(run_dir / "config.json", asdict(config))
    save_tensors(run_dir / "model.safetensors", build_model(config).state_dict())
    return run_dir


def _aligned_dear(nar_dir: Path, **overrides):
    torch.manual_seed(0)
    config = make_config("bfs", "smoke", model="dear", align=str(nar_dir), align_weight=1.0, **overrides)
    model = build_model(config)
    model.align_to(load_alignment_target(nar_dir, config.algorithm, config.hidden))
    batch = collate(generate("bfs", 3, (4, 7), seed=0))
    return model.train(), batch


def test_alignment_gradient_matches_finite_differences(tmp_path: Path) -> None:
    """The loss is differentiable in the processor through the re-applied step (the published
    code computed it under ``no_grad``, which gives no gradient at all)."""
    model, batch = _aligned_dear(_save_untrained(tmp_path / "nar"))
    model.processor.double()
    with torch.no_grad():
        graph = model.processor_graph(model.encode(batch))
    graph = replace(graph, node=graph.node.double(), edge=graph.edge.double(), graph=graph.graph.double())
    _, info = model.equilibrium(graph, num_states=int(batch.length.max()))
    step = partial(model.processor, graph=graph)

    def loss() -> torch.Tensor:
        return model.alignment.loss(batch, info.trajectory, info.trajectory_length, step)

    parameters = dict(model.processor.named_parameters())
    weights = [parameters["sender.weight"], parameters["update.out_z.weight"]]
    grads = torch.autograd.grad(loss(), weights)
    eps = 1e-6
    for weight, grad in zip(weights, grads):
        assert grad.abs().sum() > 0
        for index in [(0, 0), (1, 2), (3, 5)]:
            with torch.no_grad():
                weight[index] += eps
                up = float(loss())
                weight[index] -= 2 * eps
                down = float(loss())
                weight[index] += eps
            assert (up - down) / (2 * eps) == pytest.approx(float(grad[index]), rel=1e-4, abs=1e-9)


def test_training_forward_adds_align_loss_with_gradient_into_processor(tmp_path: Path) -> None:
    model, batch = _aligned_dear(_save_untrained(tmp_path / "nar"))
    prediction = model(batch)
    align = prediction.aux_losses["align"]
    assert align.requires_grad and float(align.detach()) > 0
    align.backward()
    assert sum(float(p.grad.abs().sum()) for p in model.processor.parameters() if p.grad is not None) > 0
    model.eval()
    with torch.no_grad():
        assert "align" not in model(batch).aux_losses  # training only


def test_trajectory_states_are_distinct_not_aliased(tmp_path: Path) -> None:
    model, batch = _aligned_dear(_save_untrained(tmp_path / "nar"), solver="fixed_point", tol=1e-12, max_iter=30)
    prediction = model(batch)
    prediction.aux_losses["align"].backward()
    states = prediction.solver.trajectory
    assert len(states) == int(batch.length.max()) >= 3
    assert len({s.data_ptr() for s in states}) == len(states)
    for a, b in zip(states, states[1:]):
        assert (a - b).abs().max() > 1e-6  # a ring buffer overwritten in place would repeat values


def test_nar_is_frozen_in_eval_mode_and_not_part_of_dear(tmp_path: Path) -> None:
    model, batch = _aligned_dear(_save_untrained(tmp_path / "nar"))
    fresh_keys = set(build_model(make_config("bfs", "smoke", model="dear")).state_dict())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    nar = model.alignment.nar
    before = {k: v.clone() for k, v in nar.state_dict().items()}
    for _ in range(3):
        model.train()  # what the trainer does every step: must not reach the NAR
        loss, _ = model.loss(batch, model(batch))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert not nar.training and all(not m.training for m in nar.modules())
    assert not any(p.requires_grad for p in nar.parameters())
    assert all(torch.equal(before[k], v) for k, v in nar.state_dict().items())
    assert set(model.state_dict()) == fresh_keys
    assert not {id(p) for p in nar.parameters()} & {id(p) for p in model.parameters()}


@pytest.mark.parametrize(
    "overrides, message",
    [({"model": "dear"}, "model 'dear'"), ({"hidden": 8}, "hidden 8"), ({"algorithm": "dfs"}, "algorithm 'dfs'")],
)
def test_wrong_nar_run_is_a_clear_error(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _aligned_dear(_save_untrained(tmp_path / "nar", **overrides))


def test_missing_nar_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--align.*not a run directory"):
        _aligned_dear(tmp_path / "missing")


def test_a_dear_without_its_nar_refuses_to_train_but_evaluates(tmp_path: Path) -> None:
    model = build_model(make_config("bfs", "smoke", model="dear", align=str(tmp_path / "nar"), align_weight=1.0))
    batch = collate(generate("bfs", 3, (4, 7), seed=0))
    with pytest.raises(ValueError, match="aligns to the NAR run .*align_to"):
        model.train()(batch)
    with torch.no_grad():
        model.eval()(batch)


def test_cli_trains_dear_aligned_to_a_nar_and_evaluates_without_it(tmp_path: Path) -> None:
    nar_dir, dear_dir = tmp_path / "nar", tmp_path / "dear"
    common = ["--profile", "smoke", "--steps", "10", "--quiet"]
    assert main(["train", "bfs", "--model", "nar", "--out", str(nar_dir), *common]) == 0
    assert main(["train", "bfs", "--model", "dear", "--align", str(nar_dir), "--max-iter", "8",
                 "--out", str(dear_dir), *common]) == 0
    records = [json.loads(line) for line in (dear_dir / "metrics.jsonl").read_text().splitlines()]
    assert all(r["loss_align"] > 0 for r in records)
    fresh = build_model(make_config("bfs", "smoke", model="dear"))
    assert set(load_file(dear_dir / "model.safetensors")) == set(fresh.state_dict())
    shutil.rmtree(nar_dir)
    assert main(["evaluate", str(dear_dir), "--sizes", "8", "--samples", "4"]) == 0


@pytest.mark.parametrize(
    "overrides, message",
    [({"model": "nar", "align": "runs/nar"}, "does nothing for --model nar"), ({"align_weight": -0.1}, "align_weight")],
)
def test_align_options_are_checked(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_config("bfs", "smoke", **overrides)
