"""Greedy algorithms (CLRS-30 ``activity_selector``, ``task_scheduling``).

Both sort the items once (activities by finish time, tasks by decreasing weight) and then
decide each in that order, taking the first unconditionally: one hint before any decision
and one per decision, so ``T = n + 1``. A kernel records only the step at which each item
is selected; the hints are rebuilt from it in one NumPy call each. The sort is NumPy's
default ``argsort``, as CLRS's, so that ties break the same way.

CLRS-30's task scheduling is not the textbook's matroid greedy: it takes a task when the next
free slot (one per task taken so far) meets its deadline, where the textbook takes it when the
set stays schedulable in any order. Its selection is feasible but often lighter than the
optimum (on 18 of CLRS's 24 reference samples), so ``selected`` has no optimality to check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dear.algorithms._probes import mask_one, node_positions
from dear.algorithms.record import Algorithm, Execution, register
from dear.algorithms.searching import _identity_pred
from dear.algorithms.spec import M1, MK, PTR, SC, G, H, I, N, O
from dear.kernel import kernel


@dataclass(frozen=True)
class Intervals:
    """CLRS's ``ActivitySampler``: each activity spans the min and max of two U[low, high] draws."""

    @property
    def arguments(self) -> tuple[str, ...]:
        return ("s", "f")

    def draw(self, rng: np.random.Generator, n: int, *, low: float = 0.0, high: float = 1.0) -> dict[str, np.ndarray]:
        ends = rng.uniform(float(low), float(high), size=(2, n))
        return {"pos": node_positions(n), "s": ends.min(axis=0), "f": ends.max(axis=0)}


@dataclass(frozen=True)
class Deadlines:
    """CLRS's ``TaskSampler``: integer deadlines uniform in ``1..max_deadline`` (default ``n``)
    and weights U[low, high]."""

    @property
    def arguments(self) -> tuple[str, ...]:
        return ("d", "w")

    def draw(
        self, rng: np.random.Generator, n: int, *, max_deadline: int | None = None, low: float = 0.0, high: float = 1.0
    ) -> dict[str, np.ndarray]:
        d = rng.integers(1, (n if max_deadline is None else int(max_deadline)) + 1, size=n).astype(np.float64)
        return {"pos": node_positions(n), "d": d, "w": rng.uniform(float(low), float(high), size=n)}


@kernel
def _select_activities(s: np.ndarray, f: np.ndarray, order: np.ndarray):
    """The step each activity is selected at (``n + 1``: never) and the last selected per step."""
    n = s.shape[0]
    taken = np.full(n, n + 1, dtype=np.int64)
    last = np.zeros(n + 1, dtype=np.int64)
    k = order[0]
    taken[k], last[1] = 1, k
    for m in range(1, n):
        if s[order[m]] >= f[k]:
            k = order[m]
            taken[k] = m + 1
        last[m + 1] = k
    return taken, last


@kernel
def _schedule_tasks(d: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The step each task is scheduled at (``n + 1``: never); ``t`` tasks fill slots ``1..t``."""
    n = d.shape[0]
    taken = np.full(n, n + 1, dtype=np.int64)
    taken[order[0]] = 1
    t = 1
    for i in range(1, n):
        if t < d[order[i]]:
            taken[order[i]] = i + 1
            t += 1
    return taken


def _decisions(order: np.ndarray, taken: np.ndarray, decided: str) -> dict[str, np.ndarray]:
    """``pred_h``, ``selected_h`` and the item ``decided`` at each step (node 0 before the first)."""
    n = order.shape[0]
    return {
        "pred_h": _identity_pred(n + 1, n),
        "selected_h": (taken[None, :] <= np.arange(n + 1)[:, None]).astype(np.float64),
        decided: mask_one(np.concatenate(([0], order)), n),
    }


def activity_selector(s: np.ndarray, f: np.ndarray) -> Execution:
    order = np.argsort(f)
    taken, last = _select_activities(s, f, order)
    hints = _decisions(order, taken, "m") | {"k": mask_one(last, s.shape[0])}
    return Execution(hints=hints, outputs={"selected": hints["selected_h"][-1].copy()})


def task_scheduling(d: np.ndarray, w: np.ndarray) -> Execution:
    order = np.argsort(-w)
    hints = _decisions(order, _schedule_tasks(d, order), "i")
    hints["t"] = hints["selected_h"].sum(axis=1)  # the number of slots filled
    return Execution(hints=hints, outputs={"selected": hints["selected_h"][-1].copy()})


register(Algorithm(
    name="activity_selector",
    title="Activity selection",
    kernel=activity_selector,
    specs={
        "pos": (I, N, SC),
        "s": (I, N, SC),
        "f": (I, N, SC),
        "selected": (O, N, MK),
        "pred_h": (H, N, PTR),
        "selected_h": (H, N, MK),
        "m": (H, N, M1),
        "k": (H, N, M1),
    },
    inputs=Intervals(),
    answer=None,
    t_grows=True,
    clrs="activity_selector",
))

register(Algorithm(
    name="task_scheduling",
    title="Task scheduling",
    kernel=task_scheduling,
    specs={
        "pos": (I, N, SC),
        "d": (I, N, SC),
        "w": (I, N, SC),
        "selected": (O, N, MK),
        "pred_h": (H, N, PTR),
        "selected_h": (H, N, MK),
        "i": (H, N, M1),
        "t": (H, G, SC),
    },
    inputs=Deadlines(),
    answer=None,
    t_grows=True,
    clrs="task_scheduling",
))
