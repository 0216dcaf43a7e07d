"""dear.deq: per-graph fixed-point solves, their gradients and their reports."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from dear.deq import SolverInfo, jacobian_regularizer, solve
from dear.deq.segments import relative_residual

SOLVERS = ("fixed_point", "anderson", "broyden")
DTYPE = torch.float64


@pytest.fixture(autouse=True, scope="module")
def single_thread():
    """These tensors are tiny: intra-op threads only add wake-up latency, which on a loaded
    2-core machine made a 20-step Anderson solve take seconds instead of milliseconds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class ContractiveMap:
    """``z -> tanh(c_g (z W^T + mean_g(z) U^T) + x)``: rows of graph ``g`` contract by ``c_g`` and
    talk to each other through the graph mean, never to other graphs."""

    def __init__(self, rows_per_graph: list[int], contraction: list[float], hidden: int = 6, seed: int = 0):
        generator = torch.Generator().manual_seed(seed)
        self.batch = torch.repeat_interleave(torch.arange(len(rows_per_graph)), torch.tensor(rows_per_graph))
        self.rows = int(self.batch.numel())
        self.hidden = hidden
        w, u = (torch.randn(hidden, hidden, generator=generator, dtype=DTYPE) for _ in range(2))
        self.w = (0.7 * w / torch.linalg.matrix_norm(w, 2)).requires_grad_()
        self.u = (0.3 * u / torch.linalg.matrix_norm(u, 2)).requires_grad_()
        self.x = torch.randn(self.rows, hidden, generator=generator, dtype=DTYPE).requires_grad_()
        self.scale = torch.tensor(contraction, dtype=DTYPE)[self.batch][:, None]
        self.sizes = torch.tensor(rows_per_graph, dtype=DTYPE)[:, None]

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        totals = torch.zeros(len(self.sizes), self.hidden, dtype=DTYPE).index_add(0, self.batch, z)
        mean = (totals / self.sizes)[self.batch]
        return torch.tanh(self.scale * (z @ self.w.T + mean @ self.u.T) + self.x)

    def only(self, graph: int) -> ContractiveMap:
        """The same map on one graph's rows alone."""
        rows = self.batch == graph
        alone = copy.copy(self)
        alone.rows = int(rows.sum())
        alone.batch = torch.zeros(alone.rows, dtype=torch.long)
        alone.x, alone.scale, alone.sizes = self.x[rows], self.scale[rows], self.sizes[graph : graph + 1]
        return alone

    def zeros(self) -> torch.Tensor:
        return torch.zeros(self.rows, self.hidden, dtype=DTYPE)

    def parameters(self) -> list[torch.Tensor]:
        return [self.w, self.u, self.x]


def flat_grad(loss: torch.Tensor, parameters: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, parameters)])


