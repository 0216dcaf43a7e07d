"""numba kernels compiled on first use.

Every algorithm module keeps its record beside its kernel, so reading the records (``dear
--help``, ``dear solve``, ``dear.ALGORITHMS``) imports every kernel module; with
``numba.njit`` as the decorator that would import numba too, a third of a second on every
command, though most commands (``solve`` on a model, ``--help``) run no kernel. ``@kernel``
holds the plain function until any kernel is first called, then imports numba once and hands
every kernel to ``numba.njit(cache=True)``.

Kernels call each other by module-global names, which numba resolves when it compiles: so
before anything compiles, each kernel module's globals that name a kernel are pointed at its
numba dispatcher. Python callers may keep the :class:`Kernel` itself; it forwards.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

_KERNELS: list[Kernel] = []
_LOCK = threading.Lock()


class Kernel:
    """A function that becomes ``numba.njit(cache=True)(function)`` at the first kernel call."""

    def __init__(self, function: Callable[..., Any]) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self.dispatcher: Callable[..., Any] | None = None
        with _LOCK:
            _KERNELS.append(self)

    def __call__(self, *args: Any) -> Any:
        if self.dispatcher is None:
            _compile_all()
        return self.dispatcher(*args)


def kernel(function: Callable[..., Any]) -> Kernel:
    """Decorator: ``function`` as a numba kernel, compiled (and cached on disk) when first run."""
    return Kernel(function)


def _compile_all() -> None:
    """Give every kernel defined so far its dispatcher, and rebind the module globals that
    name a kernel to it, so that numba sees dispatchers where one kernel calls another."""
    import numba

    with _LOCK:
        for each in _KERNELS:
            if each.dispatcher is None:
                each.dispatcher = numba.njit(cache=True)(each.function)
        for namespace in {id(each.function.__globals__): each.function.__globals__ for each in _KERNELS}.values():
            for name, value in list(namespace.items()):
                if isinstance(value, Kernel):
                    namespace[name] = value.dispatcher
