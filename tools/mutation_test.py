"""Scoped mutation testing of the data kernels and the DEQ solver (docs/MUTATION.md).

Applies one small source mutation at a time (an operator, a comparison, a constant, a deleted
statement...) to a function body of a target file and runs the tests that should notice it. A
mutant the tests pass on *survived*: either it is equivalent (no input can tell it apart) or
the tests have a gap.

Why not mutmut: mutmut 3 skips decorated functions (its trampoline cannot wrap them), which is
every numba ``@kernel`` here, and mutmut 2 mutates the working tree in place, while other
processes (training, other sessions) import ``src/dear`` from it. This script never writes to
the repository: it copies ``src/``, ``tests/`` and ``pyproject.toml`` into a temporary
directory, puts that ``src`` first on ``sys.path``, and mutates the copy only. A fork server
keeps the per-mutant cost low: the parent imports torch, numba, numpy, pytest once; each
mutant runs ``pytest.main`` in a forked child that imports ``dear`` (mutated) afresh.

    .venv/bin/python tools/mutation_test.py                      # all targets
    .venv/bin/python tools/mutation_test.py --list               # the mutants, nothing run
    .venv/bin/python tools/mutation_test.py --files src/dear/deq/loop.py --only 3 17
    .venv/bin/python tools/mutation_test.py --json /tmp/mutation.json

Survivors listed in ``EQUIVALENT`` (with why no input can tell them apart) are reported as
"equivalent"; the exit status is 1 if any other mutant survives, i.e. the tests have a gap.
Compiled kernels go to a private ``NUMBA_CACHE_DIR``; before every run the cache entries and
``.pyc`` of the mutated module are deleted, so no stale compilation can mask a mutant.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_GRAPH_GOLDEN = "tests/test_golden.py::test_execute_reproduces_clrs"
_PROPERTIES = "tests/test_properties.py"
_GENERATE = f"{_PROPERTIES}::test_generate_is_deterministic_and_prefix_stable"
_KERNEL_CASES = "tests/test_algorithms_shortest_paths.py"  # hand-made edge cases, fastest first

#: Target file -> the pytest arguments (node ids, fastest first) whose tests should kill its mutants.
TARGETS: dict[str, list[str]] = {
    "src/dear/algorithms/bfs.py": [
        _KERNEL_CASES, f"{_GRAPH_GOLDEN}[bfs]", f"{_PROPERTIES}::test_bfs_pointers_form_a_bfs_tree",
        f"{_GENERATE}[bfs]", "tests/test_sparse.py::test_closed_form_steps_match_the_exact_run[bfs]",
    ],
    "src/dear/algorithms/shortest_paths.py": [
        _KERNEL_CASES, f"{_GRAPH_GOLDEN}[bellman_ford]", f"{_GRAPH_GOLDEN}[dijkstra]",
        f"{_PROPERTIES}::test_bellman_ford_pointers_give_shortest_paths",
        f"{_PROPERTIES}::test_dijkstra_pointers_give_shortest_paths",
        f"{_GENERATE}[bellman_ford]", f"{_GENERATE}[dijkstra]",
    ],
    # dijkstra's loop (shared with mst_prim) lives here.
    "src/dear/algorithms/_greedy.py": [
        _KERNEL_CASES, f"{_GRAPH_GOLDEN}[dijkstra]", f"{_GRAPH_GOLDEN}[mst_prim]",
        f"{_PROPERTIES}::test_dijkstra_pointers_give_shortest_paths",
        f"{_PROPERTIES}::test_mst_prim_spans_the_component_of_s_minimally",
    ],
    "src/dear/deq/solvers.py": ["tests/test_deq.py"],
    "src/dear/deq/loop.py": ["tests/test_deq.py"],
}

_SQUARE = "A is n x n: shape[1] is shape[0]"
_BUFFER = "a larger scratch buffer: only the first t rows are returned, and t never reaches its end"
_LAST_AXIS = "gram is [G, k, k] (shape[1] == shape[-1]); the others are [G, k], where axis 1 is axis -1"

#: Surviving mutants no input can tell apart, with why: (file, mutated line, before, after) -> reason;
#: a fifth item n picks the (n+1)-th of identical mutants on the line, left to right.
#: The run reports them as "equivalent"; any other survivor is a gap in the tests (exit status 1).
EQUIVALENT: dict[tuple, str] = {
    ("src/dear/algorithms/bfs.py", "n = A.shape[0]", "0", "1"): _SQUARE,
    ("src/dear/algorithms/bfs.py", "reach_h = np.zeros((n + 1, n))", "1", "2"): _BUFFER,
    ("src/dear/algorithms/bfs.py", "pi_h = np.zeros((n + 1, n), dtype=np.int64)", "1", "2"): _BUFFER,
    ("src/dear/algorithms/shortest_paths.py", "n = A.shape[0]", "0", "1"): _SQUARE,
    ("src/dear/algorithms/shortest_paths.py", "cap = n + 1", "1", "2"):
        "without a negative cycle t <= n, so the cap is never reached; with one, the same error is "
        "raised one round later",
    ("src/dear/algorithms/_greedy.py", "best_u, best = 0, np.inf", "0", "1"):
        "every value is finite, so i = 0 always replaces the initial best_u",
    ("src/dear/algorithms/_greedy.py", "value = key[i] + (1.0 - in_queue[i]) * 1e9", "1e9", "1000000001.0"):
        "the offset is added only to nodes out of the queue: a queued node wins against either offset, and "
        "with none queued the loop breaks without using u",
    ("src/dear/algorithms/_greedy.py", "n = A.shape[0]", "0", "1"): _SQUARE,
    ("src/dear/algorithms/_greedy.py", "hints = np.zeros((5, n + 1, n))", "1", "2"): _BUFFER,
    ("src/dear/algorithms/_greedy.py", "for step in range(n + 1):", "1", "2"):
        "each node is extracted at most once, so at step n + 1 the queue is empty and the loop breaks "
        "before writing",
    ("src/dear/algorithms/_greedy.py", "break", "break", "continue"):
        "an empty queue stays empty (only an extraction queues nodes), so every later step also skips "
        "without writing",
    ("src/dear/deq/solvers.py", "residual = fx - x if rows is None else torch.where(rows[:, None], fx - x, 0)",
     "0", "1"):
        "frozen rows enter only their own (frozen) graph's Gram matrix and targets, and the loop discards "
        "the frozen rows of the step",
    ("src/dear/deq/solvers.py", "n = gram.shape[-1]", "-1", "1"): _LAST_AXIS,
    ("src/dear/deq/solvers.py", "scale = gram.diagonal(dim1=-2, dim2=-1).mean(-1)", "-1", "1", 1): _LAST_AXIS,
    ("src/dear/deq/solvers.py", "system = torch.where(active[:, None, None], system, eye)",
     "system = torch.where(active[:, None, None], system, eye)", "pass"):
        "a redundant guard: a frozen graph's singular system gives status != 0 and non-finite weights, "
        "which `usable` replaces by the newest iterate, and its rows are discarded (unroll gradients "
        "checked identical)",
    ("src/dear/deq/solvers.py",
     "solution, status = torch.linalg.solve_ex(system, gram.new_ones(self.num_graphs, n, 1))", "1", "2"):
        "two equal right-hand sides; only the first column of the solution is read",
    ("src/dear/deq/solvers.py", "weights = solution[..., 0] / solution[..., 0].sum(-1, keepdim=True)", "-1", "1"):
        _LAST_AXIS,
    ("src/dear/deq/solvers.py", "usable = (status == 0) & torch.isfinite(weights).all(-1)",
     "(status == 0) & torch.isfinite(weights).all(-1)", "(status == 0) | torch.isfinite(weights).all(-1)"):
        "unreachable through solve(): an active graph's Gram matrix is finite (a graph whose squares "
        "overflow has an infinite residual and stops) and non-zero (a zero residual converges), so "
        "G + lam I is positive definite: status 0 and finite weights, where & and | agree",
    ("src/dear/deq/solvers.py", "usable = (status == 0) & torch.isfinite(weights).all(-1)", "-1", "1"): _LAST_AXIS,
    ("src/dear/deq/solvers.py", "if value.requires_grad or ring.requires_grad:",
     "value.requires_grad or ring.requires_grad", "value.requires_grad and ring.requires_grad"):
        "they differ only on the first write into a fresh zero ring, which no autograd node has saved "
        "(writing it in place is safe); a ring that records gradients never meets a value that does not",
    ("src/dear/deq/solvers.py", "g = fx - x if rows is None else torch.where(rows[:, None], fx - x, 0)", "0", "1"):
        "frozen rows enter only their own graph's secant pair, whose update scale is 0 (not active), and "
        "the loop discards the frozen rows of the step",
    ("src/dear/deq/solvers.py", "scale = torch.where(usable, 1 / torch.where(usable, denominator, 1), 0)",
     "1", "2", 1):
        "the placeholder divisor of unusable graphs, whose quotient the outer where throws away",
    ("src/dear/deq/loop.py", "for k in range(1, max_iter + 1):", "1", "2", 1):
        "the loop breaks at k == max_iter, so the range's end is never reached",
}

_PRELOAD = ("numpy", "numba", "torch", "networkx", "hypothesis", "torch_geometric")


# --------------------------------------------------------------------------- mutants

@dataclass
class Mutant:
    file: str
    index: int
    line: int
    kind: str
    before: str
    after: str
    start: tuple[int, int]  # (line, col) of the replaced span, 1-based line
    end: tuple[int, int]
    replacement: str
    code: str  # the mutated line, stripped (with before/after, how EQUIVALENT names a mutant)
    occurrence: int = 0  # which of the identical (code, before, after) mutants of its line, left to right
    status: str = "not run"
    seconds: float = 0.0

    def key(self) -> tuple[str, str, str, str] | tuple[str, str, str, str, int]:
        key = (self.file, self.code, self.before, self.after)
        return (*key, self.occurrence) if self.occurrence else key

    def label(self) -> str:
        return f"{self.file}:{self.line} #{self.index} [{self.kind}] {self.before!r} -> {self.after!r}"


_BINOP_SWAPS = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.Pow: ast.Mult,
}
_COMPARE_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
}
_CALL_SWAPS = {"min": "max", "max": "min"}


def _copy(node: ast.AST) -> ast.AST:
    return ast.parse(ast.unparse(node), mode="eval").body if isinstance(node, ast.expr) else ast.parse(ast.unparse(node)).body[0]


class _Collector(ast.NodeVisitor):
    """Candidate mutations inside function bodies (no module-level code, decorators, annotations
    or docstrings)."""

    def __init__(self, source: str, file: str) -> None:
        self.source, self.file = source, file
        self.lines = source.splitlines()
        self.mutants: list[Mutant] = []
        self.depth = 0  # > 0 inside a function body
        self.bound: list[set[str]] = []  # names bound so far, per enclosing function
        self.in_init = False  # attributes set in __init__ are first bindings too

    # -- helpers
    def _add(self, node: ast.AST, kind: str, new: ast.AST | str, *, paren: bool = True) -> None:
        before = ast.get_source_segment(self.source, node) or ast.unparse(node)
        after = new if isinstance(new, str) else ast.unparse(new)
        replacement = f"({after})" if paren and isinstance(node, ast.expr) else after
        self.mutants.append(Mutant(self.file, len(self.mutants), node.lineno, kind, " ".join(before.split()),
                                   after, (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset),
                                   replacement, self.lines[node.lineno - 1].strip()))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.depth += 1
        self.bound.append({a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)})
        self.in_init = node.name == "__init__"
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # docstring
        for statement in body:
            self.visit(statement)
        self.depth -= 1
        self.bound.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for statement in node.body:  # methods only; class-level code is not a function body
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.visit(statement)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return  # the SOLVERS table: a registry, not logic

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    # -- statements
    def _delete(self, node: ast.stmt) -> None:
        if self.depth:
            self._add(node, "delete statement", "pass", paren=False)

    def visit_Assign(self, node: ast.Assign) -> None:
        names = {t.id for target in node.targets for t in ast.walk(target)
                 if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
        if self.depth and names <= self.bound[-1] and not self.in_init:
            # Deleting a first binding only makes a NameError: trivially killed, not worth a run.
            self._delete(node)
        if self.depth:
            self.bound[-1] |= names
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self.depth:
            self._delete(node)
            swap = _BINOP_SWAPS.get(type(node.op))
            if swap:
                new = _copy(node)
                new.op = swap()
                self._add(node, "augmented assignment", new, paren=False)
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            return  # docstrings, ``...``
        self._delete(node)
        self.generic_visit(node)

    def visit_Break(self, node: ast.Break) -> None:
        if self.depth:
            self._add(node, "break -> continue", "continue", paren=False)

    def visit_Continue(self, node: ast.Continue) -> None:
        if self.depth:
            self._add(node, "continue -> break", "break", paren=False)

    # -- expressions
    def visit_BinOp(self, node: ast.BinOp) -> None:
        swap = _BINOP_SWAPS.get(type(node.op))
        if self.depth and swap:
            new = _copy(node)
            new.op = swap()
            self._add(node, "operator", new)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if self.depth:
            new = _copy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self._add(node, "boolean operator", new)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if self.depth:
            for i, op in enumerate(node.ops):
                swap = _COMPARE_SWAPS.get(type(op))
                if swap:
                    new = _copy(node)
                    new.ops[i] = swap()
                    self._add(node, "comparison", new)
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if self.depth and isinstance(node.op, (ast.Not, ast.Invert, ast.USub)):
            self._add(node, "drop unary operator", node.operand)
        if not (isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)):
            self.generic_visit(node)  # a negative literal is one mutant (its sign), not two

    def visit_Call(self, node: ast.Call) -> None:
        if self.depth and isinstance(node.func, ast.Name) and node.func.id in _CALL_SWAPS:
            new = _copy(node)
            new.func.id = _CALL_SWAPS[node.func.id]
            self._add(node, "min/max", new)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not self.depth or isinstance(node.value, (str, bytes)) or node.value is None or node.value is ...:
            return
        if isinstance(node.value, bool):
            self._add(node, "constant", repr(not node.value))
        elif isinstance(node.value, (int, float)):
            self._add(node, "constant", repr(node.value + 1))


def mutants_of(file: str) -> list[Mutant]:
    source = (ROOT / file).read_text()
    collector = _Collector(source, file)
    collector.visit(ast.parse(source))
    seen: dict[tuple, int] = {}
    for mutant in sorted(collector.mutants, key=lambda m: (m.line, m.start[1] if m.start[0] == m.line else 0)):
        mutant.occurrence = seen.get(mutant.key(), 0)
        seen[mutant.key()] = mutant.occurrence + 1
    return collector.mutants


def apply(source: str, mutant: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    (l0, c0), (l1, c1) = mutant.start, mutant.end
    # ast offsets are in UTF-8 bytes
    head = lines[l0 - 1].encode()[:c0].decode()
    tail = lines[l1 - 1].encode()[c1:].decode()
    mutated = "".join(lines[: l0 - 1]) + head + mutant.replacement + tail + "".join(lines[l1:])
    ast.parse(mutated)  # every mutant must at least be valid Python
    return mutated


# --------------------------------------------------------------------------- running

def make_copy() -> Path:
    work = Path(tempfile.mkdtemp(prefix="dear-mutation-"))
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache")
    shutil.copytree(ROOT / "src", work / "src", ignore=ignore)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    return work


def forget_compiled(work: Path, file: str, cache: Path) -> None:
    """Remove the mutated module's .pyc and numba cache entries (their stamps could collide)."""
    path = work / file
    for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*"):
        pyc.unlink()
    for entry in cache.rglob(f"{path.stem}.*"):
        entry.unlink()


