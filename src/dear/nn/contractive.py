"""A contractive parameterisation of a processor: spectral normalisation of its linear maps.

A DEQ's forward solve converges when its map is a contraction. Max aggregation, ReLU and a
convex gate are 1-Lipschitz, so a processor whose every linear map has operator norm at most 1
is at worst non-expansive in its state, which pulls the map towards the contractions the
solvers like (issue "DEAR at equilibrium": one of the levers to compare). Each weight is
divided by its largest singular value, estimated by one power iteration per training step
(:func:`torch.nn.utils.parametrizations.spectral_norm`).
"""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def spectrally_normalised(module: nn.Module) -> nn.Module:
    """``module`` with spectral normalisation on each of its ``nn.Linear`` weights (in place)."""
    for linear in [m for m in module.modules() if isinstance(m, nn.Linear)]:
        spectral_norm(linear)
    return module


__all__ = ["spectrally_normalised"]
