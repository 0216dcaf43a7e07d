"""Bad input gets a one-line ``ValueError`` that names the problem, never a deep traceback.

Named cases pin the messages; fuzzing checks that arbitrary input (shapes, dtypes, values,
argument types) ends in a result or a ``ValueError`` whose message is one the function gives
and is true of the input (tests/error_claims.py), and that valid arguments give a result.
"""

from __future__ import annotations

from typing import Callable

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.data import Trajectory, execute, generate, sample
from dear.specs import Location, Stage, check_algorithm
from tests.error_claims import (
    CLAIMED_ALGORITHMS,
    execute_claims,
    result_or_true_refusal,
    sampling_claims,
    valid_sampling,
)

N = 4
A = np.ones((N, N)) - np.eye(N)  # complete graph, unit weights
S = np.eye(N)[0]
KEY = np.linspace(0.1, 0.9, N)


def _with(algorithm: str = "bfs", **changes: object) -> Callable[[], object]:
    """``execute`` on valid inputs of ``algorithm`` with some entries replaced (``None``: dropped)."""
    inputs: dict[object, object] = {"A": A, "s": S} if algorithm == "bfs" else {"key": KEY}
    inputs.update(changes)
    return lambda: execute(algorithm, {k: v for k, v in inputs.items() if v is not None})


