"""``dear`` starts fast: its help and ``dear algorithms`` import no torch, numba, networkx or
matplotlib, and ``dear solve`` defers the modules its libraries import eagerly without using them
(``torch._dynamo``, torch_geometric's datasets, numba, ...) without changing its answer. Each
check runs in a fresh interpreter, whose imports are its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dear.solve.io import solve_file

HELP = """
import argparse, contextlib, io, sys
from dear.cli import build_parser, main
action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
for argv in (["--help"], ["algorithms"], *([command, "--help"] for command in action.choices)):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main(argv)
print(sorted(name for name in ("torch", "torch_geometric", "numba", "networkx", "matplotlib") if name in sys.modules))
"""

SOLVE = """
import contextlib, io, json, sys, torch
from dear.cli import _UNUSED_BY_SOLVE, main
main(["solve", "bfs", sys.argv[1], "--source", "0"])
kinds = {name: type(sys.modules[name]).__name__ for name in _UNUSED_BY_SOLVE}
with contextlib.redirect_stdout(io.StringIO()) as out:  # --check runs the numba kernel
    main(["solve", "mst_prim", sys.argv[1], "--source", "0", "--check"])
torch._dynamo.OptimizedModule  # a first use imports the real module
kinds_after = {name: type(sys.modules[name]).__name__ for name in ("torch._dynamo", "numba")}
print(json.dumps([kinds, kinds_after, json.loads(out.getvalue())["check"]["optimal"]]), file=sys.stderr)
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)


def test_help_and_algorithms_import_no_heavy_module() -> None:
    assert _python(HELP).stdout.strip() == "[]"


def test_solve_defers_unused_modules_until_used_and_answers_as_in_process(tmp_path: Path) -> None:
    graph = tmp_path / "path.edgelist"
    graph.write_text("0 1 1\n1 2 1\n2 3 1\n0 3 2\n")
    done = _python(SOLVE, str(graph))
    deferred, after_use, optimal = json.loads(done.stderr.splitlines()[-1])
    assert set(deferred.values()) == {"_DeferredModule"}, deferred  # a model's answer uses none
    assert after_use == {"torch._dynamo": "module", "numba": "module"}  # first uses get the real ones
    assert optimal is True  # the exact kernel ran through the real numba
    assert json.loads(done.stdout) == json.loads(json.dumps(solve_file("bfs", graph, source=0)))