def graph_size(tensor: torch.Tensor) -> int:
    """Autograd nodes reachable from ``tensor``."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(child for child, _ in node.next_functions)
    return len(seen)


@pytest.mark.parametrize("solver", SOLVERS)
def test_solvers_reach_tolerance_on_contractive_map(solver):
    f = ContractiveMap([4, 5], [0.9, 0.99])
    with torch.no_grad():
        z, info = solve(f, f.zeros(), f.batch, solver=solver, tol=1e-10, max_iter=300)
        assert info.converged.all() and (info.residual < 1e-10).all()
        fz = f(z)
        for g in range(2):
            rows = f.batch == g
            assert ((fz - z)[rows].norm() / fz[rows].norm()).item() < 1e-10


def test_acceleration_needs_fewer_calls_than_fixed_point():
    f = ContractiveMap([8], [0.99], hidden=16, seed=1)
    calls = {}
    with torch.no_grad():
        for solver in SOLVERS:
            _, info = solve(f, f.zeros(), solver=solver, tol=1e-10, max_iter=500)
            calls[solver] = int(info.iterations)
    assert calls["anderson"] < calls["fixed_point"] and calls["broyden"] < calls["fixed_point"]


def test_anderson_with_memory_one_is_a_damped_fixed_point_step():
    """With one pair of history the least squares has a single answer, weight 1: the edge case
    of the incrementally updated Gram matrix."""
    f = ContractiveMap([5, 7], [0.9, 0.5])
    with torch.no_grad():
        anderson, _ = solve(f, f.zeros(), f.batch, solver="anderson", m=1, damping=0.6, tol=1e-9, max_iter=25)
        picard, _ = solve(f, f.zeros(), f.batch, solver="fixed_point", damping=0.6, tol=1e-9, max_iter=25)
    torch.testing.assert_close(anderson, picard, rtol=0, atol=1e-12)


def unrolled_reference(f: ContractiveMap, steps: int = 400) -> torch.Tensor:
    z = f.zeros()
    for _ in range(steps):
        z = f(z)
    return z


@pytest.mark.parametrize("solver", SOLVERS)
def test_ift_gradient_equals_long_unrolled_backprop(solver):
    f = ContractiveMap([3, 4], [0.6, 0.8])
    target = torch.randn(f.rows, f.hidden, generator=torch.Generator().manual_seed(5), dtype=DTYPE)
    expected = flat_grad((unrolled_reference(f) * target).sum(), f.parameters())
    z, info = solve(f, f.zeros(), f.batch, solver=solver, tol=1e-12, max_iter=300, backward="ift")
    assert info.backward is None
    got = flat_grad((z * target).sum(), f.parameters())
    assert ((got - expected).norm() / expected.norm()).item() < 1e-5
    assert info.backward is not None and info.backward.converged.all()


@pytest.mark.parametrize("solver", SOLVERS)
def test_unroll_gradient_equals_reference(solver):
    f = ContractiveMap([3, 4], [0.6, 0.8])
    expected = flat_grad(unrolled_reference(f).square().sum(), f.parameters())
    z, _ = solve(f, f.zeros(), f.batch, solver=solver, tol=1e-12, max_iter=300, backward="unroll")
    got = flat_grad(z.square().sum(), f.parameters())
    assert ((got - expected).norm() / expected.norm()).item() < 1e-5


def test_phantom_gradient_points_the_right_way():
    f = ContractiveMap([3, 4], [0.6, 0.8])
    expected = flat_grad(unrolled_reference(f).square().sum(), f.parameters())
    for steps in (1, 5):
        z, _ = solve(f, f.zeros(), f.batch, tol=1e-10, max_iter=100, backward="phantom", phantom_steps=steps)
        got = flat_grad(z.square().sum(), f.parameters())
        assert torch.nn.functional.cosine_similarity(got, expected, dim=0) > 0.5


def test_ift_autograd_graph_does_not_grow_with_iterations():
    f = ContractiveMap([3, 4], [0.6, 0.8])
    sizes = {}
    for backward in ("ift", "unroll"):
        for tol in (1e-2, 1e-10):
            z, info = solve(f, f.zeros(), f.batch, tol=tol, max_iter=200, backward=backward)
            assert info.converged.all()
            sizes[backward, tol] = (graph_size(z), int(info.iterations.max()))
    assert sizes["ift", 1e-10][1] > 2 * sizes["ift", 1e-2][1]
    assert sizes["ift", 1e-2][0] == sizes["ift", 1e-10][0]
    assert sizes["unroll", 1e-10][0] > sizes["unroll", 1e-2][0]  # the counter does see growth


@pytest.mark.parametrize("solver", SOLVERS)
def test_unconverged_graph_never_gets_an_ift_gradient(solver):
    """IFT holds at a fixed point only: within one batch, the graph that converged gets the
    implicit gradient, the one that hit max_iter gets the phantom gradient, each exactly what it
    would get solved alone, and the adjoint's statistics cover the implicit graph only."""
    f = ContractiveMap([3, 4], [0.3, 0.97])
    target = torch.randn(f.rows, f.hidden, generator=torch.Generator().manual_seed(2), dtype=DTYPE)
    with torch.no_grad():
        _, free = solve(f, f.zeros(), f.batch, solver=solver, tol=1e-9, max_iter=300)
    fast, slow = free.iterations.tolist()
    assert fast < slow  # so a cap of ``fast`` leaves graph 1 unconverged
    options = {"solver": solver, "tol": 1e-9, "max_iter": fast, "backward": "ift", "backward_tol": 1e-12,
               "backward_max_iter": 200}
    z, info = solve(f, f.zeros(), f.batch, **options)
    assert info.converged.tolist() == [True, False] and info.implicit.tolist() == [True, False]
    got = flat_grad((z * target).sum(), f.parameters())
    assert info.backward is not None and info.backward.iterations.numel() == 1 and info.backward.converged.all()
    assert info.summary()["implicit_fraction"] == 0.5
    expected = 0
    for graph, backward in ((0, "ift"), (1, "phantom")):
        alone = f.only(graph)
        z_alone, _ = solve(alone, alone.zeros(), **options | {"backward": backward})
        expected = expected + flat_grad((z_alone * target[f.batch == graph]).sum(), f.parameters())
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-9)
    # The implicit gradient differs from the phantom one: the test can tell which one a graph got.
    z_phantom, phantom_info = solve(f, f.zeros(), f.batch, **options | {"backward": "phantom"})
    assert phantom_info.implicit.tolist() == [False, False]
    assert (flat_grad((z_phantom * target).sum(), f.parameters()) - got).norm() > 1e-3 * got.norm()


