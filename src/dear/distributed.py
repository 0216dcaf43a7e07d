"""Multi-process training with ``torch.distributed`` (launched by ``torchrun``).

Every rank computes the same global batch order and takes every ``world``-th graph of it, so
the data stream is deterministic and independent of the number of processes; gradients are
averaged by DDP; rank 0 alone writes the run directory. gloo on CPU, NCCL on GPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def default_device() -> torch.device:
    """The first GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup(device: torch.device) -> Context:
    """Join the process group when launched by torchrun (``WORLD_SIZE`` > 1), else run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Context(device=device)
    rank = int(os.environ["RANK"])
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Context(rank, world, device)


def count_per_process(context: Context) -> Callable[[torch.Tensor], torch.Tensor]:
    """A loss normaliser's whole-batch count per process (the sum over ranks over the world size),
    so that DDP's mean of the shards' gradients is the whole batch's gradient
    (:mod:`dear.nn.normalise`)."""

    def reduce(local: torch.Tensor) -> torch.Tensor:
        total = local.clone()
        dist.all_reduce(total)
        return total / context.world

    return reduce


def barrier(context: Context) -> None:
    if context.distributed:
        dist.barrier()


def teardown(context: Context) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()
