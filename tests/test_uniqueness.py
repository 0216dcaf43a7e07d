"""Whether a DEAR's answer depends on where its solve starts (dear.bench.uniqueness)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dear.bench.uniqueness import STARTS, answer_agreement, compare_starts, start_state
from dear.data import generate
from dear.data.batching import collate
from dear.models.dear import DEAR
from dear.nn.graph import EncodedGraph
from dear.specs import Type


class _Map(nn.Module):
    """A stand-in processor: ``h -> rule(h, graph)`` on every row."""

    def __init__(self, rule) -> None:
        super().__init__()
        self.rule = rule

    def forward(self, h: torch.Tensor, graph: EncodedGraph, active: torch.Tensor | None = None) -> torch.Tensor:
        return self.rule(h, graph)


def _dear_with(rule) -> DEAR:
    torch.manual_seed(0)
    model = DEAR("bfs", hidden=8, init="inputs", eval_tol=1e-6, eval_max_iter=20)
    model.processor = _Map(rule)
    return model.eval()


def test_a_map_with_one_fixed_point_gives_the_same_answer_from_every_start() -> None:
    model = _dear_with(lambda h, graph: torch.tanh(graph.node))  # reached in one step from anywhere
    result = compare_starts(model, generate("bfs", 6, 8, seed=0), batch_size=4, starts=("zeros", "random"))
    for start in ("zeros", "random"):
        assert result[f"{start}_converged_fraction"] == 1.0
        assert result[f"{start}_distance_max"] == pytest.approx(0.0, abs=1e-6)
        assert result[f"{start}_agreement"] == 1.0


def test_a_map_that_fixes_every_state_answers_from_where_it_starts() -> None:
    model = _dear_with(lambda h, graph: h)  # every state is a fixed point: the start is the answer
    result = compare_starts(model, generate("bfs", 6, 8, seed=0), batch_size=4, starts=("zeros", "random"))
    assert result["random_converged_fraction"] == 1.0  # each start converges at once, to itself
    assert result["zeros_distance_median"] == pytest.approx(1.0)  # ‖0 − h_ref‖ / ‖h_ref‖
    assert result["random_distance_median"] > 0.5
    assert result["random_agreement"] < 1.0


def _two_graphs() -> EncodedGraph:
    """Graphs of 3 and 2 nodes, without edges."""
    return EncodedGraph(node=torch.zeros(5, 8), edge=torch.zeros(0, 8), graph=torch.zeros(2, 8),
                        edge_index=torch.zeros(2, 0, dtype=torch.long), batch=torch.tensor([0, 0, 0, 1, 1]),
                        num_graphs=2)


def test_a_mask_one_answer_is_one_per_graph() -> None:
    graph = _two_graphs()
    a = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0])
    b = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0])  # graph 0 picked another node, graph 1 the same
    assert answer_agreement(a, b, "node", Type.MASK_ONE, graph).tolist() == [False, True]
    assert answer_agreement(a, b, "node", Type.MASK, graph).tolist() == [False, False, True, True, True]


def test_an_unknown_start_is_named() -> None:
    graph = _two_graphs()
    with pytest.raises(ValueError, match="unknown start 'ones'; choose one of: zeros, inputs, random"):
        start_state("ones", graph, 8, 1.0, torch.Generator())
    noise = start_state("random", graph, 8, 2.0, torch.Generator().manual_seed(0))
    assert noise.shape == (5, 8) and 1.0 < float(noise.std()) < 3.0


def test_a_run_is_compared_from_the_starts_it_was_not_trained_from(smoke_run) -> None:
    from dear.bench.equilibrium import _row

    result = _row("table", "bfs", "dear", 0, smoke_run("bfs", "dear"), 0.5, size=8, samples=4, tol=0.5)
    assert 0.0 <= result["score"] <= 1.0 and 0.0 <= result["converged_fraction"] <= 1.0
    assert 0.0 <= result["implicit_fraction"] <= 1.0
    own = result["start"]
    assert own in STARTS and f"{own}_agreement" not in result
    assert {f"{s}_agreement" for s in STARTS if s != own} <= set(result)


def test_start_noise_moves_the_start_of_training_solves_only() -> None:
    model = _dear_with(lambda h, graph: h)  # the fixed point is the start: it shows where a solve began
    model.start_noise = 0.5
    graph = model.encode(_batch())
    model.train()
    noisy, _ = model.equilibrium(graph)
    assert 0.3 < float((noisy - graph.node).std()) < 0.7
    model.eval()
    clean, _ = model.equilibrium(graph)
    assert torch.equal(clean, graph.node)  # evaluation starts where the model's init says


def _batch():
    return collate(generate("bfs", 2, 8, seed=0), hints=False)


def _table(tmp_path, run, seeds: int) -> tuple:
    """A table of ``seeds`` bfs DEAR cells (copies of ``run``), each with its nar cell scored 0.5 at
    n = 8: (runs, results) as ``run_equilibrium_benchmark`` reads them."""
    import json
    import shutil

    runs, out = tmp_path / "runs" / "cpu", tmp_path / "results"
    (out / "table" / "cpu").mkdir(parents=True)
    for seed in range(seeds):
        shutil.copytree(run, runs / "bfs" / "dear" / f"seed{seed}")
        (out / "table" / "cpu" / f"bfs__nar__seed{seed}.json").write_text(json.dumps({"eval": {"8": {"score": 0.5}}}))
    return runs, out


def test_the_table_source_writes_each_row_and_keeps_the_others(smoke_run, tmp_path) -> None:
    import json

    from dear.bench.equilibrium import run_equilibrium_benchmark

    runs, out = _table(tmp_path, smoke_run("bfs", "dear"), seeds=1)
    earlier = {"source": "table", "algorithm": "dfs", "column": "dear", "seed": 0, "n": 64, "tol": 0.01}
    (out / "bench_equilibrium.json").write_text(json.dumps({"meta": {}, "rows": [earlier]}))
    run_equilibrium_benchmark(out, ("bfs",), source="table", size=8, samples=4, tol=0.5, runs=runs)
    rows = json.loads((out / "bench_equilibrium.json").read_text())["rows"]
    assert earlier in rows and len(rows) == 2
    mine = next(r for r in rows if r["algorithm"] == "bfs")
    assert (mine["algorithm"], mine["nar_score"], mine["n"]) == ("bfs", 0.5, 8) and "random_agreement" in mine
    with pytest.raises(ValueError, match="no trained DEAR cell"):
        run_equilibrium_benchmark(out, ("dfs",), source="table", size=8, samples=4, tol=0.5, runs=runs)


def test_a_stopped_table_run_keeps_the_rows_it_measured(smoke_run, tmp_path, monkeypatch) -> None:
    import json

    import dear.bench.equilibrium as equilibrium

    runs, out = _table(tmp_path, smoke_run("bfs", "dear"), seeds=2)
    measured = []

    def row_then_stop(*args, **kwargs) -> dict:
        if measured:
            raise KeyboardInterrupt
        measured.append(args)
        return {"source": args[0], "algorithm": args[1], "column": args[2], "seed": args[3], "n": args[6], "tol": args[8]}

    monkeypatch.setattr(equilibrium, "_row", row_then_stop)
    with pytest.raises(KeyboardInterrupt):
        equilibrium.run_equilibrium_benchmark(out, ("bfs",), source="table", size=8, samples=4, tol=0.5, runs=runs)
    rows = json.loads((out / "bench_equilibrium.json").read_text())["rows"]
    assert [(r["algorithm"], r["seed"]) for r in rows] == [("bfs", 0)]
