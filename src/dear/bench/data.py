"""``dear bench data``: samples/s of :func:`dear.data.generate` per algorithm, against the CLRS
samplers (DESIGN §6: at least 10x faster for every algorithm at n = 64).

One process; a warm-up run first so that numba's compilation (or cache load) is not timed;
then repeated timed runs, each long enough to swamp timer noise, reported as median and
spread. Graphs are drawn with the edge probability of CLRS's own sampler, so both sides do
the same work.

Each timed run keeps every sample it generates (``generate`` returns them as a list, as a
training set holds them), and the memory they hold is recorded beside the rate: the mean
bytes of the buffers a sample's arrays keep alive (:attr:`Trajectory.held_bytes`), and what
they would be as float64 (the format before probes were stored compact).
"""

from __future__ import annotations

import os
import math
import platform
import time
from pathlib import Path
from typing import Sequence

import numba
import numpy as np
from tqdm.auto import tqdm

from dear.algorithms import GraphInputs, get
from dear.bench.records import merge_rows, write_rows
from dear.data import Trajectory, generate
from dear.data.compact import float64_bytes
from dear.specs import ALGORITHMS

#: Sizes at which the CLRS-30 samplers' throughput was measured (the records'
#: ``clrs_samples_per_s``: dm-clrs, one process, this machine type).
CLRS_SIZES = (16, 64)
CLRS_SOURCE = "DESIGN.md §6 / issue #3 (dm-clrs samplers, one process; the higher figure where two exist)"

TARGET_SPEEDUP = 10.0

#: Samples whose mean size in bytes is recorded: the volume a sampler must write bounds its rate
#: where the hints are dense (Kruskal's ``in_mst_h`` is ``T x n x n``).
SIZE_SAMPLES = 8


def clrs_samples_per_s(algorithm: str, n: int) -> float | None:
    """The CLRS reference throughput, where one was measured."""
    reference = get(get(algorithm).clrs).clrs_samples_per_s
    return reference[CLRS_SIZES.index(n)] if reference and n in CLRS_SIZES else None


def python_loop_seconds(repeats: int = 3) -> float:
    """Best time of a fixed pure-Python loop: a yardstick of the machine's single-core speed, so
    that rows measured on instances of different speed (the same machine type varies by 2x)
    can be told apart; the CLRS samplers are Python-bound and would move with it."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - start)
    return best


def _timed(algorithm: str, count: int, n: int, seed: int, generator: dict) -> tuple[float, float, Sequence[Trajectory]]:
    """Wall-clock and CPU seconds of one ``generate`` call (CPU time is this process's own
    work: on a busy machine it stays comparable where wall time does not), and its samples."""
    start, start_cpu = time.perf_counter(), time.process_time()
    samples = generate(algorithm, count, n, seed, **generator)
    return time.perf_counter() - start, time.process_time() - start_cpu, samples


def _seconds(algorithm: str, count: int, n: int, seed: int, generator: dict) -> tuple[float, float]:
    return _timed(algorithm, count, n, seed, generator)[:2]


def measure(algorithm: str, n: int, repeats: int = 5, min_seconds: float = 0.25, seed: int = 0) -> dict:
    """Throughput of ``generate(algorithm, count, n, ...)`` over ``repeats`` timed runs of about
    ``min_seconds`` each, after a warm-up; ``count`` is calibrated on growing runs."""
    kind = get(algorithm).inputs
    generator = {"p": kind.clrs_p} if isinstance(kind, GraphInputs) else {}
    generate(algorithm, 2, n, seed, **generator)  # warm-up: numba compiles or loads its cache
    count = 4
    while (elapsed := _seconds(algorithm, count, n, seed, generator)[0]) < min_seconds / 4:
        count *= 4
    count = math.ceil(count * min_seconds / elapsed)
    timings, held, as_float64 = [], [], []
    for r in range(repeats):  # each run's samples all alive together, as in a training set
        wall, cpu, samples = _timed(algorithm, count, n, seed + 1 + r, generator)
        timings.append((wall, cpu))
        held += [t.held_bytes for t in samples]
        as_float64 += [float64_bytes(t) for t in samples]
        del samples
    rates = [count / wall for wall, _ in timings]
    q1, median, q3 = np.percentile(rates, [25, 50, 75])
    megabytes = np.mean([t.stored_bytes for t in generate(algorithm, SIZE_SAMPLES, n, seed, **generator)]) / 1e6
    return {
        "generator": generator,
        "load_average_1min": os.getloadavg()[0],
        "samples_per_repeat": count,
        "megabytes_per_sample": float(megabytes),
        "megabytes_per_s": float(median * megabytes),
        "held_megabytes_per_sample": float(np.mean(held)) / 1e6,
        "float64_megabytes_per_sample": float(np.mean(as_float64)) / 1e6,
        "samples_per_s": float(median),
        "samples_per_s_q1": float(q1),
        "samples_per_s_q3": float(q3),
        "samples_per_s_min": float(min(rates)),
        "samples_per_s_max": float(max(rates)),
        "samples_per_cpu_s": float(np.median([count / cpu for _, cpu in timings])),
    }


def run_data_benchmark(
    out_dir: Path,
    sizes: Sequence[int] = CLRS_SIZES,
    algorithms: Sequence[str] = ALGORITHMS,
    repeats: int = 5,
    min_seconds: float = 0.25,
    seed: int = 0,
) -> dict:
    """Measure every (algorithm, size), compare with CLRS, and write ``bench_data.{json,csv}``,
    keeping earlier rows of cases not measured now (each row records its machine load)."""
    rows = []
    yardstick = python_loop_seconds()
    cases = [(algorithm, n) for algorithm in algorithms for n in sizes]
    for algorithm, n in tqdm(cases, desc="bench data", unit="case"):
        row = {"algorithm": algorithm, "n": n, **measure(algorithm, n, repeats, min_seconds, seed)}
        row["python_loop_s"] = yardstick
        clrs = clrs_samples_per_s(algorithm, n)
        row["clrs_samples_per_s"] = clrs
        row["speedup"] = row["samples_per_s"] / clrs if clrs else None
        rows.append(row)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    order = {name: i for i, name in enumerate(ALGORITHMS)}
    rows = merge_rows(out_dir / "bench_data.json", rows, lambda r: (order.get(r["algorithm"], len(order)), r["n"]))
    meta = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "repeats": repeats,
        "min_seconds_per_repeat": min_seconds,
        "clrs_source": CLRS_SOURCE,
        "target_speedup_at_64": TARGET_SPEEDUP,
        # against the fixed figures of clrs_source; bench_clrs_samplers.json times CLRS live
        "below_target_at_64_vs_clrs_source": [
            row["algorithm"] for row in rows if row["n"] == 64 and (row["speedup"] or math.inf) < TARGET_SPEEDUP
        ],
    }
    write_rows(out_dir / "bench_data.json", meta, rows)
    return {"meta": meta, "rows": rows}
