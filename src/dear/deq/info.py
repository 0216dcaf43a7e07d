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
    ``patience`` test. ``trajectory``: the sampled states (see ``solve``).
    ``backward``: the adjoint solve's own info, filled in when the IFT backward runs.
    """

    iterations: Tensor
    residual: Tensor
    converged: Tensor
    stalled: Tensor
    trajectory: list[Tensor] = field(default_factory=list)
    backward: SolverInfo | None = None

    def summary(self) -> dict[str, float]:
        """Scalars for a metrics log (the adjoint's prefixed with ``backward_`` once it ran)."""
        stats = {
            "iterations_mean": self.iterations.float().mean().item(),
            "iterations_max": float(self.iterations.max().item()),
            "residual_max": self.residual.max().item(),
            "converged_fraction": self.converged.float().mean().item(),
            "stalled_fraction": self.stalled.float().mean().item(),
        }
        if self.backward is not None:
            stats.update({f"backward_{key}": value for key, value in self.backward.summary().items()})
        return stats