def test_adjoint_solve_has_its_own_limits():
    f = ContractiveMap([3, 4], [0.6, 0.8])
    z, info = solve(f, f.zeros(), f.batch, tol=1e-10, max_iter=200, backward_tol=1e-2, backward_max_iter=200)
    z.square().sum().backward()
    loose = info.backward.iterations.clone()
    z, info = solve(f, f.zeros(), f.batch, tol=1e-10, max_iter=200, backward_max_iter=2)
    z.square().sum().backward()
    assert info.backward.iterations.tolist() == [2, 2] and not info.backward.converged.any()
    assert (loose > 2).all() and info.backward.converged.numel() == 2
    with pytest.raises(ValueError, match="backward_tol"):
        solve(f, f.zeros(), f.batch, backward_tol=0.0)
    with pytest.raises(ValueError, match="backward_max_iter"):
        solve(f, f.zeros(), f.batch, backward_max_iter=0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_converged_graph_is_frozen_while_slow_graph_goes_on(solver):
    f = ContractiveMap([3, 3], [0.05, 0.95])
    seen = []

    def recording(z):
        seen.append(z.clone())
        return f(z)

    with torch.no_grad():
        z, info = solve(recording, f.zeros(), f.batch, solver=solver, tol=1e-10, max_iter=300)
    fast, slow = info.iterations.tolist()
    assert info.converged.all() and fast < slow == len(seen)
    rows = f.batch == 0
    for state in seen[fast - 1 :]:
        assert torch.equal(state[rows], z[rows])


@pytest.mark.parametrize("solver", SOLVERS)
def test_masked_f_skips_frozen_graphs_without_changing_the_answer(solver):
    f = ContractiveMap([3, 3], [0.05, 0.95])
    masks = []

    def masked(z, active):
        masks.append(active.clone())
        return torch.where(active[:, None], f(z), torch.nan)  # frozen rows: garbage on purpose

    with torch.no_grad():
        options = {"solver": solver, "tol": 1e-10, "max_iter": 300}
        expected, reference = solve(f, f.zeros(), f.batch, **options)
        z, info = solve(masked, f.zeros(), f.batch, f_accepts_mask=True, **options)
    assert torch.equal(z, expected) and torch.equal(info.iterations, reference.iterations)
    fast = int(info.iterations[0])
    assert all(mask.all() for mask in masks[:fast])
    assert all(torch.equal(mask, f.batch == 1) for mask in masks[fast:])


@pytest.mark.parametrize("solver", SOLVERS)
def test_batched_solve_equals_solving_each_graph_alone(solver):
    f = ContractiveMap([3, 5], [0.5, 0.95])
    with torch.no_grad():
        z, info = solve(f, f.zeros(), f.batch, solver=solver, tol=1e-10, max_iter=300)
        for g in range(2):
            alone = f.only(g)
            z_alone, info_alone = solve(alone, alone.zeros(), solver=solver, tol=1e-10, max_iter=300)
            assert int(info_alone.iterations) == int(info.iterations[g])
            torch.testing.assert_close(z_alone, z[f.batch == g], rtol=0, atol=1e-12)


def test_trajectory_has_exactly_the_asked_states_as_fresh_distinct_tensors():
    f = ContractiveMap([3, 4], [0.6, 0.9])
    with torch.no_grad():
        z, info = solve(f, f.zeros(), f.batch, solver="fixed_point", tol=1e-8, return_trajectory=5)
    assert int(info.iterations.max()) > 10 and len(info.trajectory) == 5
    assert torch.equal(info.trajectory[-1], z) and info.trajectory[-1] is not z
    assert len({state.data_ptr() for state in info.trajectory}) == 5
    for earlier, later in zip(info.trajectory, info.trajectory[1:]):
        assert not torch.equal(earlier, later)
    # Stopping long before max_iter still gives as many states as asked.
    with torch.no_grad():
        z, info = solve(f, f.zeros(), f.batch, tol=1e-3, max_iter=300, return_trajectory=40)
    assert int(info.iterations.max()) < 40 and len(info.trajectory) == 40
    assert len({state.data_ptr() for state in info.trajectory}) == 40
    assert torch.equal(info.trajectory[-1], z)


def test_trajectory_is_sampled_along_each_graphs_own_solve():
    """A graph that converged early contributes its own distinct states, not copies of its fixed
    point spread over the batch's iteration axis; the rest of its slots are marked padding."""
    f = ContractiveMap([3, 4], [0.2, 0.95])
    count = 12
    with torch.no_grad():
        z, info = solve(f, f.zeros(), f.batch, solver="fixed_point", tol=1e-6, max_iter=300, return_trajectory=count)
        _, long_run = solve(f, f.zeros(), f.batch, solver="fixed_point", tol=1e-6, max_iter=300,
                            return_trajectory=300)
    fast, slow = info.iterations.tolist()
    assert fast < count < slow
    assert info.trajectory_length.tolist() == [fast, count]
    for graph, length in enumerate(info.trajectory_length.tolist()):
        rows = f.batch == graph
        states = [state[rows] for state in info.trajectory]
        assert torch.equal(states[0], torch.zeros_like(states[0])) and torch.equal(states[length - 1], z[rows])
        distinct = states[:length]
        assert all(not torch.equal(a, b) for i, a in enumerate(distinct) for b in distinct[i + 1:])
        assert all(torch.equal(state, z[rows]) for state in states[length:])
    # The fast graph's states are exactly its iterates 0 .. fast - 1 (all of them, in order).
    rows = f.batch == 0
    for k in range(fast):
        assert torch.equal(info.trajectory[k][rows], long_run.trajectory[k][rows])


def test_trajectory_of_one_state_is_the_answer_and_of_two_is_both_ends():
    """The smallest counts: one state is the last (not ``z0``), two are ``z0`` and the last."""
    f = ContractiveMap([3, 4], [0.6, 0.9])
    for count, ends in ((1, "last"), (2, "first and last")):
        with torch.no_grad():
            z, info = solve(f, f.zeros(), f.batch, solver="fixed_point", tol=1e-8, return_trajectory=count)
        assert (info.iterations > 2).all() and info.trajectory_length.tolist() == [count, count], ends
        assert torch.equal(info.trajectory[-1], z), ends
        if count == 2:
            assert torch.equal(info.trajectory[0], f.zeros()), ends


def test_trajectory_carries_gradient_only_when_unrolled():
    f = ContractiveMap([3], [0.6])
    _, info = solve(f, f.zeros(), tol=1e-8, return_trajectory=3, backward="unroll")
    assert all(state.requires_grad for state in info.trajectory)
    _, info = solve(f, f.zeros(), tol=1e-8, return_trajectory=3, backward="ift")
    assert not any(state.requires_grad for state in info.trajectory)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"solvr": "anderson"}, "unknown solve option.*solver"),
        ({"anderson_m": 5}, "unknown solve option"),
        ({"solver": "newton"}, "fixed_point, anderson, broyden"),
        ({"backward": "exact"}, "ift, phantom, unroll"),
        ({"tol": 0.0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"patience": -1}, "patience"),
        ({"m": 0}, "m must"),
        ({"damping": 1.5}, "damping"),
        ({"phantom_steps": 0}, "phantom_steps"),
        ({"return_trajectory": -1}, "return_trajectory"),
    ],
)
def test_bad_options_raise_value_error(options, message):
    f = ContractiveMap([3], [0.5])
    with pytest.raises(ValueError, match=message):
        solve(f, f.zeros(), **options)


