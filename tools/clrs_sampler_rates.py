"""Samples/s of the CLRS-30 benchmark's own samplers on this machine, for ``dear bench data`` to
compare against in the same sitting (DESIGN §6: "compare in one run where you can").

Not part of the package, which never imports CLRS: run it with an interpreter that has dm-clrs
(a throwaway virtual environment, as it pulls TensorFlow and JAX):

    python3 -m venv /tmp/clrs && /tmp/clrs/bin/pip install dm-clrs==2.0.3
    /tmp/clrs/bin/python tools/clrs_sampler_rates.py --out results/bench_clrs_samplers.json

Each rate is the number of samples a ``clrs.build_sampler(name, num_samples=N, length=n)`` call
generates per second of its constructor (which samples and executes all N up front, as
``dear.data.generate`` does), median over repeats, N calibrated to about ``--seconds`` a call.
Graphs use CLRS's default sampler settings (edge probability 0.5; Kruskal's sampler 0.2).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.disable(logging.WARNING)

def rate(clrs, algorithm: str, n: int, seconds: float, repeats: int) -> tuple[float, float]:
    """Median samples per wall-clock second and per CPU second of this process (the latter
    robust to other load on the machine, as ``dear bench data``'s ``samples_per_cpu_s``)."""
    def construct(count: int, seed: int) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        clrs.build_sampler(algorithm, num_samples=count, length=n, seed=seed)
        return time.perf_counter() - wall, time.process_time() - cpu

    count = 2
    while (elapsed := construct(count, 0)[0]) < seconds / 4:
        count *= 4
    count = max(2, round(count * seconds / elapsed))
    timings = [construct(count, 1 + r) for r in range(repeats)]
    return (statistics.median(count / wall for wall, _ in timings),
            statistics.median(count / max(cpu, 1e-9) for _, cpu in timings))


def python_loop_seconds(repeats: int = 3) -> float:
    """The same single-core yardstick as ``dear bench data`` records."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="results/bench_clrs_samplers.json")
    parser.add_argument("--sizes", default="16,64")
    parser.add_argument("--algorithms", default="", help="comma-separated (default: all 30 of CLRS-30)")
    parser.add_argument("--seconds", type=float, default=1.0, help="target seconds of one timed call")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import clrs
    except ImportError:
        sys.exit("this tool needs dm-clrs (see its docstring); the dear package itself does not")
    rows = []
    algorithms = args.algorithms.split(",") if args.algorithms else sorted(clrs.CLRS_30_ALGS_SETTINGS)
    for algorithm in algorithms:
        for n in map(int, args.sizes.split(",")):
            per_s, per_cpu_s = rate(clrs, algorithm, n, args.seconds, args.repeats)
            rows.append({"algorithm": algorithm, "n": n, "samples_per_s": per_s, "samples_per_cpu_s": per_cpu_s,
                         "load_average_1min": os.getloadavg()[0]})
            print(f"{algorithm} n={n}: {rows[-1]['samples_per_s']:,.1f} samples/s", flush=True)
    meta = {"clrs": clrs.__version__, "python": platform.python_version(), "machine": platform.machine(),
            "python_loop_s": python_loop_seconds(), "seconds_per_call": args.seconds, "repeats": args.repeats}
    measured = {(row["algorithm"], row["n"]) for row in rows}
    if os.path.exists(args.out):  # keep the cases not measured this time
        with open(args.out) as f:
            rows = [r for r in json.load(f)["rows"] if (r["algorithm"], r["n"]) not in measured] + rows
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
