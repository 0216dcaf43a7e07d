"""What ``dear solve`` on a small graph costs beyond ``import torch`` (issue 21 asks at most 1 s).

Each sample is a fresh interpreter, as a user's command is. The two commands alternate, so a
change of machine load hits both alike, and the verdict compares their medians.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm.auto import tqdm

from dear.bench.records import write_rows
from dear.specs import PAPER_ALGORITHMS

GRAPH = "0 1 1\n1 2 2\n0 2 5\n2 3 1\n"  # a weighted edge list
NODES = len({node for line in GRAPH.splitlines() for node in line.split()[:2]})
ALGORITHM = PAPER_ALGORITHMS[0]  # bellman_ford: weighted, from a source, a shipped DEAR
EXTRA_LIMIT_S = 1.0
DEFAULT_REPEATS = 10


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def startup_commands(graph: Path) -> dict[str, list[str]]:
    """The baseline and the command measured, each as a fresh interpreter would run it."""
    return {"import torch": [sys.executable, "-c", "import torch"],
            "dear solve": [sys.executable, "-m", "dear.cli", "solve", ALGORITHM, str(graph), "--source", "0"]}


def run_startup_benchmark(out_dir: Path, repeats: int = DEFAULT_REPEATS) -> dict:
    """Time ``repeats`` alternating runs of each command after one untimed run of each (which
    fills the file cache and numba's and Python's caches); write ``bench_startup.json``."""
    with tempfile.TemporaryDirectory() as folder:
        graph = Path(folder) / "graph.edgelist"
        graph.write_text(GRAPH)
        commands = startup_commands(graph)
        for argv in commands.values():
            _seconds(argv)
        rows = [{"command": name, "repeat": repeat, "seconds": _seconds(argv), "load_average_1min": os.getloadavg()[0]}
                for repeat in tqdm(range(repeats), desc="startup", unit="pair") for name, argv in commands.items()]
    median = {name: statistics.median(r["seconds"] for r in rows if r["command"] == name) for name in commands}
    extra = median["dear solve"] - median["import torch"]
    verdict = {"import_torch_s": median["import torch"], "solve_s": median["dear solve"], "extra_s": extra,
               "limit_s": EXTRA_LIMIT_S, "holds": extra <= EXTRA_LIMIT_S}
    meta = {"machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "algorithm": ALGORITHM, "nodes": NODES, "repeats": repeats,
            "verdict": verdict}
    write_rows(out_dir / "bench_startup.json", meta, rows)
    return verdict
