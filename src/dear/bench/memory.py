"""Peak memory of one DEAR training step against the solver's iteration count.

With the implicit (IFT) backward the autograd graph holds one processor call whatever the
number of iterations, so the peak must stay flat as ``max_iter`` grows; backpropagating
through every iteration (``"unroll"``) is measured beside it as the control that grows.
Each point runs in a fresh process, its RSS high-water mark reset just before the step.
"""

from __future__ import annotations

import json
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Sequence

import torch

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models.dear import DEAR

ITERATIONS = (10, 20, 40, 80)
#: The fixed batch: 16 sparse bfs graphs of 64 nodes (edge probability 0.1).
BATCH = {"algorithm": "bfs", "graphs": 16, "nodes": 64, "p": 0.1, "seed": 0}


def _status_bytes(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, from ``/proc/self/status``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"/proc/self/status has no {field}")


def step_memory(backward: str, max_iter: int) -> dict:
    """One forward + backward of a DEAR (cpu profile) that runs exactly ``max_iter`` solver
    iterations (``tol`` is unreachable): RSS peak above the RSS before the step, and the bytes
    autograd saved for the backward."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = make_config(BATCH["algorithm"], "cpu", model="dear", max_iter=max_iter, tol=1e-12)
    model = DEAR.from_config(config, backward=backward).train()  # "unroll": a control, not a training option
    batch = collate(generate(BATCH["algorithm"], BATCH["graphs"], BATCH["nodes"], BATCH["seed"], p=BATCH["p"]),
                    hints=False)
    saved: list[int] = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        saved.append(tensor.nbytes)
        return tensor

    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS (Linux)
    before, start = _status_bytes("VmRSS"), time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        prediction = model(batch)
        loss, _ = model.loss(batch, prediction)
    loss.backward()
    seconds, peak = time.perf_counter() - start, _status_bytes("VmHWM")
    return {"backward": backward, "max_iter": max_iter, "iterations": prediction.diagnostics["iterations_max"],
            "step_s": seconds, "peak_rss_increase_mib": (peak - before) / 2**20,
            "autograd_saved_mib": sum(saved) / 2**20}


def deq_memory_benchmark(out_dir: Path, iterations: Sequence[int] = ITERATIONS,
                         backwards: Sequence[str] = ("ift", "unroll")) -> list[dict]:
    """:func:`step_memory` for every backward and ``max_iter``, each in a fresh process; writes
    ``bench_deq_memory.json``."""
    points = [(backward, max_iter) for backward in backwards for max_iter in iterations]
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), max_tasks_per_child=1) as pool:
        rows = [pool.submit(step_memory, *point).result() for point in points]
    meta = {"batch": BATCH, "profile": "cpu", "machine": platform.processor() or platform.machine(),
            "measure": "VmHWM - VmRSS around one training step, high-water mark reset before it; fresh process "
                       "per point; autograd_saved_mib sums the tensors saved for backward"}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_deq_memory.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    return rows
