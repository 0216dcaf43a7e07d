"""Loss normalisers that hold across processes.

A loss averaged over a batch divides by a count of that batch (nodes with a predictable
pointer, mask entries, graphs). Under DDP each process sees a shard, and the mean of the
shards' gradients equals the whole batch's only if every shard divides by the *whole batch's*
count, per process. :func:`counts_over_processes` installs that reduction (the trainer passes
an all-reduce); without it a count is used as it is, and every loss is computed exactly as
before (bit for bit).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

import torch
from torch import Tensor

#: ``local count -> the whole batch's count per process``; None: one process.
_REDUCE: ContextVar[Callable[[Tensor], Tensor] | None] = ContextVar("dear_count_reduce", default=None)


@contextmanager
def counts_over_processes(reduce: Callable[[Tensor], Tensor] | None) -> Iterator[None]:
    """Within the block, every loss normaliser is ``reduce(local count)`` (None: one process,
    counts as they are)."""
    token = _REDUCE.set(reduce)
    try:
        yield
    finally:
        _REDUCE.reset(token)


def distributed() -> bool:
    return _REDUCE.get() is not None


def count(local: Tensor | int, like: Tensor) -> Tensor | int:
    """The normaliser for a local count (unchanged in one process)."""
    reduce = _REDUCE.get()
    if reduce is None:
        return local
    return reduce(torch.as_tensor(local, dtype=like.dtype, device=like.device).detach())


def mean(values: Tensor) -> Tensor:
    """``values.mean()``, over the whole batch's count when counts are reduced."""
    if _REDUCE.get() is None:
        return values.mean()
    return values.sum() / count(values.numel(), values)
