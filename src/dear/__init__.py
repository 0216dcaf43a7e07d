"""dear: Deep Equilibrium Algorithmic Reasoning (NeurIPS 2024) and its baselines.

``import dear`` stays light (no torch, no numba): the algorithm tables and ``dear.solve`` load
on first use. ``dear.solve`` is a package that is called as a function: ``dear.solve(algorithm,
graph, source)`` solves, ``dear.solve.plot(result, graph, path)`` draws the answer.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["ALGORITHMS", "PAPER_ALGORITHMS", "SPECS", "__version__", "solve"]


def __getattr__(name: str) -> Any:
    if name in ("ALGORITHMS", "PAPER_ALGORITHMS", "SPECS"):
        from dear import specs

        return getattr(specs, name)
    if name == "solve":  # the package dear.solve, callable as its solve function
        import importlib

        return importlib.import_module("dear.solve")
    raise AttributeError(f"module 'dear' has no attribute {name!r}")