def test_bad_inputs_raise_value_error():
    f = ContractiveMap([3], [0.5])
    with pytest.raises(ValueError, match="batch"):
        solve(f, f.zeros(), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="z0"):
        solve(f, torch.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        solve(lambda z: z[:1], f.zeros())


def test_diverging_map_is_reported_not_converged():
    z0, batch = torch.zeros(4, 3, dtype=DTYPE), torch.tensor([0, 0, 1, 1])
    with torch.no_grad():
        _, info = solve(lambda z: 1.5 * z + 1, z0, batch, solver="fixed_point", max_iter=30)
    assert not info.converged.any() and (info.iterations == 30).all() and (info.residual > 1e-3).all()


def test_a_residual_equal_to_tol_is_not_below_it():
    """A graph converges once its residual is *below* ``tol``: equal is not enough."""
    z0 = torch.ones(2, 3, dtype=DTYPE)

    def double(z):
        return 2 * z

    residual = relative_residual(double(z0), z0, torch.zeros(2, dtype=torch.long), 1).item()
    with torch.no_grad():
        _, at = solve(double, z0, solver="fixed_point", tol=residual, max_iter=1)
        _, above = solve(double, z0, solver="fixed_point", tol=math.nextafter(residual, 1.0), max_iter=1)
    assert at.residual.item() == residual and not at.converged.any()
    assert above.converged.all()


def test_broyden_skips_updates_whose_secant_has_no_curvature():
    """``f(z) = z + c`` never changes the residual ``g = c``: every secant pair has ``dg = 0``
    and a zero denominator. Good Broyden must then keep its estimate (``-I``, so each step is
    ``z + c``), not divide by zero nor take a rank-one update of scale 1."""
    c = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=DTYPE)
    with torch.no_grad():
        z, info = solve(lambda z: z + c, torch.zeros_like(c), solver="broyden", tol=1e-6, max_iter=5)
    assert info.iterations.item() == 5 and not info.converged.any() and torch.isfinite(info.residual).all()
    assert torch.equal(z, 4 * c)  # the state the fifth call measured


