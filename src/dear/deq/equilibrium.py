"""``solve``: the public entry point that checks options, picks the solver and the backward."""

from __future__ import annotations

import inspect
import math
from functools import partial
from typing import Callable

import torch
from torch import Tensor

from dear.deq.backward import implicit, phantom
from dear.deq.info import SolverInfo
from dear.deq.loop import MaskedMap, find_fixed_point
from dear.deq.solvers import SOLVERS, UpdateRule

BACKWARDS = ("ift", "phantom", "unroll")


def solve(
    f: Callable[..., Tensor],
    z0: Tensor,
    batch: Tensor | None = None,
    *,
    solver: str = "anderson",
    tol: float = 1e-3,
    max_iter: int = 40,
    patience: int = 0,
    backward: str = "ift",
    backward_tol: float | None = None,
    backward_max_iter: int | None = None,
    m: int = 6,
    damping: float = 1.0,
    phantom_steps: int = 1,
    phantom_damping: float = 0.5,
    return_trajectory: int = 0,
    f_accepts_mask: bool = False,
    **unknown: object,
) -> tuple[Tensor, SolverInfo]:
    """Find ``z = f(z)`` for a batch of graphs, each graph converging (and stopping) on its own.

    ``f`` maps a ``[N, H]`` state to ``[N, H]``; ``batch`` (long ``[N]``) gives each row's graph
    (None: one graph). A graph stops once its relative residual ``||f(z)-z|| / ||f(z)||`` is
    below ``tol`` (converged) or its state holds NaN/Inf (not converged, residual ``inf``); its
    rows are then frozen. The loop ends when every graph stopped or after ``max_iter`` f-calls.
    patience: when > 0, a graph whose lowest residual has not improved for ``patience`` f-calls
    in a row stops too, reported in ``info.stalled`` (not converged): a solve circling at a
    residual it will not leave costs no more iterations (0: off, iterate to ``max_iter``).
    ``f`` always sees all ``N`` rows; with ``f_accepts_mask=True`` it is called as
    ``f(z, active)`` with ``active`` (bool ``[N]``) marking rows of graphs still iterating, so a
    model can skip work on frozen graphs: what it returns in inactive rows is ignored.

    solver: ``"fixed_point"``, ``"anderson"`` (history ``m``) or ``"broyden"`` (good Broyden).
    damping: step size in (0, 1]: Anderson's mixing beta, the relaxation of fixed-point steps,
    Broyden's step length. ``m`` is used by Anderson only.

    backward (only when autograd is recording; otherwise ``z*`` is returned as found):
    ``"ift"`` solves under no_grad; a graph that *converged* gets ``f(z*)`` whose gradient is
    the implicit one, computed by an adjoint solve ``u = J^T u + g`` with the same solver,
    ``backward_tol`` and ``backward_max_iter`` (default: the forward's; its info, over those
    graphs, lands in ``info.backward``). The implicit function theorem holds only at a fixed
    point, so a graph that did not converge gets the phantom gradient below instead
    (``info.implicit`` says which graph got which). ``"phantom"`` returns ``phantom_steps``
    differentiable steps ``z + phantom_damping (f(z) - z)`` from ``z*`` for every graph;
    ``"unroll"`` backpropagates through every iteration (memory grows with iterations: for
    tests and the DEM baseline).

    return_trajectory: number ``K`` of states ``info.trajectory`` holds (``K`` tensors like
    ``z0``), sampled per graph along *its own* solve: graph ``g`` gets
    ``info.trajectory_length[g] = min(K, its iterations)`` distinct states from ``z0`` to its
    final one, evenly spaced; its rows of the remaining tensors repeat the final state. Fresh
    tensors, detached except with ``backward="unroll"``.

    Unknown option names and values raise ``ValueError`` naming the allowed ones.
    """
    backward_tol = tol if backward_tol is None else backward_tol
    backward_max_iter = max_iter if backward_max_iter is None else backward_max_iter
    _check_options(
        unknown, solver, backward, tol, max_iter, patience, m, damping, phantom_steps, phantom_damping,
        return_trajectory,
    )
    _check_limits(backward_tol, backward_max_iter, "backward_")
    batch, num_graphs = _graph_index(z0, batch)
    call = _checked_map(f, f_accepts_mask)
    forward = partial(find_fixed_point, batch=batch, num_graphs=num_graphs, tol=tol, max_iter=max_iter,
                      patience=patience)

    def new_rule() -> UpdateRule:
        return SOLVERS[solver](batch, num_graphs, m, damping)

    if backward == "unroll" or not torch.is_grad_enabled():
        return forward(call, z0, rule=new_rule(), num_states=return_trajectory)
    with torch.no_grad():
        z_star, info = forward(call, z0.detach(), rule=new_rule(), num_states=return_trajectory)
    all_rows = torch.ones(z0.shape[0], dtype=torch.bool, device=z0.device)

    def full(z: Tensor) -> Tensor:
        return call(z, all_rows)

    def phantom_gradient() -> Tensor:
        return phantom(full, z_star, phantom_steps, phantom_damping)

    info.implicit = info.converged.clone() if backward == "ift" else torch.zeros_like(info.converged)
    if not bool(info.implicit.any()):
        return phantom_gradient(), info

    def solve_adjoint(adjoint: Callable[[Tensor], Tensor], grad: Tensor) -> tuple[Tensor, SolverInfo]:
        u, adjoint_info = forward(lambda u, rows: adjoint(u), grad, rule=new_rule(), num_states=0,
                                  tol=backward_tol, max_iter=backward_max_iter)
        return u, adjoint_info.select(info.implicit)

    z = implicit(full, z_star, solve_adjoint, info)
    if bool(info.implicit.all()):
        return z, info
    # Graphs do not interact, so each row takes its own graph's gradient: the adjoint sees a zero
    # incoming gradient on the phantom graphs' rows and keeps it zero there.
    return torch.where(info.implicit[batch][:, None], z, phantom_gradient()), info


