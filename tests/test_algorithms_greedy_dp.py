"""Meaning checks for the greedy and dynamic-programming algorithms (activity selection, task
scheduling, Kadane's maximum subarray, matrix-chain order, optimal BST) against brute force on
small instances, and their samplers against CLRS's distributions; the golden test pins the exact
CLRS hints."""

from __future__ import annotations

import functools
import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.algorithms import get
from dear.data import execute, generate
from tests.conftest import REFERENCE_DIR

FAMILY = ("activity_selector", "task_scheduling", "find_maximum_subarray_kadane", "matrix_chain_order", "optimal_bst")


def arrays(n: int, low: int, high: int, positive: bool = False) -> st.SearchStrategy[np.ndarray]:
    """``n`` values: small integers (many ties) or floats."""
    floor = 1e-3 if positive else float(low)
    return st.one_of(
        st.lists(st.integers(max(low, int(positive)), high), min_size=n, max_size=n),
        st.lists(st.floats(floor, float(high), allow_subnormal=False), min_size=n, max_size=n),
    ).map(lambda values: np.array(values, dtype=np.float64))


sizes = st.integers(2, 8)


@pytest.mark.parametrize("algorithm", FAMILY)
def test_specs_are_clrs30s(algorithm: str) -> None:
    reference = json.loads((REFERENCE_DIR / "specs_clrs30.json").read_text())[algorithm]
    assert get(algorithm).specs == {name: tuple(spec) for name, spec in reference.items()}


# --- activity selection ---------------------------------------------------------------------------

def compatible(s: np.ndarray, f: np.ndarray) -> bool:
    """No two activities overlap (one may start when another finishes)."""
    order = np.argsort(f, kind="stable")
    return bool(np.all(s[order][1:] >= f[order][:-1]))


@settings(derandomize=True, max_examples=60, deadline=None)
@given(data=sizes.flatmap(lambda n: st.tuples(arrays(n, 0, 9), arrays(n, 1, 5, positive=True))))
def test_activity_selector_selects_a_largest_compatible_set(data: tuple[np.ndarray, np.ndarray]) -> None:
    s, length = data
    f = s + length  # every activity lasts a while: with empty ones, ties in f defeat the greedy
    trajectory = execute("activity_selector", {"s": s, "f": f})
    chosen = trajectory.outputs["selected"].astype(bool)
    n = s.size
    best = max(k for k in range(1, n + 1) for c in itertools.combinations(range(n), k)
               if compatible(s[list(c)], f[list(c)]))
    assert compatible(s[chosen], f[chosen]) and chosen.sum() == best
    assert trajectory.length == n + 1
    assert np.all(np.diff(trajectory.hints["selected_h"], axis=0) >= 0)  # a selection is never undone
    np.testing.assert_array_equal(trajectory.hints["selected_h"][-1], trajectory.outputs["selected"])


# --- task scheduling ------------------------------------------------------------------------------

def feasible(d: np.ndarray) -> bool:
    """Unit tasks meet their deadlines when run in deadline order."""
    return bool(np.all(np.sort(d) >= np.arange(1, d.size + 1)))


@settings(derandomize=True, max_examples=60, deadline=None)
@given(data=sizes.flatmap(lambda n: st.tuples(st.lists(st.integers(1, n), min_size=n, max_size=n),
                                               arrays(n, 0, 9, positive=True))))
def test_task_scheduling_selects_a_feasible_set_no_heavier_than_the_optimum(data) -> None:
    """CLRS-30 puts each task, in decreasing weight, in the next free slot if that meets its
    deadline: feasible, but not always Lawler's maximum weight (see the next test)."""
    d, w = np.array(data[0], dtype=np.float64), data[1]
    trajectory = execute("task_scheduling", {"d": d, "w": w})
    chosen = trajectory.outputs["selected"].astype(bool)
    n = d.size
    best = max(w[list(c)].sum() for k in range(n + 1) for c in itertools.combinations(range(n), k)
               if feasible(d[list(c)]))
    assert feasible(d[chosen]) and w[chosen].sum() <= best + 1e-9
    np.testing.assert_array_equal(trajectory.hints["t"], trajectory.hints["selected_h"].sum(axis=1))
    assert trajectory.hints["t"][-1] == chosen.sum() and trajectory.length == n + 1
    if np.all(np.diff(d[np.argsort(-w)]) >= 0):  # heavier tasks due no later: the greedy is optimal
        assert w[chosen].sum() == pytest.approx(best)


def test_task_scheduling_is_clrs30s_next_slot_greedy_not_the_optimum() -> None:
    """The heavier task (due at 2) takes slot 1, so the lighter one (due at 1) is dropped,
    although running it first would fit both."""
    trajectory = execute("task_scheduling", {"d": [2.0, 1.0], "w": [0.9, 0.8]})
    np.testing.assert_array_equal(trajectory.outputs["selected"], [1.0, 0.0])


# --- Kadane's maximum subarray --------------------------------------------------------------------