@pytest.mark.parametrize("solver", SOLVERS)
def test_nan_stops_only_its_graph_and_is_not_converged(solver):
    f = ContractiveMap([3, 3], [0.5, 0.5])
    calls = []

    def poisoned(z):
        calls.append(None)
        out = f(z)
        return torch.where((f.batch == 1)[:, None] & (len(calls) >= 3), torch.nan, out)

    with torch.no_grad():
        z, info = solve(poisoned, f.zeros(), f.batch, solver=solver, tol=1e-10, max_iter=300)
    assert info.converged.tolist() == [True, False]
    assert info.iterations[1] == 3 and torch.isinf(info.residual[1]) and info.residual[0] < 1e-10
    assert torch.isfinite(z).all()


def test_patience_stops_a_circling_graph_as_stalled_and_lets_the_other_converge():
    """Graph 1 flips between 1 and 5 for ever (residual 0.8, 4, 0.8, ...): with patience it
    stops ``patience`` calls after its lowest residual, stalled and not converged."""
    batch = torch.tensor([0, 0, 1, 1])
    circling = (batch == 1)[:, None]

    def f(z):
        return torch.where(circling, 6 - z, 0.5 * z + 1)

    z0 = torch.ones(4, 3, dtype=DTYPE)
    with torch.no_grad():
        _, without = solve(f, z0, batch, solver="fixed_point", tol=1e-8, max_iter=60)
        z, info = solve(f, z0, batch, solver="fixed_point", tol=1e-8, max_iter=60, patience=5)
    assert without.iterations.tolist()[1] == 60 and not without.stalled.any()
    assert info.converged.tolist() == [True, False] and info.stalled.tolist() == [False, True]
    assert info.iterations.tolist() == [without.iterations.tolist()[0], 1 + 5]
    torch.testing.assert_close(z[:2], torch.full((2, 3), 2.0, dtype=DTYPE))  # 0.5 z + 1 = z
    assert (z[2:] == 5).all()  # the state whose residual the sixth call measured
    assert info.summary()["stalled_fraction"] == 0.5


