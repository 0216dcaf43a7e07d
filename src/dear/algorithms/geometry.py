"""Computational geometry (CLRS-30 ``segments_intersect``, ``graham_scan``, ``jarvis_march``).

The inputs are points given as node scalars ``x``, ``y``. Every orientation test is CLRS's
own cross product, evaluated in the same order so that its sign (and the ``dir`` hint) is
bit for bit CLRS's; collinear points count as a turn to the right, so both hulls drop them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from dear.algorithms._probes import categorical, mask_one, node_positions, read_only
from dear.algorithms.record import Algorithm, Execution, register
from dear.algorithms.spec import CAT, M1, MK, PTR, SC, G, H, I, N, O
from dear.kernel import kernel

#: Draws before a sampler gives up (CLRS's ``collinearity_resampling_attempts``): only
#: degenerate options (an empty range, a zero radius) come close.
_ATTEMPTS: Final = 1000
#: Candidate segment pairs drawn at once (about a third of random pairs meet).
_BLOCK: Final = 8


def _finite(name: str, value: object) -> float:
    """A sampler option as a finite float (NumPy would broadcast a list into arrays of draws)."""
    if type(value) is float and math.isfinite(value):  # the defaults: checked once per sample, cheaply
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


@dataclass(frozen=True)
class _Points:
    """Points as the kernels take them: their coordinates."""

    @property
    def arguments(self) -> tuple[str, ...]:
        return ("x", "y")


@kernel
def _straddles(x: np.ndarray, y: np.ndarray, a: int, b: int, c: int, d: int) -> bool:
    """CLRS's quick test in ``SegmentsSampler`` (collinearity ignored): ``c`` and ``d`` lie on
    either side of the line through ``a`` and ``b``, as a strict comparison of products."""
    left_c = (y[c] - y[a]) * (x[b] - x[a]) > (y[b] - y[a]) * (x[c] - x[a])
    left_d = (y[d] - y[a]) * (x[b] - x[a]) > (y[b] - y[a]) * (x[d] - x[a])
    return left_c != left_d


@kernel
def _first_with(xs: np.ndarray, ys: np.ndarray, wanted: bool) -> int:
    """The first of a block of candidate endpoint sets ``[K, 4]`` whose segments meet (by the
    quick test) as ``wanted``; -1 if none."""
    for k in range(xs.shape[0]):
        meet = _straddles(xs[k], ys[k], 2, 3, 0, 1) and _straddles(xs[k], ys[k], 0, 1, 2, 3)
        if meet == wanted:
            return k
    return -1


@dataclass(frozen=True)
class SegmentPoints(_Points):
    """CLRS's ``SegmentsSampler``: two segments (exactly four endpoints, whatever ``n``) uniform
    in ``[low, high)²``, which intersect with probability 1/2 (by rejection, using the sampler's
    quick test rather than the algorithm's)."""

    def draw(
        self, rng: np.random.Generator, n: int, *, low: float = 0.0, high: float = 1.0
    ) -> dict[str, np.ndarray]:
        del n  # there are exactly four endpoints, as in CLRS
        low, high = _finite("low", low), _finite("high", high)
        wanted = rng.random() < 0.5
        for _ in range(_ATTEMPTS // _BLOCK):  # candidates a block at a time: one draw, one test
            x, y = rng.uniform(low, high, size=(2, _BLOCK, 4))
            k = _first_with(x, y, wanted)
            if k >= 0:
                return {"pos": node_positions(4), "x": x[k].copy(), "y": y[k].copy()}
        kind = "meet" if wanted else "do not meet"
        raise ValueError(f"no segments that {kind} in [{low}, {high})² in {_ATTEMPTS} draws")


#: CLRS's ``ConvexHullSampler`` redraws points with a collinear triple (``|cross| < eps``).
_COLLINEARITY_EPS: Final = 1e-12


@kernel
def _cross(ax: float, ay: float, bx: float, by: float) -> float:
    """``a x b``, multiplied and subtracted as CLRS does (so a zero is CLRS's zero)."""
    return ax * by - ay * bx


@kernel
def _has_collinear_triple(x: np.ndarray, y: np.ndarray, eps: float) -> bool:
    n = x.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                if abs(_cross(x[j] - x[i], y[j] - y[i], x[k] - x[i], y[k] - y[i])) < eps:
                    return True
    return False


@dataclass(frozen=True)
class DiscPoints(_Points):
    """CLRS's ``ConvexHullSampler``: ``n`` points uniform in the disc of ``radius`` around the
    origin (uniform angle, radius ``sqrt``-distributed), redrawn while three are collinear,
    because collinear points admit several valid Graham scan traces."""

    def draw(
        self,
        rng: np.random.Generator,
        n: int,
        *,
        origin_x: float = 0.0,
        origin_y: float = 0.0,
        radius: float = 2.0,
    ) -> dict[str, np.ndarray]:
        origin_x, origin_y = _finite("origin_x", origin_x), _finite("origin_y", origin_y)
        radius = _finite("radius", radius)
        for _ in range(_ATTEMPTS):
            theta = rng.uniform(0.0, 2.0 * np.pi, size=n)
            r = radius * np.sqrt(rng.uniform(0.0, 1.0, size=n))
            x, y = r * np.cos(theta) + origin_x, r * np.sin(theta) + origin_y
            if not _has_collinear_triple(x, y, _COLLINEARITY_EPS):
                return {"pos": node_positions(n), "x": x, "y": y}
        raise ValueError(f"no {n} points without a collinear triple in {_ATTEMPTS} draws (radius {radius})")


# --- segments_intersect ---------------------------------------------------------------------

#: ``(i, j, k)`` of each hint step: the test of endpoint ``k`` against segment ``i j``.
_SEGMENT_STEPS: Final = np.array([[0, 0, 0], [2, 3, 0], [2, 3, 1], [0, 1, 2], [0, 1, 3]])
#: The pointer hints ``i``, ``j``, ``k`` (``[T, 4]`` one-hots, as generate stores them).
#: Each its own array (not views of one), so that storing a sample copies and tracks nothing.
_SEGMENT_I, _SEGMENT_J, _SEGMENT_K = (read_only(hint.copy())
                                     for hint in mask_one(_SEGMENT_STEPS.T, 4).astype(np.int8))


@kernel
def _opposite(a: float, b: float) -> bool:
    return (a > 0 and b < 0) or (a < 0 and b > 0)


@kernel
def _segments_intersect(x: np.ndarray, y: np.ndarray):
    """CLRS's SEGMENTS-INTERSECT: the ``dir`` and ``on_seg`` hints (``[T, 4]``: each step fills
    in one more endpoint, tested against the other segment) and whether the segments ``0 1``
    and ``2 3`` meet."""
    direction, on_segment = np.zeros((5, 4)), np.zeros((5, 4), np.int8)
    for step in range(1, 5):
        i, j, k = _SEGMENT_STEPS[step, 0], _SEGMENT_STEPS[step, 1], _SEGMENT_STEPS[step, 2]
        direction[step:, k] = _cross(x[k] - x[i], y[k] - y[i], x[j] - x[i], y[j] - y[i])
        within_x = min(x[i], x[j]) <= x[k] <= max(x[i], x[j])
        on_segment[step:, k] = within_x and min(y[i], y[j]) <= y[k] <= max(y[i], y[j])
    last, on_last = direction[4], on_segment[4]
    meet = _opposite(last[0], last[1]) and _opposite(last[2], last[3])
    for k in range(4):
        meet = meet or (last[k] == 0 and on_last[k] == 1)
    return direction, on_segment, meet


def segments_intersect(x: np.ndarray, y: np.ndarray) -> Execution:
    if x.shape != (4,):
        raise ValueError(f"segments_intersect takes the 4 endpoints of two segments, got {x.shape[0]} points")
    direction, on_segment, meet = _segments_intersect(x, y)
    hints = {
        "i": _SEGMENT_I,  # the same every run: shared, read-only
        "j": _SEGMENT_J,
        "k": _SEGMENT_K,
        "dir": direction,
        "on_seg": on_segment,
    }
    return Execution(hints=hints, outputs={"intersect": np.int8(meet)})


_POINT_INPUTS = {"pos": (I, N, SC), "x": (I, N, SC), "y": (I, N, SC)}

register(Algorithm(
    name="segments_intersect",
    title="Segments intersect",
    kernel=segments_intersect,
    specs={
        **_POINT_INPUTS,
        "intersect": (O, G, MK),
        "i": (H, N, M1),
        "j": (H, N, M1),
        "k": (H, N, M1),
        "dir": (H, N, SC),
        "on_seg": (H, N, MK),
    },
    inputs=SegmentPoints(),
    answer=None,
    t_grows=False,
    clrs="segments_intersect",
))


# --- convex hulls ---------------------------------------------------------------------------


@kernel
def _anchor(x: np.ndarray, y: np.ndarray) -> int:
    """The lowest point, the leftmost of those, the first of equal ones (always on the hull)."""
    best = 0
    for i in range(x.shape[0]):
        if y[i] < y[best] or (y[i] == y[best] and x[i] < x[best]):
            best = i
    return best


@kernel
def _right_turn(x: np.ndarray, y: np.ndarray, i: int, j: int, k: int) -> bool:
    """CLRS's ``counter_clockwise`` (named for what its callers do on it, not what it tests):
    ``k`` lies right of, or on, the line from ``i`` to ``j``."""
    return _cross(x[j] - x[i], y[j] - y[i], x[k] - x[i], y[k] - y[i]) <= 0


# Graham scan phases (CLRS's ``phase`` hint): start, anchor found, sorted, pop, push.
_GRAHAM_PHASES: Final = 5
_POP, _PUSH = 3, 4


@kernel
def _polar_angles(x: np.ndarray, y: np.ndarray, best: int) -> np.ndarray:
    """Angles about the anchor (``math.atan2``, as CLRS; 0 at the anchor itself)."""
    angle = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        if i != best:
            angle[i] = math.atan2(y[i] - y[best], x[i] - x[best])
    return angle


@kernel
def _graham_record(
    t: int, hull: np.ndarray, prev: np.ndarray, best: int, top: int, node: int, phase: int,
    hull_h: np.ndarray, prev_h: np.ndarray, trace: np.ndarray,
) -> int:
    """Write step ``t`` (the stack and the step's nodes); the next step's index."""
    hull_h[t] = hull
    prev_h[t] = prev
    trace[0, t], trace[1, t], trace[2, t], trace[3, t] = best, top, node, phase
    return t + 1


@kernel
def _graham_scan(x: np.ndarray, y: np.ndarray, best: int, order: np.ndarray):
    """The stack as CLRS probes it, one row per step: ``in_hull_h``, ``stack_prev`` and
    (``best``, ``last_stack``, ``i``, ``phase``) by column. ``order`` is the points by angle,
    the anchor first."""
    n = x.shape[0]
    size = 2 * n + 1  # 3 opening steps, n - 1 pushes, at most n - 1 pops
    hull_h, prev_h = np.empty((size, n)), np.empty((size, n))
    trace = np.empty((4, size), dtype=np.int64)
    hull, prev = np.zeros(n), np.arange(n)
    t = _graham_record(0, hull, prev, 0, 0, 0, 0, hull_h, prev_h, trace)
    hull[best] = 1.0
    t = _graham_record(t, hull, prev, best, best, best, 1, hull_h, prev_h, trace)
    t = _graham_record(t, hull, prev, best, best, best, 2, hull_h, prev_h, trace)
    top = best
    for i in range(1, n):
        k = order[i]
        # CLRS also pops the anchor, after which it loops forever; only collinear points
        # (which its sampler never draws) get that far.
        while i >= 3 and top != best and _right_turn(x, y, prev[top], top, k):
            popped, top = top, prev[top]
            prev[popped] = popped
            hull[popped] = 0.0
            t = _graham_record(t, hull, prev, best, top, k, _POP, hull_h, prev_h, trace)
        hull[k] = 1.0
        prev[k] = top
        top = k
        t = _graham_record(t, hull, prev, best, top, k, _PUSH, hull_h, prev_h, trace)
    return hull_h[:t], prev_h[:t], trace[:, :t]


def graham_scan(x: np.ndarray, y: np.ndarray) -> Execution:
    n = x.shape[0]
    best = _anchor(x, y)
    angle = _polar_angles(x, y, best)
    key = angle.copy()
    key[best] = -np.inf  # the anchor first
    order = np.argsort(key)  # NumPy's sort, as CLRS: the same order of equal angles
    in_hull_h, stack_prev, trace = _graham_scan(x, y, best, order)
    best_h, last_stack, i = mask_one(trace[:3], n)  # [3, T, n]: each hint contiguous
    atans = np.zeros((trace.shape[1], n))
    atans[2:] = angle  # known once sorted
    hints = {
        "best": best_h,
        "atans": atans,
        "in_hull_h": in_hull_h,
        "stack_prev": stack_prev,
        "last_stack": last_stack,
        "i": i,
        "phase": categorical(trace[3], _GRAHAM_PHASES),
    }
    return Execution(hints=hints, outputs={"in_hull": in_hull_h[-1].copy()})


_HULL_SPECS = {**_POINT_INPUTS, "in_hull": (O, N, MK), "best": (H, N, M1), "in_hull_h": (H, N, MK)}

register(Algorithm(
    name="graham_scan",
    title="Graham scan",
    kernel=graham_scan,
    specs={
        **_HULL_SPECS,
        "atans": (H, N, SC),
        "stack_prev": (H, N, PTR),
        "last_stack": (H, N, M1),
        "i": (H, N, M1),
        "phase": (H, G, CAT),
    },
    inputs=DiscPoints(),
    answer=None,
    t_grows=True,
    clrs="graham_scan",
    categories={"phase": _GRAHAM_PHASES},
))


@kernel
def _wraps_past(x: np.ndarray, y: np.ndarray, i: int, j: int, k: int) -> bool:
    """Jarvis' test: ``k`` (neither end) lies right of, or on, the line from ``i`` to ``j``."""
    return k != i and k != j and _right_turn(x, y, i, j, k)


@kernel
def _jarvis_march(x: np.ndarray, y: np.ndarray, best: int):
    """``(best, last_point, endpoint, i)`` by column, one per step, and ``in_hull_h``: every
    hull vertex costs a sweep of ``n`` steps and one step to join the hull."""
    n = x.shape[0]
    size = 2 + n * n + n
    trace = np.zeros((4, size), dtype=np.int64)
    joins = np.full(n, size)  # the step at which each node joins the hull
    joins[best] = 1
    trace[:2, 1:] = best  # ``best`` from then on; ``last_point`` until a vertex joins
    last, end = best, 0
    t = 2
    while True:
        for i in range(n):
            if end == last or _wraps_past(x, y, last, end, i):
                end = i
            trace[1, t], trace[2, t], trace[3, t] = last, end, i
            t += 1
        if joins[end] < size:
            break
        joins[end] = t
        last, end = end, 0
        trace[1, t] = last  # endpoint and i restart at 0 (``trace`` is zeroed)
        t += 1
    in_hull_h = np.zeros((t, n))
    for v in range(n):
        in_hull_h[joins[v]:, v] = 1.0
    return trace[:, :t], in_hull_h


_JARVIS_PHASES: Final = 2


def jarvis_march(x: np.ndarray, y: np.ndarray) -> Execution:
    n = x.shape[0]
    best = _anchor(x, y)
    trace, in_hull_h = _jarvis_march(x, y, best)
    best_h, last_point, endpoint, i = mask_one(trace, n)  # [4, T, n]: each hint contiguous
    steps = trace.shape[1]
    phase = np.ones(steps, dtype=np.int64)
    phase[0] = 0
    hints = {
        "pred_h": np.broadcast_to(np.maximum(np.arange(n) - 1.0, 0.0), (steps, n)),  # constant
        "in_hull_h": in_hull_h,
        "best": best_h,
        "last_point": last_point,
        "endpoint": endpoint,
        "i": i,
        "phase": categorical(phase, _JARVIS_PHASES),
    }
    return Execution(hints=hints, outputs={"in_hull": in_hull_h[-1].copy()})


register(Algorithm(
    name="jarvis_march",
    title="Jarvis' march",
    kernel=jarvis_march,
    specs={
        **_HULL_SPECS,
        "pred_h": (H, N, PTR),
        "last_point": (H, N, M1),
        "endpoint": (H, N, M1),
        "i": (H, N, M1),
        "phase": (H, G, CAT),
    },
    inputs=DiscPoints(),
    answer=None,
    t_grows=True,
    clrs="jarvis_march",
    categories={"phase": _JARVIS_PHASES},
))
