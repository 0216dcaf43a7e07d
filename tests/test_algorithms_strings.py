"""Meaning checks for the string algorithms (naive and KMP matchers, LCS) on random strings
against Python's ``str.find`` and a plain DP, and their sampler against CLRS's; the golden
test pins the exact CLRS hints."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.algorithms import get
from dear.algorithms.strings import ALPHABET
from dear.data import Trajectory, execute, generate
from tests.conftest import REFERENCE_DIR, load_reference

MATCHERS = ("naive_string_matcher", "kmp_matcher")
ALGORITHMS = (*MATCHERS, "lcs_length")
LETTERS = "abcd"
WORDS = st.lists(st.integers(0, ALPHABET - 1), min_size=1, max_size=24)
#: Small alphabets make repeats, partial matches and long common subsequences likely.
NARROW_WORDS = st.lists(st.integers(0, 1), min_size=1, max_size=24)
PROPERTY = settings(derandomize=True, max_examples=200, deadline=None)


def encode(first: list[int], second: list[int]) -> dict[str, np.ndarray]:
    """CLRS's layout of two strings (``pos`` left for ``execute`` to derive)."""
    return {
        "string": np.repeat([0.0, 1.0], [len(first), len(second)]),
        "key": np.eye(ALPHABET)[first + second],
    }


def decode(trajectory: Trajectory) -> tuple[str, str]:
    letters = "".join(LETTERS[i] for i in np.argmax(trajectory.inputs["key"], axis=1))
    h = int(np.count_nonzero(trajectory.inputs["string"] == 0))
    return letters[:h], letters[h:]


def found(trajectory: Trajectory) -> int:
    """The match as ``str.find`` says it: the needle's first node means none (-1)."""
    start = int(np.argmax(trajectory.outputs["match"]))
    return -1 if start == len(decode(trajectory)[0]) else start


def lcs(x: str, y: str) -> int:
    """The textbook DP, one row at a time."""
    row = [0] * (len(y) + 1)
    for a in x:
        diagonal, row[0] = 0, 0
        for j, b in enumerate(y, 1):
            diagonal, row[j] = row[j], diagonal + 1 if a == b else max(row[j], row[j - 1])
    return row[-1]


def traceback(b: np.ndarray, x: str, y: str) -> str:
    """The common subsequence CLRS's ``b`` table spells (0: take and go diagonally, 1: up,
    2: left), read from the ``x_i -> y_j`` edges."""
    h = len(x)
    direction = np.argmax(b[:h, h:], axis=-1)
    i, j, taken = h - 1, len(y) - 1, []
    while i >= 0 and j >= 0:
        step = direction[i, j]
        if step == 0:
            taken.append(x[i])
        i, j = i - (step != 2), j - (step != 1)
    return "".join(reversed(taken))


def is_subsequence(word: str, of: str) -> bool:
    letters = iter(of)
    return all(letter in letters for letter in word)


def borders(needle: str) -> list[int]:
    """The prefix function by brute force: the longest proper border of each prefix."""
    return [max(k for k in range(q + 1) if needle[:k] == needle[q + 1 - k:q + 1]) if q else 0
            for q in range(len(needle))]


def test_specs_and_classes_are_clrs30s() -> None:
    reference = json.loads((REFERENCE_DIR / "specs_clrs30.json").read_text())
    for name in ALGORITHMS:
        record = get(name)
        assert record.specs == {k: tuple(v) for k, v in reference[name].items()}, name
        sample = load_reference(name)[0]
        widths = {p: v.shape[-1] for stage in ("input", "output") for p, v in sample[stage].items()}
        widths |= {p: v.shape[-1] for p, v in sample["hint"].items()}
        assert all(widths[p] == classes for p, classes in record.categories.items()), name
        assert {p for p, (_, _, kind) in record.specs.items() if kind == "categorical"} == set(record.categories)


@PROPERTY
@given(haystack=WORDS, needle=WORDS, narrow=st.booleans())
def test_matchers_find_what_str_find_finds(haystack: list[int], needle: list[int], narrow: bool) -> None:
    if narrow:
        haystack, needle = [c % 2 for c in haystack], [c % 2 for c in needle]
    if len(needle) > len(haystack):
        haystack, needle = needle, haystack
    x, y = "".join(LETTERS[c] for c in haystack), "".join(LETTERS[c] for c in needle)
    for name in MATCHERS:
        trajectory = execute(name, encode(haystack, needle))
        assert decode(trajectory) == (x, y)
        assert found(trajectory) == x.find(y), name


@PROPERTY
@given(haystack=WORDS, needle=NARROW_WORDS)
def test_kmp_prefix_function_is_the_longest_border(haystack: list[int], needle: list[int]) -> None:
    if len(needle) > len(haystack):
        haystack, needle = needle, haystack
    trajectory = execute("kmp_matcher", encode(haystack, needle))
    h = len(haystack)
    pi, is_reset = trajectory.hints["pi"][-1, h:] - h, trajectory.hints["is_reset"][-1, h:]
    # CLRS stores border - 1 and flags an empty border instead of storing -1
    ours = np.where(is_reset == 1, 0, pi + 1)
    expected = borders("".join(LETTERS[c] for c in needle))
    phase_0 = int(np.count_nonzero(trajectory.hints["phase"] == 0))
    assert ours.tolist() == expected and phase_0 >= len(needle)


