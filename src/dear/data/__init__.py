"""CLRS-faithful algorithmic data in NumPy (this package never imports torch).

The torch_geometric adapter lives in :mod:`dear.data.batching` and is imported on demand.
"""

from dear.data.execute import execute
from dear.data.generate import generate, sample
from dear.data.trajectory import Trajectory

__all__ = ["Trajectory", "execute", "generate", "sample"]
