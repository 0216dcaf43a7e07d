"""Meaning checks for the geometry family (segments_intersect, graham_scan, jarvis_march)
against brute force on random points, and CLRS's input distributions; the golden test pins
the exact CLRS hints."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dear.data import execute, generate
from dear.data.samplers import draw_inputs

HULLS = ("graham_scan", "jarvis_march")


def half_plane_vertices(x: np.ndarray, y: np.ndarray) -> set[int]:
    """Endpoints of the hull's edges: pairs ``i -> j`` with every other point strictly to the
    left (points in general position, as the tests draw them)."""
    dx, dy = x[None, :] - x[:, None], y[None, :] - y[:, None]  # [i, j]: p_j - p_i
    cross = dx[:, :, None] * dy[:, None, :] - dy[:, :, None] * dx[:, None, :]  # [i, j, k]
    eye = np.eye(len(x), dtype=bool)
    others = ~eye[:, None, :] & ~eye[None, :, :]  # k is neither i nor j
    edge = np.all((cross > 0) | ~others, axis=2) & ~eye
    return set(np.flatnonzero(edge.any(axis=0) | edge.any(axis=1)).tolist())


def hull_vertices(x: np.ndarray, y: np.ndarray) -> set[int]:
    try:
        from scipy.spatial import ConvexHull
    except ImportError:
        return half_plane_vertices(x, y)
    return set(ConvexHull(np.c_[x, y]).vertices.tolist())


def random_points(seed: int, n: int, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """CLRS's disc (via our sampler), or the unit square (more points on the hull)."""
    rng = np.random.default_rng(seed)
    if shape == "disc":
        points = draw_inputs("graham_scan", rng, n)
        return points["x"], points["y"]
    return rng.random(n), rng.random(n)


@pytest.mark.parametrize("algorithm", HULLS)
@settings(derandomize=True, max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(3, 40), shape=st.sampled_from(["disc", "square"]))
def test_in_hull_is_the_hull_vertex_set(algorithm: str, seed: int, n: int, shape: str) -> None:
    x, y = random_points(seed, n, shape)
    trajectory = execute(algorithm, {"x": x, "y": y})
    in_hull = trajectory.outputs["in_hull"]
    assert set(np.flatnonzero(in_hull).tolist()) == hull_vertices(x, y)
    np.testing.assert_array_equal(trajectory.hints["in_hull_h"][-1], in_hull)
    h = int(in_hull.sum())
    if algorithm == "jarvis_march":  # two opening steps, a sweep per vertex, h - 1 joins
        assert trajectory.length == 2 + h * n + h - 1
    else:  # three opening steps, n - 1 pushes, and every point inside is popped once
        assert trajectory.length == 3 + (n - 1) + (n - h)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(3, 40))
def test_graham_stack_walks_the_hull_counterclockwise(seed: int, n: int) -> None:
    x, y = random_points(seed, n, "disc")
    trajectory = execute("graham_scan", {"x": x, "y": y})
    prev = trajectory.hints["stack_prev"][-1].astype(int)
    node = int(np.argmax(trajectory.hints["last_stack"][-1]))
    stack = [node]
    while prev[node] != node:
        node = prev[node]
        stack.append(node)
    ccw = stack[::-1]  # from the anchor, by angle
    assert ccw[0] == int(np.argmax(trajectory.hints["best"][-1]))
    assert len(ccw) == trajectory.outputs["in_hull"].sum()
    a, b, c = np.array(ccw), np.roll(ccw, -1), np.roll(ccw, -2)
    assert np.all((x[b] - x[a]) * (y[c] - y[a]) - (y[b] - y[a]) * (x[c] - x[a]) > 0)


def test_graham_scan_ends_on_collinear_points() -> None:
    """CLRS's scan pops the anchor of collinear points and never ends; ours keeps it."""
    trajectory = execute("graham_scan", {"x": [0.0, 1.0, 2.0, 3.0], "y": [0.0, 0.0, 0.0, 0.0]})
    np.testing.assert_array_equal(trajectory.outputs["in_hull"], [1, 0, 0, 1])


