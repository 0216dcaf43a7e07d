"""Deep-equilibrium machinery, independent of graphs and models (it only needs torch).

``solve`` finds fixed points of a black-box ``f`` per graph of a batch, with fixed-point,
Anderson or Broyden iterations, and differentiates them implicitly (IFT), by phantom steps or
by unrolling; ``jacobian_regularizer`` keeps ``f`` contractive during training.
"""

from dear.deq.equilibrium import solve
from dear.deq.info import SolverInfo
from dear.deq.jacobian import jacobian_regularizer

__all__ = ["SolverInfo", "jacobian_regularizer", "solve"]
