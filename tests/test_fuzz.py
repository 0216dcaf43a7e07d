"""Fuzzing the public entry points: any input ends in a result or a one-line ``ValueError``
whose message is one the entry point gives and is true of the input (tests/error_claims.py);
valid input ends in a result.

Never another exception type, never a traceback from deep inside, never a NumPy or networkx
message passed through, never a hang or a huge allocation. Derandomized;
``pytest --hypothesis-show-statistics`` reports the cases tried and the messages seen.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import hypothesis.extra.numpy as hnp
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import dear
from dear.data import execute, generate, sample
from dear.data.execute import MAX_NODES
from dear.run import load_run
from dear.solve.convert import model_batch
from dear.solve.io import solve_file
from dear.specs import SPECS
from tests.error_claims import (
    CLAIMED_ALGORITHMS,
    array_claims,
    bounds,
    execute_claims,
    graph_claims,
    model_claims,
    result_or_true_refusal,
    sampling_claims,
    valid_graph,
    valid_sampling,
)

FUZZ = settings(derandomize=True, max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
GRAPH_ALGORITHMS = tuple(a for a in CLAIMED_ALGORITHMS if "A" in SPECS[a])
ARRAY_ALGORITHMS = tuple(a for a in CLAIMED_ALGORITHMS if "A" not in SPECS[a])

#: Anything JSON can hold (and bytes, complex numbers): scalars of every kind and containers of them.
OBJECTS = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=3)
    | st.binary(max_size=3) | st.complex_numbers(max_magnitude=1e3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    | st.tuples(inner, inner),
    max_leaves=8,
)
#: Anything a caller might pass: the above, and arrays of any dtype and shape.
JUNK = OBJECTS | hnp.arrays(hnp.scalar_dtypes() | hnp.unicode_string_dtypes(max_len=2),
                            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))


# --- data: execute, sample, generate -----------------------------------------------------------

@FUZZ
@given(algorithm=st.sampled_from(CLAIMED_ALGORITHMS), inputs=st.dictionaries(st.sampled_from(["A", "s", "key", "target",
       "adj", "pos"]), JUNK, max_size=4))
def test_execute_any_values(algorithm: str, inputs: dict) -> None:
    result = result_or_true_refusal(lambda: execute(algorithm, inputs), execute_claims(algorithm, inputs))
    if result is not None:
        assert result.algorithm == algorithm and result.num_nodes >= 2


HUGE = st.integers(MAX_NODES + 1, 10**18)


@FUZZ
@given(algorithm=st.sampled_from(CLAIMED_ALGORITHMS), num_nodes=st.one_of(HUGE, st.tuples(st.integers(2, 8), HUGE)),
       bulk=st.booleans())
def test_absurd_sizes_are_refused_before_allocating(algorithm: str, num_nodes: Any, bulk: bool) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=f"num_nodes must be at most {MAX_NODES}"):
            generate(algorithm, 3, num_nodes, 0) if bulk else sample(algorithm, num_nodes, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


@FUZZ
@given(algorithm=st.sampled_from(CLAIMED_ALGORITHMS), num_samples=st.one_of(st.integers(-2, 2), JUNK),
       num_nodes=st.one_of(st.integers(-3, 10), st.tuples(st.integers(-3, 10), st.integers(-3, 10)), HUGE, JUNK),
       seed=st.one_of(st.integers(-2, 2**64), JUNK))
def test_sample_and_generate_any_arguments(algorithm: str, num_samples: Any, num_nodes: Any, seed: Any) -> None:
    # An int array from JUNK may be a valid range such as [2, 30000]: dense data of GBs, valid but
    # not for a fuzz test (sizes above MAX_NODES stay in: they must be refused before allocating).
    assume(not 64 < max(bounds(num_nodes) or (0,)) <= MAX_NODES)
    one = result_or_true_refusal(lambda: sample(algorithm, num_nodes, seed),
                                 sampling_claims(algorithm, num_nodes, seed), valid=valid_sampling(num_nodes, seed))
    many = result_or_true_refusal(lambda: generate(algorithm, num_samples, num_nodes, seed),
                                  sampling_claims(algorithm, num_nodes, seed, num_samples),
                                  valid=valid_sampling(num_nodes, seed, num_samples))
    if valid_sampling(num_nodes, seed, num_samples):
        lo, hi = (num_nodes, num_nodes) if isinstance(num_nodes, int) else num_nodes
        assert one.algorithm == algorithm and lo <= one.num_nodes <= hi
        assert len(many) == num_samples and all(lo <= t.num_nodes <= hi for t in many)


# --- dear.solve ----------------------------------------------------------------------------------

#: Usable weights, or anything: zero, negative, NaN, Inf, beyond float64, not a number.
WEIGHTS = {"usable": st.floats(0.01, 100) | st.integers(1, 9),
           "any": st.floats() | st.integers(-3, 2**1100) | st.sampled_from([0.0, "2", "x", None, [1.0]])}
LABELS = st.integers(-3, 8) | st.integers(2**64, 2**65) | st.text(max_size=2) | st.tuples(st.integers(0, 2))
#: Sorted keys (binary search needs them), then anything.
KEYS = st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=8).map(sorted)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[nx.Graph, Any]:
    """A small graph of any networkx type (odd labels, self-loops, parallel edges; no weights,
    usable weights, or any) and a source: none, one of its nodes, or anything."""
    graph = draw(st.sampled_from([nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph]))()
    graph.add_nodes_from(draw(st.lists(LABELS, max_size=7)))
    nodes, weights = list(graph.nodes), draw(st.sampled_from(["none", "usable", "any"]))
    for _ in range(draw(st.integers(0, 12)) if nodes else 0):
        u, v = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        graph.add_edge(u, v, **({} if weights == "none" else {"weight": draw(WEIGHTS[weights])}))
    node = st.sampled_from(nodes) if nodes else st.none()
    source = draw(st.none() | node | node | LABELS | JUNK)
    return graph, source


@FUZZ
@given(problem=graphs() | graphs() | st.tuples(JUNK, JUNK), check=st.booleans())
@example(problem=(nx.Graph(), None), check=False)
@example(problem=(nx.DiGraph([(0, 0), (0, 1)]), 0), check=True)  # a self-loop
@example(problem=(nx.Graph([(0, 1, {"weight": math.nan})]), 0), check=False)
@example(problem=(nx.Graph([(0, 1, {"weight": -1.0})]), 0), check=False)
@example(problem=(nx.path_graph(3), 7), check=False)  # source not in the graph
@example(problem=(nx.grid_2d_graph(2, 3), (1, 1)), check=True)  # tuple labels
@example(problem=(np.ones((3, 3)), 0), check=False)  # an adjacency matrix with self-loops
@example(problem=(1 - np.eye(3), 0), check=True)  # a usable adjacency matrix
@example(problem=(np.triu(np.ones((3, 3)), 1), 0), check=False)  # not symmetric
@example(problem=([nx.path_graph(3), nx.star_graph(3)], [0, 1]), check=True)  # a batch, a source each
@example(problem=([nx.path_graph(3), nx.DiGraph([(0, 1)])], None), check=False)  # graph 1 is directed
def test_solve_graphs(smoke_run: Callable[..., Path], problem: tuple[Any, Any], check: bool) -> None:
    graph, source = problem
    model = str(smoke_run("bfs"))
    result = result_or_true_refusal(lambda: dear.solve("bfs", graph, source, model=model, check=check),
                                    graph_claims("bfs", graph, source), valid=valid_graph("bfs", graph, source))
    if result is not None:  # one result per graph (a list: a batch), keyed by node
        several = isinstance(graph, (list, tuple))
        for one, data in zip(result if several else [result], graph if several else [graph]):
            nodes = list(data.nodes) if isinstance(data, nx.Graph) else list(range(len(data)))
            assert list(one["pi"]) == nodes and set(one["pi"].values()) <= set(nodes)
            assert ("exact" in one) == check


@FUZZ
@given(algorithm=st.sampled_from(CLAIMED_ALGORITHMS), data=st.data(), steps=st.booleans())
def test_solve_input_handling_of_every_algorithm(algorithm: str, data: st.DataObject, steps: bool) -> None:
    """What ``dear.solve`` does before the model (which needs a model per algorithm to test)."""
    usable = graphs() if "A" in SPECS[algorithm] else st.tuples(KEYS, st.floats(-1e3, 1e3))
    problem = data.draw(usable | usable | st.tuples(JUNK, JUNK))
    if "A" in SPECS[algorithm]:
        claims, valid = graph_claims(algorithm, *problem, batches=False), valid_graph(algorithm, *problem)
    else:
        claims, valid = array_claims(algorithm, *problem), _valid_keys(algorithm, *problem)
    result = result_or_true_refusal(lambda: model_batch(algorithm, *problem, exact=True, steps=steps), claims,
                                    valid=valid)
    if result is not None:
        batch, nodes, trajectory = result
        assert len(nodes) == trajectory.num_nodes == batch.num_nodes and batch.num_graphs == 1


@FUZZ
@given(keys=KEYS | JUNK | st.fixed_dictionaries({"key": KEYS | JUNK}, optional={"target": JUNK}),
       target=st.floats(-1e3, 1e3) | JUNK, model=st.none() | JUNK)
def test_solve_arrays(smoke_run: Callable[..., Path], keys: Any, target: Any, model: Any) -> None:
    trained = model is None
    model = str(smoke_run("binary_search")) if trained else model  # mostly a trained model
    claims = array_claims("binary_search", keys, target) + ([] if trained else model_claims("binary_search", model))
    result = result_or_true_refusal(lambda: dear.solve("binary_search", keys, target, model=model), claims,
                                    valid=trained and _valid_keys("binary_search", keys, target))
    if result is not None:
        assert set(result) >= {"return", "valid", "diagnostics"}


@pytest.mark.parametrize("keys, target", [([0.0, 0.0], 2071754275.0), ((-2_071_754_275, -2_071_754_275), 0.0)])
def test_solve_equal_keys_and_a_far_target(smoke_run: Callable[..., Path], keys: Any, target: float) -> None:
    result = dear.solve("binary_search", keys, target, model=str(smoke_run("binary_search")))
    assert result["return"] in (0, 1)


def _valid_keys(algorithm: str, keys: Any, target: Any) -> bool:
    """Keys drawn by ``KEYS`` (a sorted list of 2 to 8 finite floats), alone or in a ``{"key": ...}``
    dict, and a finite number as target where the algorithm searches."""
    if isinstance(keys, dict):
        keys, target = keys.get("key"), keys.get("target", target)
    drawn = isinstance(keys, list) and len(keys) >= 2 and all(isinstance(k, float) and math.isfinite(k) for k in keys)
    if not (drawn and keys == sorted(keys)):
        return False
    return not algorithm.startswith("binary_search") or (isinstance(target, float) and math.isfinite(target))


# --- files: graph files, run directories -------------------------------------------------------

def _files(graph: nx.Graph, folder: Path) -> dict[str, bytes]:
    """The same graph in every format ``dear solve`` reads."""
    nx.write_graphml(graph, folder / "g.graphml")
    nx.write_weighted_edgelist(graph, folder / "g.edgelist")
    (folder / "g.json").write_text(json.dumps({"edges": [[u, v, w] for u, v, w in graph.edges(data="weight")]}))
    return {p.suffix: p.read_bytes() for p in folder.iterdir()}


@st.composite
def corrupted(draw: st.DrawFn, content: bytes) -> bytes:
    """``content`` intact, truncated, with bytes overwritten, lines with wrong columns, or random bytes."""
    how = draw(st.sampled_from(["intact", "truncate", "overwrite", "columns", "random"]))
    if how == "intact":
        return content
    if how == "truncate":
        return content[: draw(st.integers(0, len(content)))]
    if how == "overwrite":
        data = bytearray(content)
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "columns":
        line = b" ".join(draw(st.lists(st.sampled_from([b"0", b"1", b"-1", b"x", b"nan", b"1e999", b"{}"]),
                                       max_size=5)))
        return content + b"\n" + line + b"\n"
    return draw(st.binary(max_size=64))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


GRAPH = nx.Graph([(0, 1, {"weight": 0.5}), (1, 2, {"weight": 2.0}), (2, 3, {"weight": 1.0})])


@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".graphml", ".edgelist", ".json"]),
       source=st.one_of(st.none(), st.integers(-2, 5)))
def test_solve_file_on_corrupt_files(smoke_run: Callable[..., Path], workspace: Path, data: st.DataObject,
                                     suffix: str, source: int | None) -> None:
    originals = workspace / "originals"
    if not originals.exists():
        originals.mkdir()
        _files(GRAPH, originals)
    path = workspace / f"input{suffix}"
    original = (originals / f"g{suffix}").read_bytes()
    content = data.draw(corrupted(original))
    path.write_bytes(content)
    changed = content != original
    valid = not changed and (source is None or source in GRAPH)
    claims = [(re.escape(f"cannot read {path} as a graph ({suffix}): ") + ".+", lambda m: changed)]
    # Anything else said about the graph is about a graph read from a changed file, or the source.
    claims += [(pattern, lambda m, holds=holds: changed or holds(m)) for pattern, holds in graph_claims("bfs", GRAPH, source)]
    claims += [(re.escape("the graph is empty (no nodes); bfs needs at least 2 nodes"), lambda m: changed),
               (r"nodes .+ and .+ have the same id as text; rename one \(JSON keys are text\)", lambda m: changed)]
    result = result_or_true_refusal(lambda: solve_file("bfs", path, source, model=str(smoke_run("bfs"))), claims,
                                    valid=valid)
    if result is not None:
        assert json.loads(json.dumps(result)) == result  # JSON-ready
        if not changed:  # keyed by node id, as text
            assert list(result["pi"]) == ["0", "1", "2", "3"] and set(result["pi"].values()) <= set(GRAPH)


def _fresh_copy(run: Path, workspace: Path) -> Path:
    copy = workspace / "run"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("checkpoint*"))
    return copy


@FUZZ
@given(data=st.data())
def test_load_run_with_corrupt_weights(smoke_run: Callable[..., Path], workspace: Path,
                                      data: st.DataObject) -> None:
    run = _fresh_copy(smoke_run("bfs"), workspace)
    weights = run / "model.safetensors"
    original = weights.read_bytes()
    weights.write_bytes(data.draw(corrupted(original)))
    changed = weights.read_bytes() != original
    claims = [(re.escape(f"corrupt or unreadable weights file {weights}: ") + ".+", lambda m: changed),
              (re.escape(f"weights in {weights} do not fit this model (") + r".+\)", lambda m: changed)]
    result = result_or_true_refusal(lambda: load_run(run), claims, valid=not changed)
    if result is not None:
        assert result[0].algorithm == "bfs"


@FUZZ
@given(option=st.sampled_from(["hidden", "model", "processor", "algorithm", "train_sizes", "max_steps", "lr",
                               "eval_max_iter", "granola", "bogus"]),
       value=OBJECTS | st.integers(2**12, 2**62), truncate=st.booleans())
def test_load_run_with_bad_config(smoke_run: Callable[..., Path], workspace: Path, option: str, value: Any,
                                  truncate: bool) -> None:
    run = _fresh_copy(smoke_run("bfs"), workspace)
    config = json.loads((run / "config.json").read_text()) | {option: value}
    text = json.dumps(config, default=repr)
    (run / "config.json").write_text(text[: len(text) // 2] if truncate else text)
    result = result_or_true_refusal(lambda: load_run(run), _config_claims(run, option, truncate))
    if result is not None:
        assert not truncate and result[0].algorithm == json.loads(text)["algorithm"]


#: Options that change the network's shape: weights saved for another value do not fit.
SHAPE_OPTIONS = {"hidden", "model", "processor", "algorithm", "granola"}


def _config_claims(run: Path, option: str, truncate: bool) -> list:
    """A half-written config is unreadable JSON; otherwise the message names the option changed
    (or the weights no longer fit, where the option shapes the network)."""
    path = re.escape(str(run / "config.json"))
    if truncate:
        return [(f"cannot read run config {path}: .+", lambda m: True)]
    name = re.escape(option)
    return [
        (rf"option {name} must be .+, got .+", lambda m: True),
        (rf"unknown {name} .+; choose one of: .+", lambda m: True),
        (rf"{name} must be (positive|non-negative|at most \d+), got .+", lambda m: True),
        (r"unknown algorithm .+; choose one of: .+", lambda m: option == "algorithm"),
        (r"unknown config option\(s\): bogus", lambda m: option == "bogus"),
        (r"graph sizes must be at least 2 and train_sizes an increasing \(lo, hi\) pair",
         lambda m: option == "train_sizes"),
        (re.escape(f"weights in {run / 'model.safetensors'} do not fit this model (") + r".+\)",
         lambda m: option in SHAPE_OPTIONS),
    ]


@pytest.mark.parametrize("option, value", [("train_sizes", 8), ("train_sizes", []), ("train_sizes", [4, 8, 16]),
                                           ("test_sizes", 8), ("snapshot_steps", 5)])
def test_config_with_a_bad_size_list_names_the_option(smoke_run: Callable[..., Path], tmp_path: Path, option: str,
                                                      value: Any) -> None:
    run = _fresh_copy(smoke_run("bfs"), tmp_path)
    config = json.loads((run / "config.json").read_text()) | {option: value}
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=option):
        load_run(run)