def _point_on_segment(p: tuple[Fraction, ...], a: tuple[Fraction, ...], b: tuple[Fraction, ...]) -> bool:
    """Exact: the squared distance from ``p`` to the segment ``a b`` is zero."""
    d = (b[0] - a[0], b[1] - a[1])
    length = d[0] ** 2 + d[1] ** 2
    t = Fraction(0) if length == 0 else min(max(((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / length, 0), 1)
    return (p[0] - a[0] - t * d[0]) ** 2 + (p[1] - a[1] - t * d[1]) ** 2 == 0


def segments_meet(x: np.ndarray, y: np.ndarray) -> bool:
    """Exact, without orientation tests: the segments cross at ``p1 + s d1 = p3 + t d2`` with
    ``s, t`` in ``[0, 1]``, or (parallel, touching or degenerate) an endpoint lies on the other."""
    p = [(Fraction(float(a)), Fraction(float(b))) for a, b in zip(x, y)]
    d1 = (p[1][0] - p[0][0], p[1][1] - p[0][1])
    d2 = (p[3][0] - p[2][0], p[3][1] - p[2][1])
    r = (p[2][0] - p[0][0], p[2][1] - p[0][1])
    denominator = d1[0] * d2[1] - d1[1] * d2[0]
    if denominator != 0:
        s = (r[0] * d2[1] - r[1] * d2[0]) / denominator
        t = (r[0] * d1[1] - r[1] * d1[0]) / denominator
        if 0 <= s <= 1 and 0 <= t <= 1:
            return True
    return any(
        _point_on_segment(p[k], *((p[2], p[3]) if k < 2 else (p[0], p[1]))) for k in range(4)
    )


@settings(derandomize=True, max_examples=300, deadline=None)
@given(coordinates=st.lists(st.integers(-3, 3), min_size=8, max_size=8))
def test_intersect_on_grid_points(coordinates: list[int]) -> None:
    """Small integers: collinear, touching and degenerate segments, all computed exactly."""
    x, y = np.array(coordinates[:4], dtype=float), np.array(coordinates[4:], dtype=float)
    assert execute("segments_intersect", {"x": x, "y": y}).outputs["intersect"] == segments_meet(x, y)


@settings(derandomize=True, max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_intersect_on_sampled_segments(seed: int) -> None:
    (trajectory,) = generate("segments_intersect", 1, 4, seed)
    assert trajectory.outputs["intersect"] == segments_meet(trajectory.inputs["x"], trajectory.inputs["y"])


def test_segments_intersect_takes_four_points() -> None:
    with pytest.raises(ValueError, match="4 endpoints"):
        execute("segments_intersect", {"x": np.zeros(5), "y": np.zeros(5)})


def test_segment_sampler_draws_four_points_half_of_them_meeting() -> None:
    samples = generate("segments_intersect", 400, 16, seed=3)  # four endpoints whatever n
    for trajectory in samples:
        np.testing.assert_array_equal(trajectory.inputs["pos"], [0, 0.25, 0.5, 0.75])
        for name in ("x", "y"):
            assert trajectory.inputs[name].shape == (4,)
            assert np.all((trajectory.inputs[name] >= 0) & (trajectory.inputs[name] < 1))
    assert 0.4 < np.mean([t.outputs["intersect"] for t in samples]) < 0.6  # 4 standard deviations
    shifted = generate("segments_intersect", 20, 4, seed=3, low=5.0, high=6.0)
    assert all(np.all((t.inputs["x"] >= 5) & (t.inputs["x"] < 6)) for t in shifted)


def _no_collinear_triple(x: np.ndarray, y: np.ndarray) -> bool:
    i, j, k = np.array([(i, j, k) for i in range(len(x)) for j in range(i) for k in range(j)]).T
    cross = (x[j] - x[i]) * (y[k] - y[i]) - (y[j] - y[i]) * (x[k] - x[i])
    return bool(np.all(np.abs(cross) >= 1e-12))


@pytest.mark.parametrize("algorithm", HULLS)
def test_hull_sampler_draws_uniform_points_in_the_disc(algorithm: str) -> None:
    samples = generate(algorithm, 100, 12, seed=5, hints=False)
    x = np.stack([t.inputs["x"] for t in samples])
    y = np.stack([t.inputs["y"] for t in samples])
    assert x.shape == (100, 12)
    np.testing.assert_array_equal(samples[0].inputs["pos"], np.arange(12) / 12)
    r2 = (x**2 + y**2) / 4  # radius 2: uniform in the disc means r² / 4 ~ U[0, 1]
    assert np.all(r2 <= 1) and abs(r2.mean() - 0.5) < 0.05  # 1200 draws: sd 0.008
    angle = np.arctan2(y, x)
    assert abs(np.cos(angle).mean()) < 0.1 and abs(np.sin(angle).mean()) < 0.1
    assert all(_no_collinear_triple(a, b) for a, b in zip(x, y))
    moved = generate(algorithm, 20, 8, seed=5, hints=False, origin_x=10.0, origin_y=-3.0, radius=0.5)
    assert all(np.all(np.hypot(t.inputs["x"] - 10, t.inputs["y"] + 3) <= 0.5) for t in moved)


def test_samplers_refuse_bad_options() -> None:
    with pytest.raises(ValueError, match="radius must be finite"):
        generate("graham_scan", 1, 8, seed=0, radius=float("nan"))
    with pytest.raises(ValueError, match="collinear"):  # every triple of one point is collinear
        generate("graham_scan", 1, 8, seed=0, radius=0.0)
    with pytest.raises(ValueError, match="low must be a number"):
        generate("segments_intersect", 1, 4, seed=0, low=[0.0, 0.5])
    with pytest.raises(ValueError, match="bad generator option"):
        generate("jarvis_march", 1, 8, seed=0, p=0.5)
