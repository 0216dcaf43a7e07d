"""dear: Deep Equilibrium Algorithmic Reasoning (NeurIPS 2024) and its baselines."""

from dear.specs import ALGORITHMS, PAPER_ALGORITHMS, SPECS

__version__ = "0.1.0"
__all__ = ["ALGORITHMS", "PAPER_ALGORITHMS", "SPECS", "__version__"]
