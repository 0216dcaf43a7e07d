"""Meaning checks for the sorting family (bubble sort, heapsort, quicksort, quickselect) on random
keys against Python's sorting; the golden test pins the exact CLRS hints."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.algorithms import Answer, get
from dear.checking import tie_aware_check
from dear.data import execute, generate
from tests.conftest import REFERENCE_DIR

SORTS = ("bubble_sort", "heapsort", "quicksort")
FAMILY = (*SORTS, "quickselect")

#: Keys with many ties (few distinct values) as well as distinct ones.
keys = st.integers(2, 24).flatmap(
    lambda n: st.one_of(
        st.lists(st.integers(0, 3), min_size=n, max_size=n).map(lambda k: np.array(k, dtype=np.float64)),
        st.lists(st.floats(0, 1, allow_subnormal=False), min_size=n, max_size=n, unique=True).map(np.array),
    )
)


def chain_order(pred: np.ndarray) -> list[int]:
    """The nodes of a ``pred`` chain from its head (the node pointing to itself) to its tail."""
    pred = pred.astype(np.int64)
    (head,) = np.flatnonzero(pred == np.arange(pred.size))
    after = {int(p): v for v, p in enumerate(pred) if p != v}
    order = [int(head)]
    while order[-1] in after:
        order.append(after[order[-1]])
    return order


@pytest.mark.parametrize("algorithm", FAMILY)
def test_specs_are_clrs30s(algorithm: str) -> None:
    reference = json.loads((REFERENCE_DIR / "specs_clrs30.json").read_text())[algorithm]
    assert get(algorithm).specs == {name: tuple(spec) for name, spec in reference.items()}


@pytest.mark.parametrize("algorithm", SORTS)
@settings(derandomize=True, max_examples=60, deadline=None)
@given(key=keys)
def test_pred_chains_the_keys_in_sorted_order(algorithm: str, key: np.ndarray) -> None:
    trajectory = execute(algorithm, {"key": key})
    pred = trajectory.outputs["pred"]
    order = chain_order(pred)
    assert sorted(order) == list(range(key.size))  # one chain through every node
    assert key[order].tolist() == sorted(key.tolist())
    if algorithm == "bubble_sort":  # stable: ties keep their input order
        assert order == np.argsort(key, kind="stable").tolist()
    np.testing.assert_array_equal(trajectory.hints["pred_h"][-1], pred)
    assert get(algorithm).answer is Answer.SORTED_CHAIN
    check = tie_aware_check(algorithm, key, None, pred.astype(np.int64))
    assert check["valid"] and check["optimal"] and check["correct"] == 1.0


@pytest.mark.parametrize("algorithm", FAMILY)
@settings(derandomize=True, max_examples=40, deadline=None)
@given(key=keys)
def test_every_hint_step_is_a_permutation_chain_with_one_hot_pointers(algorithm: str, key: np.ndarray) -> None:
    trajectory = execute(algorithm, {"key": key})
    for pred in trajectory.hints["pred_h"]:
        assert sorted(chain_order(pred)) == list(range(key.size))
    for name, (stage, _, kind) in get(algorithm).specs.items():
        if stage == "hint" and kind in ("mask_one", "categorical"):
            np.testing.assert_array_equal(trajectory.hints[name].sum(axis=-1), 1.0)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(key=keys)
def test_quickselect_finds_the_clrs_median(key: np.ndarray) -> None:
    """CLRS selects rank ``n // 2`` (0-based): the upper median when ``n`` is even."""
    n = key.size
    trajectory = execute("quickselect", {"key": key})
    median = trajectory.outputs["median"]
    assert median.sum() == 1.0
    assert key[np.argmax(median)] == np.sort(key)[n // 2]
    np.testing.assert_array_equal(trajectory.hints["pivot"][-1], median)
    assert trajectory.hints["target"][0] == (n // 2) / n
    assert np.all((trajectory.hints["i_rank"] >= 0) & (trajectory.hints["i_rank"] < 1))


@settings(derandomize=True, max_examples=40, deadline=None)
@given(key=keys)
def test_heapsort_builds_a_max_heap_first(key: np.ndarray) -> None:
    """At its first extraction (phase 1) every node's key is at most its heap parent's."""
    hints = execute("heapsort", {"key": key}).hints
    first = int(np.argmax(hints["phase"][:, 1]))
    parent = hints["parent"][first - 1].astype(np.int64)  # the heap just built, all n nodes in it
    assert np.all(key <= key[parent])
    assert np.sum(parent == np.arange(key.size)) == 1  # only the root points to itself
    np.testing.assert_array_equal(hints["parent"][-1], np.arange(key.size))  # heap of one node


@pytest.mark.parametrize("n", [2, 3, 8, 33])
def test_step_counts_of_extreme_inputs(n: int) -> None:
    """Bubble sort always compares n (n - 1) / 2 times; quicksort is quadratic on equal or sorted
    keys (each partition of m keys takes m steps and peels off only its pivot)."""
    ramp = np.arange(n, dtype=np.float64)
    for key in (ramp, ramp[::-1].copy(), np.zeros(n), np.random.default_rng(n).random(n)):
        assert execute("bubble_sort", {"key": key}).length == 1 + n * (n - 1) // 2
    for key in (ramp, np.zeros(n)):
        assert execute("quicksort", {"key": key}).length == n * (n + 1) // 2 - 1
        # quickselect keeps the left part until rank n // 2 is the last: partitions of n .. n // 2 + 1
        assert execute("quickselect", {"key": key}).length == sum(range(n // 2 + 1, n + 1))


@pytest.mark.parametrize("algorithm", FAMILY)
def test_generate_draws_uniform_unsorted_keys(algorithm: str) -> None:
    samples = generate(algorithm, 40, 16, seed=3)
    key = np.stack([s.inputs["key"] for s in samples])
    assert key.shape == (40, 16) and np.all((key >= 0) & (key < 1))
    assert np.any(np.diff(key, axis=1) < 0)  # not sorted, unlike binary search's keys
    assert 0.4 < key.mean() < 0.6
    np.testing.assert_allclose(samples[0].inputs["pos"], np.arange(16) / 16)
    assert get(algorithm).t_grows
    mean_length = [np.mean([s.length for s in generate(algorithm, 20, n, seed=0)]) for n in (8, 32)]
    assert mean_length[1] > mean_length[0]