def run_tests(work: Path, tests: list[str], timeout: float, log: Path) -> tuple[str, float]:
    """(status, seconds) of ``pytest tests`` in a forked child; status is survived / killed /
    timeout / error (no test ran, a usage error)."""
    import pytest

    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        code = 3
        try:
            os.chdir(work)
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = pytest.main(["-p", "no:xdist", "-p", "no:cacheprovider", "-x", "-q", "--no-header", *tests])
        except BaseException:  # noqa: BLE001 - anything the mutant breaks is a failure
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(code))
    deadline = start + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", time.perf_counter() - start
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return "survived", seconds
    if code in (1, 2) or code < 0:  # failed tests, collection/import error, crash
        return "killed", seconds
    return "error", seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=list(TARGETS), help="target files (default: all)")
    parser.add_argument("--only", nargs="+", type=int, help="mutant indices (per file, as --list numbers them) to run")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--json", type=Path, help="write every mutant's outcome here")
    parser.add_argument("--timeout-factor", type=float, default=2.0, help="per-mutant timeout: factor x baseline + 5 s")
    args = parser.parse_args(argv)

    plan = {file: mutants_of(file) for file in args.files}
    if args.only:
        plan = {file: [m for m in mutants if m.index in args.only] for file, mutants in plan.items()}
    if args.list:
        for mutants in plan.values():
            for mutant in mutants:
                print(mutant.label())
        print(f"{sum(map(len, plan.values()))} mutants", file=sys.stderr)
        return 0

    work = make_copy()
    cache = work / "numba-cache"
    os.environ["NUMBA_CACHE_DIR"] = str(cache)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(work / "src"), os.environ.get("PYTHONPATH", "")])
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path.insert(0, str(work / "src"))
    import importlib.util

    origin = importlib.util.find_spec("dear").origin
    assert origin and origin.startswith(str(work)), f"dear resolves to {origin}, not the copy"
    for name in _PRELOAD:  # imported once, inherited by every forked child
        try:
            __import__(name)
        except ImportError:
            pass
    import torch

    torch.set_num_threads(1)
    log = work / "last.log"
    results: list[Mutant] = []
    cpu0 = os.times()
    try:
        for file, mutants in plan.items():
            tests = TARGETS[file]
            original = (work / file).read_text()
            forget_compiled(work, file, cache)
            status, baseline = run_tests(work, tests, 900, log)
            if status != "survived":
                print(log.read_text()[-3000:])
                raise SystemExit(f"{file}: the tests fail on the unmutated code ({status})")
            timeout = args.timeout_factor * baseline + 5
            print(f"== {file}: {len(mutants)} mutants, baseline {baseline:.1f} s, timeout {timeout:.0f} s", flush=True)
            try:
                for mutant in mutants:
                    (work / file).write_text(apply(original, mutant))
                    forget_compiled(work, file, cache)
                    mutant.status, mutant.seconds = run_tests(work, tests, timeout, log)
                    if mutant.status == "survived" and mutant.key() in EQUIVALENT:
                        mutant.status = "equivalent"
                    results.append(mutant)
                    if mutant.status != "killed":
                        print(f"  {mutant.status.upper():10s} {mutant.label()}", flush=True)
            finally:
                (work / file).write_text(original)
                forget_compiled(work, file, cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cpu1 = os.times()
    counts: dict[str, int] = {}
    for mutant in results:
        counts[mutant.status] = counts.get(mutant.status, 0) + 1
    cpu = (cpu1.children_user + cpu1.children_system + cpu1.user + cpu1.system
           - cpu0.children_user - cpu0.children_system - cpu0.user - cpu0.system)
    print(f"{len(results)} mutants: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; CPU {cpu / 60:.1f} min")
    for file in plan:
        mine = [m for m in results if m.file == file]
        mine_counts = {status: sum(m.status == status for m in mine) for status in sorted({m.status for m in mine})}
        print(f"  {file}: {len(mine)} mutants: " + ", ".join(f"{k} {v}" for k, v in mine_counts.items()))
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in results], indent=1))
    return 1 if any(m.status == "survived" for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