@settings(derandomize=True, max_examples=80, deadline=None)
@given(key=st.integers(2, 12).flatmap(lambda n: arrays(n, -3, 3)))
def test_kadane_finds_a_maximum_sum_subarray(key: np.ndarray) -> None:
    trajectory = execute("find_maximum_subarray_kadane", {"key": key})
    start, end = int(np.argmax(trajectory.outputs["start"])), int(np.argmax(trajectory.outputs["end"]))
    best = max(key[i:j + 1].sum() for i in range(key.size) for j in range(i, key.size))
    assert start <= end and key[start:end + 1].sum() == pytest.approx(best)
    assert trajectory.hints["best_sum"][-1] == pytest.approx(best) and trajectory.length == key.size


# --- matrix-chain order ---------------------------------------------------------------------------

def clrs30_matrix_chain(p: np.ndarray) -> tuple[list[tuple[np.ndarray, ...]], np.ndarray]:
    """CLRS-30's parallel matrix-chain loop, step by step in plain Python: the hints
    ``(m, s, msk)`` and the answer ``s``."""
    n = p.size
    m, s, msk = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    msk[range(1, n), range(1, n)] = 1
    steps = []
    while True:
        prev_m, prev_msk = m.copy(), msk.copy()
        steps.append((prev_m, s.copy(), prev_msk))
        for i in range(1, n):
            for j in range(i + 1, n):
                flag = prev_msk[i, j]
                for k in range(i, j):
                    if prev_msk[i, k] == 1 and prev_msk[k + 1, j] == 1:
                        msk[i, j] = 1
                        q = prev_m[i, k] + prev_m[k + 1, j] + p[i - 1] * p[k] * p[j]
                        if flag == 0 or q < m[i, j]:
                            m[i, j], s[i, j], flag = q, k, 1
        if np.all(prev_m == m):
            return steps, s


def chain_cost(p: np.ndarray, s: np.ndarray, i: int, j: int) -> float:
    """Scalar multiplications of matrices ``i..j`` (matrix ``i`` is ``p[i-1] x p[i]``) split by ``s``."""
    if i == j:
        return 0.0
    k = int(s[i, j])
    assert i <= k < j
    return chain_cost(p, s, i, k) + chain_cost(p, s, k + 1, j) + p[i - 1] * p[k] * p[j]


def best_chain_cost(p: np.ndarray) -> float:
    """The minimum over every parenthesisation."""
    @functools.cache
    def best(i: int, j: int) -> float:
        return 0.0 if i == j else min(best(i, k) + best(k + 1, j) + p[i - 1] * p[k] * p[j] for k in range(i, j))
    return best(1, p.size - 1)


@settings(derandomize=True, max_examples=80, deadline=None)
@given(p=st.integers(2, 12).flatmap(lambda n: arrays(n, 0, 4)))
def test_matrix_chain_split_table_is_optimal_and_clrs30s_every_step(p: np.ndarray) -> None:
    trajectory = execute("matrix_chain_order", {"p": p})
    s = trajectory.outputs["s"]
    steps, clrs_s = clrs30_matrix_chain(p)
    assert trajectory.length == len(steps) <= p.size - 1
    for name, t in (("m", 0), ("s_h", 1), ("msk", 2)):
        np.testing.assert_array_equal(trajectory.hints[name], np.stack([step[t] for step in steps]), err_msg=name)
    np.testing.assert_array_equal(s, clrs_s)
    if np.all(p > 0):  # else costs can stay 0 while long chains are unready: CLRS-30 stops early
        assert chain_cost(p, s, 1, p.size - 1) == pytest.approx(best_chain_cost(p))


@pytest.mark.parametrize("ties", [False, True])
def test_matrix_chain_matches_clrs30_on_longer_chains(ties: bool) -> None:
    """Long enough that most intervals settle early and are skipped (the kernel's shortcut)."""
    rng = np.random.default_rng(7)
    p = rng.integers(1, 4, size=40).astype(np.float64) if ties else rng.uniform(size=40)
    trajectory = execute("matrix_chain_order", {"p": p})
    steps, clrs_s = clrs30_matrix_chain(p)
    assert trajectory.length == len(steps)
    for name, t in (("m", 0), ("s_h", 1)):
        np.testing.assert_array_equal(trajectory.hints[name], np.stack([step[t] for step in steps]), err_msg=name)
    np.testing.assert_array_equal(trajectory.outputs["s"], clrs_s)


# --- optimal binary search tree -------------------------------------------------------------------

def search_cost(p: np.ndarray, q: np.ndarray, root: np.ndarray, i: int, j: int, depth: int = 1) -> float:
    """Expected search cost of keys ``i..j-1`` (and dummies ``i..j``) in the tree ``root`` gives,
    from each key's and dummy's depth: ``sum (depth + 1) * probability``."""
    if i == j:
        return depth * q[i]
    r = int(root[i, j])
    assert i <= r < j
    return depth * p[r] + search_cost(p, q, root, i, r, depth + 1) + search_cost(p, q, root, r + 1, j, depth + 1)


