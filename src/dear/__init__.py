"""dear: Deep Equilibrium Algorithmic Reasoning (NeurIPS 2024) and its baselines.

``import dear`` stays light (no torch); ``dear.solve`` loads the model stack on first use.
"""

from typing import Any

from dear.specs import ALGORITHMS, PAPER_ALGORITHMS, SPECS

__version__ = "0.1.0"
__all__ = ["ALGORITHMS", "PAPER_ALGORITHMS", "SPECS", "__version__", "solve"]


def __getattr__(name: str) -> Any:
    if name == "solve":
        from dear.solving import solve

        return solve
    raise AttributeError(f"module 'dear' has no attribute {name!r}")
