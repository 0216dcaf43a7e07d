"""What a solve reports: convergence is a per-graph fact, never a single flag for the batch."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor


@dataclass
class SolverInfo:
    """Per-graph outcome of a fixed-point solve.

    ``iterations`` ``[G]`` (long): f-calls spent on the graph, i.e. until it converged, stalled
    or a NaN/Inf stopped it, else ``max_iter``. ``residual`` ``[G]``: relative residual
    ``||f(z)-z|| / ||f(z)||`` of the returned state (``inf`` for NaN/Inf). ``converged`` ``[G]``
    (bool): residual below ``tol``. ``stalled`` ``[G]`` (bool): stopped unconverged by the
    ``patience`` test. ``trajectory``: the sampled states and ``trajectory_length`` ``[G]`` how
    many of them are distinct for each graph (see ``solve``). ``implicit`` ``[G]`` (bool): graphs
    whose gradient is the implicit one (``backward="ift"``: the converged ones; the others get
    phantom steps), None where no gradient was set up. ``backward``: the adjoint solve's info,
    over the ``implicit`` graphs only, filled in when the backward pass runs.
    """

    iterations: Tensor
    residual: Tensor
    converged: Tensor
    stalled: Tensor
    trajectory: list[Tensor] = field(default_factory=list)
    trajectory_length: Tensor | None = None
    implicit: Tensor | None = None
    backward: SolverInfo | None = None

    def select(self, graphs: Tensor) -> "SolverInfo":
        """The per-graph statistics of the graphs where ``graphs`` (bool ``[G]``) holds."""
        return SolverInfo(self.iterations[graphs], self.residual[graphs], self.converged[graphs], self.stalled[graphs])

    def summary(self) -> dict[str, float]:
        """Scalars for a metrics log: the forward solve's, ``implicit_fraction`` (share of graphs
        given the implicit gradient) once a backward is set up, and the adjoint's, prefixed with
        ``backward_``, once it ran. Read it after ``loss.backward()`` to see the adjoint."""
        if self.iterations.numel() == 0:
            return {}
        stats = {
            "iterations_mean": self.iterations.float().mean().item(),
            "iterations_max": float(self.iterations.max().item()),
            "residual_mean": self.residual.float().mean().item(),
            "residual_max": self.residual.max().item(),
            "converged_fraction": self.converged.float().mean().item(),
            "stalled_fraction": self.stalled.float().mean().item(),
        }
        if self.implicit is not None:
            stats["implicit_fraction"] = self.implicit.float().mean().item()
        if self.backward is not None:
            stats.update({f"backward_{key}": value for key, value in self.backward.summary().items()})
        return stats