def best_search_cost(p: np.ndarray, q: np.ndarray) -> float:
    """The minimum over every tree shape (a tree over ``i..j`` is a root and two subtrees)."""
    @functools.cache
    def trees(i: int, j: int) -> tuple[tuple[float, float], ...]:
        """(cost, weight) of each tree on keys ``i..j-1``, cost counting depths from 1."""
        if i == j:
            return ((q[i], q[i]),)
        return tuple(
            (left + right + weight, weight)
            for r in range(i, j)
            for (left, lw), (right, rw) in itertools.product(trees(i, r), trees(r + 1, j))
            for weight in [lw + rw + p[r]]
        )
    return min(cost for cost, _ in trees(0, q.size - 1))


@settings(derandomize=True, max_examples=60, deadline=None)
@given(keys=st.integers(1, 6).flatmap(lambda k: st.tuples(arrays(k, 0, 9, positive=True),
                                                         arrays(k + 1, 0, 9, positive=True))))
def test_optimal_bst_root_table_gives_an_optimal_tree(keys: tuple[np.ndarray, np.ndarray]) -> None:
    total = keys[0].sum() + keys[1].sum()
    p, q = np.append(keys[0], 0.0) / total, keys[1] / total  # the last node holds no key
    trajectory = execute("optimal_bst", {"p": p, "q": q})
    n = q.size
    cost = search_cost(p, q, trajectory.outputs["root"], 0, n - 1)
    assert cost == pytest.approx(best_search_cost(p, q))
    assert trajectory.hints["e"][-1][0, n - 1] == pytest.approx(cost) and trajectory.length == n
    spans = np.arange(n)[None, :] - np.arange(n)[:, None]
    for step, msk in enumerate(trajectory.hints["msk"]):  # step l has filled the intervals of l keys
        np.testing.assert_array_equal(msk, (spans >= 0) & (spans <= step))


# --- samplers -------------------------------------------------------------------------------------

def inputs(algorithm: str, num_samples: int, n: int, **options: object) -> dict[str, np.ndarray]:
    """Each input probe stacked over ``num_samples`` samples, and ``T`` as ``length``."""
    samples = generate(algorithm, num_samples, n, seed=3, hints=False, **options)
    stacked = {name: np.stack([t.inputs[name] for t in samples]) for name in samples[0].inputs}
    return stacked | {"length": np.array([t.length for t in samples])}


def test_activities_span_the_min_and_max_of_two_uniform_draws() -> None:
    data = inputs("activity_selector", 400, 16)
    assert data["s"].shape == (400, 16) and np.all((0 <= data["s"]) & (data["s"] <= data["f"]) & (data["f"] <= 1))
    assert data["s"].mean() == pytest.approx(1 / 3, abs=0.02) and data["f"].mean() == pytest.approx(2 / 3, abs=0.02)
    assert np.all(data["length"] == 17)
    assert np.all(inputs("activity_selector", 20, 5, low=2.0, high=3.0)["s"] >= 2.0)


def test_task_deadlines_are_uniform_integers_up_to_n_and_weights_uniform() -> None:
    data = inputs("task_scheduling", 400, 8)
    d, w = data["d"], data["w"]
    assert set(np.unique(d)) == set(range(1, 9)) and np.all((0 <= w) & (w <= 1))
    assert d.mean() == pytest.approx(4.5, abs=0.1) and w.mean() == pytest.approx(0.5, abs=0.02)
    assert np.all(data["length"] == 9)
    assert inputs("task_scheduling", 20, 8, max_deadline=2)["d"].max() == 2


def test_kadane_keys_are_uniform_in_minus_one_one() -> None:
    key = inputs("find_maximum_subarray_kadane", 400, 16)["key"]
    assert np.all((-1 <= key) & (key <= 1)) and key.mean() == pytest.approx(0.0, abs=0.02)
    assert (key < 0).mean() == pytest.approx(0.5, abs=0.02)


def test_matrix_dimensions_are_uniform_and_steps_at_most_n_minus_one() -> None:
    data = inputs("matrix_chain_order", 200, 16)
    assert data["p"].shape == (200, 16) and np.all((0 <= data["p"]) & (data["p"] <= 1))
    assert data["p"].mean() == pytest.approx(0.5, abs=0.02)
    assert np.all(data["length"] <= 15) and data["length"].min() < data["length"].max()


def test_bst_probabilities_sum_to_one_over_n_minus_one_keys() -> None:
    data = inputs("optimal_bst", 200, 16)
    p, q = data["p"], data["q"]
    assert p.shape == q.shape == (200, 16) and np.all(p[:, -1] == 0) and np.all(p[:, :-1] > 0) and np.all(q > 0)
    np.testing.assert_allclose(p.sum(axis=1) + q.sum(axis=1), 1.0)
    assert p[:, :-1].mean() == pytest.approx(1 / 31, rel=0.05)  # 31 = 2n - 1 exchangeable draws
    assert np.all(data["length"] == 16)


def test_unknown_sampler_options_are_refused() -> None:
    with pytest.raises(ValueError, match="bad generator option"):
        generate("optimal_bst", 1, 8, seed=0, low=0.5)