@pytest.mark.parametrize("solver", SOLVERS)
def test_patience_never_stops_a_graph_that_keeps_improving(solver):
    f = ContractiveMap([3, 3], [0.5, 0.95])
    with torch.no_grad():
        z, info = solve(f, f.zeros(), f.batch, solver=solver, tol=1e-10, max_iter=300, patience=2)
        expected, reference = solve(f, f.zeros(), f.batch, solver=solver, tol=1e-10, max_iter=300)
    assert info.converged.all() and not info.stalled.any()
    assert torch.equal(info.iterations, reference.iterations) and torch.equal(z, expected)


def test_summary_for_logging():
    f = ContractiveMap([3, 4], [0.6, 0.9])
    z, info = solve(f, f.zeros(), f.batch, tol=1e-8, max_iter=100)
    assert isinstance(info, SolverInfo)
    summary = info.summary()
    assert set(summary) == {"iterations_mean", "iterations_max", "residual_mean", "residual_max",
                            "converged_fraction", "stalled_fraction", "implicit_fraction"}
    assert summary["converged_fraction"] == 1.0 and summary["residual_max"] < 1e-8
    z.sum().backward()
    assert "backward_converged_fraction" in info.summary()


def test_jacobian_regularizer_matches_frobenius_norm_of_linear_map():
    torch.manual_seed(0)
    a = torch.randn(4, 4, dtype=DTYPE, requires_grad=True)
    z = torch.randn(3, 4, dtype=DTYPE, requires_grad=True)
    estimate = jacobian_regularizer(z @ a.T, z, num_samples=4000)
    exact = a.detach().square().sum() / 4  # ||I_3 (x) A||_F^2 / 12
    assert abs(estimate.item() / exact.item() - 1) < 0.1
    (grad,) = torch.autograd.grad(estimate, a)  # differentiable: usable as a loss term
    assert torch.nn.functional.cosine_similarity(grad.flatten(), a.detach().flatten() / 2, dim=0) > 0.9
    with pytest.raises(ValueError, match="num_samples"):
        jacobian_regularizer(z @ a.T, z, num_samples=0)


def test_fixed_point_agrees_with_torchdeq():
    solver_module = pytest.importorskip("torchdeq.solver")
    f = ContractiveMap([6], [0.9])
    with torch.no_grad():
        z, info = solve(f, f.zeros(), solver="anderson", tol=1e-11, max_iter=300)
        theirs, _, _ = solver_module.anderson_solver(
            lambda s: f(s.view_as(z)).reshape(1, -1), f.zeros().reshape(1, -1),
            max_iter=300, tol=1e-11, stop_mode="rel",
        )
    assert info.converged.all()
    torch.testing.assert_close(z, theirs.view_as(z), rtol=0, atol=1e-9)


def test_ift_gradient_agrees_with_torchdeq():
    """Our adjoint solve and torchdeq 0.1.0's implicit backward give the same parameter gradient."""
    torchdeq = pytest.importorskip("torchdeq")
    f = ContractiveMap([3, 4], [0.6, 0.8])
    target = torch.randn(f.rows, f.hidden, generator=torch.Generator().manual_seed(5), dtype=DTYPE)
    z, _ = solve(f, f.zeros(), f.batch, solver="anderson", tol=1e-12, max_iter=300, backward="ift")
    ours = flat_grad((z * target).sum(), f.parameters())
    deq = torchdeq.get_deq(f_solver="anderson", f_max_iter=300, f_tol=1e-12, f_stop_mode="rel",
                           b_solver="fixed_point_iter", b_max_iter=300, b_tol=1e-12, b_stop_mode="rel", ift=True)
    states, _ = deq(f, f.zeros())
    theirs = flat_grad((states[-1] * target).sum(), f.parameters())
    assert ((ours - theirs).norm() / theirs.norm()).item() < 1e-6
