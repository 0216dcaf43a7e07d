"""Run a trained reasoner on your own graph: ``dear.solve(algorithm, graph, source=None, model=None, ...)``.

The package is callable: ``dear.solve(...)`` is :func:`dear.solve.pipeline.solve` (see there
for every argument and the result), and ``dear.solve.plot(result, graph, "out.png")`` draws an
answer (:func:`dear.solve.drawing.plot`). One module per job:

* :mod:`~dear.solve.convert`: a user's input (networkx, PyG ``Data``, adjacency matrix, keys,
  a list of graphs) -> validated edge arrays -> the model's batch;
* :mod:`~dear.solve.run`: finding the model (shipped, or a run directory), running it once per
  batch, its outputs split per graph;
* :mod:`~dear.solve.check`: whether each answer is an answer (:mod:`dear.checking`), and
  :mod:`~dear.solve.repair` (Edmonds' arborescence in numba) where not;
* :mod:`~dear.solve.answer`: outputs keyed by node, distances along the answer, the answer as
  a networkx graph;
* :mod:`~dear.solve.drawing`: the answer drawn over its graph;
* :mod:`~dear.solve.io`: graph files in, JSON out (``dear solve``);
* :mod:`~dear.solve.pipeline`: ``solve`` itself, the steps in order.

Nothing heavy (torch, numba) is imported until a name is used, so ``import dear`` stays light.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: Public names and the module each lives in, imported on first use.
_EXPORTS = {"solve": "pipeline", "NotConvergedWarning": "pipeline", "plot": "drawing", "solve_file": "io",
            "read_graph_file": "io", "to_json": "io", "pretrained_dir": "run"}

__all__ = ["NotConvergedWarning", "plot", "pretrained_dir", "read_graph_file", "solve", "solve_file",
           "to_json"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _CallableModule(types.ModuleType):
    """This package, callable as its ``solve``: ``dear.solve(...)`` keeps meaning the function
    while ``dear.solve.plot`` and the submodules live under the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.solve(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