CASES = {
    # unknown algorithm
    "execute-unknown": (lambda: execute("bsf", {"A": A}), "unknown algorithm 'bsf'"),
    "sample-unknown": (lambda: sample("bsf", 8, 0), "unknown algorithm 'bsf'"),
    "generate-unknown": (lambda: generate("bsf", 1, 8, 0), "unknown algorithm 'bsf'"),
    "algorithm-not-str": (lambda: execute(["bfs"], {"A": A}), "unknown algorithm"),
    # probe names
    "unknown-probe": (_with(B=A), r"no input probe\(s\) \['B'\]"),
    "hint-as-input": (_with(pi_h=S), r"no input probe\(s\) \['pi_h'\]"),
    "non-str-probe": (lambda: execute("bfs", {"A": A, "s": S, 1: S}), r"no input probe\(s\) \['1'\]"),
    "missing-A": (_with(A=None), "needs input 'A'"),
    "missing-s": (_with(s=None), "needs a source node 's'"),
    "missing-key": (lambda: execute("minimum", {"A": A}), r"no input probe\(s\) \['A'\]"),
    "missing-target": (_with("binary_search"), "needs a scalar 'target'"),
    "inputs-not-mapping": (lambda: execute("bfs", [A, S]), "inputs must be a mapping"),
    # shapes
    "A-not-square": (_with(A=np.ones((N, N + 1))), r"'A' of bfs must have shape \(4, 4\)"),
    "A-3d": (_with(A=np.ones((N, N, N))), r"'A' of bfs must have shape \(4, 4\)"),
    "A-1d": (_with(A=np.ones(N)), r"'A' of bfs must have shape \(4, 4\)"),
    "adj-shape": (_with(adj=np.ones((N + 1, N + 1))), r"'adj' of bfs must have shape \(4, 4\)"),
    "pos-shape": (_with(pos=np.ones(N + 1)), r"'pos' of bfs must have shape \(4,\)"),
    "key-2d": (_with("minimum", key=np.ones((N, 2))), r"'key' of minimum must have shape \(4,\)"),
    "target-vector": (_with("binary_search", target=[0.5]), r"'target' of binary_search must have shape"),
    # too few nodes
    "one-node": (_with(A=np.zeros((1, 1)), s=0), "at least 2 nodes, got 1"),
    "no-nodes": (_with("minimum", key=[]), "at least 2 nodes, got 0"),
    "scalar-A": (_with(A=3.0), "at least 2 nodes, got 0"),
    # values
    "nan-weight": (_with(A=np.where(A == 1, np.nan, 0)), "'A' contains NaN or Inf"),
    "inf-weight": (_with(A=np.where(A == 1, np.inf, 0)), "'A' contains NaN or Inf"),
    "nan-key": (_with("minimum", key=[0.1, np.nan]), "'key' contains NaN or Inf"),
    "inf-target": (_with("binary_search", target=np.inf), "'target' contains NaN or Inf"),
    "string-weights": (_with(A=np.full((N, N), "1")), "'A' must be an array of real numbers"),
    "complex-weights": (_with(A=A + 1j), "'A' must be an array of real numbers"),
    "ragged-weights": (_with(A=[[0, 1], [1]]), "'A' must be an array of real numbers"),
    "none-in-weights": (_with(A=[[0, None], [1, 0]]), "'A' must be an array of real numbers"),
    "dag-with-cycle": (
        lambda: execute("dag_shortest_paths", {"A": A, "s": S}),
        "needs a directed acyclic graph, but 'A' has a cycle",
    ),
    "unsorted-search-keys": (_with("binary_search", key=KEY[::-1], target=0.5), "'key' sorted in ascending"),
    # the source
    "s-two-hot": (_with(s=[1, 1, 0, 0]), "'s' must be a one-hot vector of length 4"),
    "s-all-zero": (_with(s=np.zeros(N)), "'s' must be a one-hot vector of length 4"),
    "s-fractional": (_with(s=[0.5, 0.5, 0, 0]), "'s' must be a one-hot vector of length 4"),
    "s-wrong-length": (_with(s=np.eye(N + 1)[0]), "'s' must be a one-hot vector of length 4"),
    "s-index-out-of-range": (_with(s=N), r"'s' must be a node index in \[0, 4\), got 4"),
    "s-negative-index": (_with(s=-1), r"'s' must be a node index in \[0, 4\)"),
    "s-fractional-index": (_with(s=1.5), r"'s' must be a node index in \[0, 4\)"),
    # seeds and sizes
    "negative-seed": (lambda: sample("bfs", 8, -1), "seed must be a non-negative integer, got -1"),
    "float-seed": (lambda: generate("bfs", 1, 8, 1.5), "seed must be a non-negative integer, got 1.5"),
    "bool-seed": (lambda: sample("bfs", 8, True), "seed must be a non-negative integer, got True"),
    "negative-num-samples": (lambda: generate("bfs", -1, 8, 0), "num_samples must be a non-negative integer"),
    "one-node-sample": (lambda: sample("bfs", 1, 0), "num_nodes must be at least 2, got 1"),
    "negative-num-nodes": (lambda: generate("bfs", 1, -5, 0), "num_nodes must be at least 2, got -5"),
    "range-below-two": (lambda: generate("bfs", 1, (1, 8), 0), r"num_nodes must be at least 2, got \(1, 8\)"),
    "range-reversed": (lambda: generate("bfs", 1, (9, 4), 0), r"inclusive \(lo, hi\) range, got \(9, 4\)"),
    "range-one-item": (lambda: generate("bfs", 1, (9,), 0), r"inclusive \(lo, hi\) range, got \(9,\)"),
    "range-three-items": (lambda: generate("bfs", 1, (4, 6, 9), 0), r"inclusive \(lo, hi\) range"),
    "num-nodes-float": (lambda: sample("bfs", 8.5, 0), "inclusive .* range, got 8.5"),
    "num-nodes-str": (lambda: sample("bfs", "8", 0), "inclusive .* range, got '8'"),
    "num-nodes-none": (lambda: sample("bfs", None, 0), "inclusive .* range, got None"),
    "num-nodes-nan": (lambda: sample("bfs", float("nan"), 0), "inclusive .* range, got nan"),
    # generator options
    "p-above-one": (lambda: sample("bfs", 8, 0, p=1.5), r"edge probability p must be in \[0, 1\], got 1.5"),
    "p-negative": (lambda: sample("bfs", 8, 0, p=(0.5, -0.1)), r"edge probability p must be in \[0, 1\]"),
    "p-empty": (lambda: sample("bfs", 8, 0, p=()), r"edge probability p must be in \[0, 1\]"),
    "p-nan": (lambda: sample("bfs", 8, 0, p=float("nan")), r"edge probability p must be in \[0, 1\]"),
    "p-str": (lambda: sample("bfs", 8, 0, p="half"), "bad generator option for bfs"),
    "p-for-array": (lambda: sample("minimum", 8, 0, p=0.5), "bad generator option for minimum: .*'p'"),
    "unknown-option": (lambda: generate("dijkstra", 1, 8, 0, density=0.5), "bad generator option for dij"),
    "low-nan": (lambda: sample("dijkstra", 8, 0, low=float("nan")), "bad generator option for dijkstra"),
    "low-above-high": (lambda: sample("minimum", 8, 0, low=2.0, high=1.0), "bad generator option for min"),
}


@pytest.mark.parametrize("call, match", list(CASES.values()), ids=list(CASES))
def test_bad_input_gets_a_one_line_value_error(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match) as error:
        call()
    assert "\n" not in str(error.value)


ANY_DTYPE = st.one_of(
    hnp.scalar_dtypes(), hnp.byte_string_dtypes(max_len=3), hnp.unicode_string_dtypes(max_len=3)
)
ANY_SHAPE = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
#: Mostly plain weights (zeros, ones, negatives, huge), sometimes NaN or Inf.
WEIGHTS = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(-1e300, 1e300), st.floats())