#: Keyword options of ``solve``, for the error message on a misspelled one.
OPTIONS = tuple(
    name
    for name, parameter in inspect.signature(solve).parameters.items()
    if parameter.kind is parameter.KEYWORD_ONLY
)


def _check_options(
    unknown: dict[str, object],
    solver: str,
    backward: str,
    tol: float,
    max_iter: int,
    patience: int,
    m: int,
    damping: float,
    phantom_steps: int,
    phantom_damping: float,
    return_trajectory: int,
) -> None:
    """Reject anything ``solve`` would otherwise ignore or misread (a misspelled option
    silently falling back to its default is how published DEQ code lost settings)."""
    if unknown:
        raise ValueError(f"unknown solve option(s) {sorted(unknown)}; allowed: {', '.join(OPTIONS)}")
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; allowed: {', '.join(SOLVERS)}")
    if backward not in BACKWARDS:
        raise ValueError(f"unknown backward {backward!r}; allowed: {', '.join(BACKWARDS)}")
    _check_limits(tol, max_iter)
    counts = (("patience", patience, 0), ("m", m, 1), ("phantom_steps", phantom_steps, 1),
              ("return_trajectory", return_trajectory, 0))
    for name, value, least in counts:
        _check_count(name, value, least)
    for name, value in (("damping", damping), ("phantom_damping", phantom_damping)):
        if not (isinstance(value, (int, float)) and 0 < value <= 1):
            raise ValueError(f"{name} must be in (0, 1], got {value!r}")


def _check_count(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")


def _check_limits(tol: object, max_iter: object, prefix: str = "") -> None:
    """A solve's stopping rule: a positive finite tolerance and at least one f-call."""
    _check_count(f"{prefix}max_iter", max_iter, 1)
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"{prefix}tol must be a finite number > 0, got {tol!r}")


def _graph_index(z0: Tensor, batch: Tensor | None) -> tuple[Tensor, int]:
    """Validated ``batch`` and the number of graphs."""
    if not isinstance(z0, Tensor) or z0.dim() != 2 or not z0.is_floating_point() or z0.shape[0] == 0:
        raise ValueError(f"z0 must be a non-empty floating [N, H] tensor, got {_describe(z0)}")
    if batch is None:
        return torch.zeros(z0.shape[0], dtype=torch.long, device=z0.device), 1
    if not isinstance(batch, Tensor) or batch.dtype != torch.long or batch.shape != z0.shape[:1]:
        raise ValueError(f"batch must be a LongTensor of shape [{z0.shape[0]}], got {_describe(batch)}")
    if batch.device != z0.device:
        raise ValueError(f"batch is on {batch.device} but z0 on {z0.device}")
    if bool((batch < 0).any()):
        raise ValueError("batch holds negative graph ids")
    return batch, int(batch.max()) + 1


def _checked_map(f: Callable[..., Tensor], accepts_mask: bool) -> MaskedMap:
    """``f`` in the loop's ``(state, rows)`` form, checked to keep the state's shape."""

    def call(z: Tensor, rows: Tensor) -> Tensor:
        fz = f(z, rows) if accepts_mask else f(z)
        if not isinstance(fz, Tensor) or fz.shape != z.shape:
            raise ValueError(f"f must map a {tuple(z.shape)} state to the same shape, got {_describe(fz)}")
        return fz

    return call


def _describe(value: object) -> str:
    """Shape and dtype of a tensor, else its type: what an error message needs."""
    if isinstance(value, Tensor):
        return f"{value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__