@PROPERTY
@given(x=WORDS, y=WORDS, narrow=st.booleans())
def test_lcs_table_spells_a_longest_common_subsequence(x: list[int], y: list[int], narrow: bool) -> None:
    if narrow:
        x, y = [c % 2 for c in x], [c % 2 for c in y]
    trajectory = execute("lcs_length", encode(x, y))
    a, b = decode(trajectory)
    common = traceback(trajectory.outputs["b"], a, b)
    assert is_subsequence(common, a) and is_subsequence(common, b)
    assert len(common) == lcs(a, b) == trajectory.hints["c"][-1, len(a) - 1, -1]
    assert trajectory.length <= max(1, len(a) + len(b) - 2)


def test_lcs_blank_edges_hold_clrs_masked_class() -> None:
    trajectory = execute("lcs_length", encode([0, 1, 2], [2, 1]))
    b = np.concatenate([trajectory.hints["b_h"], trajectory.outputs["b"][None]])
    table = np.zeros((5, 5), dtype=bool)
    table[:3, 3:] = True
    np.testing.assert_array_equal(b[:, table].sum(axis=-1), 1.0)
    np.testing.assert_array_equal(b[:, ~table], np.broadcast_to([0.0, 0.0, 0.0, -1.0], b[:, ~table].shape))


@pytest.mark.parametrize("name", ALGORITHMS)
def test_sampler_draws_clrs_layout(name: str) -> None:
    for n in (2, 3, 4, 5, 9, 16, 33, 64):
        second = (1 if n < 5 else n // 5) if name in MATCHERS else n // 2
        h = n - second
        for trajectory in generate(name, 20, n, seed=n, hints=False):
            inputs = trajectory.inputs
            assert list(inputs) == ["string", "pos", "key"]
            np.testing.assert_array_equal(inputs["string"], np.repeat([0.0, 1.0], [h, second]))
            np.testing.assert_allclose(inputs["pos"], np.r_[np.arange(h) / h, np.arange(second) / second])
            assert inputs["key"].shape == (n, ALPHABET) and np.all(inputs["key"].sum(axis=1) == 1)
            if name in MATCHERS:  # the needle is copied at an offset below h - m (0 where that is empty)
                haystack, needle = decode(trajectory)
                offsets = [s for s in range(max(h - second, 1)) if haystack[s:s + second] == needle]
                assert offsets and found(trajectory) == haystack.find(needle) == offsets[0]


@pytest.mark.parametrize("name", ("kmp_matcher", "lcs_length"))
def test_sampler_letters_are_uniform(name: str) -> None:
    data = generate(name, 400, 40, seed=1, hints=False)
    letters = np.concatenate([np.argmax(t.inputs["key"], axis=1) for t in data])
    counts = np.bincount(letters, minlength=ALPHABET)
    expected = letters.size / ALPHABET
    assert ((counts - expected) ** 2 / expected).sum() < 16.3  # chi-square, 3 dof, p = 0.001


def test_needle_offset_is_uniform_below_its_last_place() -> None:
    """CLRS copies the needle at ``choice(h - m)``: every offset but the last possible one. With
    a needle of 1 letter (n = 4), the first occurrence is the offset or an earlier chance copy."""
    first = [found(t) for t in generate("naive_string_matcher", 2000, 4, seed=2, hints=False)]
    counts = np.bincount(first, minlength=3)
    assert counts[2] == 0  # h - m = 2: the last place never holds the copy, nor the first match
    assert abs(counts[0] / 2000 - (0.5 + 0.5 / 4)) < 0.04  # offset 0, or offset 1 after a chance match


@pytest.mark.parametrize("name", ALGORITHMS)
def test_steps_grow_with_n(name: str) -> None:
    assert get(name).t_grows
    small, large = ([t.length for t in generate(name, 30, n, seed=3)] for n in (8, 48))
    assert np.mean(large) > 3 * np.mean(small)


def test_random_pos_is_sorted_within_each_string() -> None:
    for name in ALGORITHMS:
        (trajectory,) = generate(name, 1, 20, seed=4, random_pos=True)
        h = int(np.count_nonzero(trajectory.inputs["string"] == 0))
        pos = trajectory.inputs["pos"]
        assert np.all(np.diff(pos[:h]) >= 0) and np.all(np.diff(pos[h:]) >= 0) and np.all((pos >= 0) & (pos < 1))
        assert pos[h] < pos[h - 1]  # with probability 1 - 2**-20 or so: two independent sorted runs


@pytest.mark.parametrize("name", ALGORITHMS)
@pytest.mark.parametrize(("string", "key", "message"), [
    ([0, 1, 0, 1], np.eye(4), "'string' must be 0"),
    ([1, 1, 1, 1], np.eye(4), "'string' must be 0"),
    ([0, 0, 0, 0], np.eye(4), "'string' must be 0"),
    ([0, 0, 1, 1], np.eye(4) * 0.5, "'key' must be one-hot"),
    ([0, 0, 1, 1], np.zeros((4, 4)), "'key' must be one-hot"),
])
def test_layouts_clrs_cannot_make_are_refused(name: str, string: list[int], key: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        execute(name, {"string": string, "key": key})


@pytest.mark.parametrize("name", MATCHERS)
def test_matchers_refuse_a_needle_longer_than_the_haystack(name: str) -> None:
    with pytest.raises(ValueError, match="must not be longer than the haystack"):
        execute(name, encode([0], [0, 1]))