def _location_shape(location: str, n: int) -> tuple[int, ...]:
    return {Location.NODE: (n,), Location.EDGE: (n, n), Location.GRAPH: ()}[location]


@st.composite
def execute_calls(draw: st.DrawFn) -> tuple[str, dict[object, object]]:
    """An algorithm name and inputs of the right shapes and odd values (so that they reach the
    algorithm), then maybe one probe left out, added or replaced by anything."""
    algorithm = draw(st.sampled_from(CLAIMED_ALGORITHMS + ("no_such_algorithm",)))
    spec = check_algorithm(algorithm if algorithm in CLAIMED_ALGORITHMS else "bfs")
    n = draw(st.integers(0, 5))
    names = [name for name, (stage, _, _) in spec.items() if stage == Stage.INPUT]
    inputs: dict[object, object] = {
        name: draw(hnp.arrays(np.float64, _location_shape(spec[name][1], n), elements=WEIGHTS))
        for name in names
        if name != "s"
    }
    if "s" in names:
        inputs["s"] = draw(st.one_of(st.integers(0, max(n - 1, 0)), st.just(np.eye(max(n, 1))[0])))
    name = draw(st.sampled_from(names + ["B", "pi", 0]))
    change = draw(st.sampled_from(["none", "drop", "any", "index", "list"]))
    if change == "drop":
        inputs.pop(name, None)
    elif change == "any":
        inputs[name] = draw(hnp.arrays(draw(ANY_DTYPE), draw(ANY_SHAPE)))
    elif change == "index":
        inputs[name] = draw(st.integers(-2, 6))
    elif change == "list":
        inputs[name] = draw(st.lists(st.one_of(st.floats(), st.none(), st.text(max_size=1)), max_size=3))
    return algorithm, inputs


@settings(derandomize=True, max_examples=500, deadline=None)
@given(call=execute_calls())
def test_execute_gives_a_trajectory_or_a_value_error(call: tuple[str, dict[object, object]]) -> None:
    algorithm, inputs = call
    result = result_or_true_refusal(lambda: execute(algorithm, inputs), execute_claims(algorithm, inputs))
    if result is not None:
        assert isinstance(result, Trajectory) and result.algorithm == algorithm
        n = result.num_nodes
        assert n >= 2 and all(np.shape(result.inputs[name]) == _location_shape(location, n)
                              for name, (stage, location, _) in check_algorithm(algorithm).items() if stage == Stage.INPUT)


JUNK = st.one_of(st.none(), st.floats(), st.text(max_size=2), st.booleans())
SMALL_INTS = st.integers(-3, 12)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    algorithm=st.sampled_from(CLAIMED_ALGORITHMS),
    num_samples=st.one_of(st.integers(-2, 3), JUNK),
    num_nodes=st.one_of(
        SMALL_INTS, st.tuples(SMALL_INTS, SMALL_INTS), st.lists(SMALL_INTS, max_size=3), JUNK
    ),
    seed=st.one_of(st.integers(-3, 2**70), JUNK),
    options=st.dictionaries(
        st.sampled_from(["p", "low", "high", "connected", "bogus"]),
        st.one_of(st.integers(-2, 3), st.lists(st.floats(-1, 2), max_size=3), JUNK),
        max_size=3,
    ),
)
def test_sample_and_generate_give_data_or_a_value_error(
    algorithm: str, num_samples: object, num_nodes: object, seed: object, options: dict[str, object]
) -> None:
    one = result_or_true_refusal(lambda: sample(algorithm, num_nodes, seed, **options),
                                 sampling_claims(algorithm, num_nodes, seed, options=options),
                                 valid=valid_sampling(num_nodes, seed, options=options))
    many = result_or_true_refusal(lambda: generate(algorithm, num_samples, num_nodes, seed, **options),
                                  sampling_claims(algorithm, num_nodes, seed, num_samples, options),
                                  valid=valid_sampling(num_nodes, seed, num_samples, options))
    if one is not None:
        assert isinstance(one, Trajectory) and one.algorithm == algorithm
    if many is not None:
        assert isinstance(many, list) and len(many) == num_samples
        assert all(isinstance(t, Trajectory) and t.algorithm == algorithm for t in many)


@pytest.mark.parametrize("options", [{"low": [0.0]}, {"high": [2.0, 3.0]}])
def test_array_valued_bounds_for_binary_search_are_a_bad_option(options: dict) -> None:
    with pytest.raises(ValueError, match="bad generator option for binary_search"):
        sample("binary_search", 2, 0, **options)
