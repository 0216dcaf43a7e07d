"""Command line: ``dear {algorithms,train,evaluate,solve,bench,demo}`` (also ``python -m dear``)."""

from __future__ import annotations

import argparse
import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # the CLI imports the library lazily, to start fast
    from dear.config import TrainConfig

from dear.errors import DearError

#: Example command lines ending each subcommand's ``--help`` (the first of each also ends
#: ``dear --help``); tests/test_cli_help.py parses every one with ``build_parser``.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "algorithms": (
        "dear algorithms",
        "dear algorithms | grep yes   # the paper's ten",
    ),
    "train": (
        "dear train bellman_ford --model nar --profile cpu --out runs/bf-nar",
        "dear train bellman_ford --model dear --solver anderson --tol 1e-2 --init inputs --out runs/bf-dear",
        "dear train bfs --profile smoke --out runs/bfs-smoke   # seconds: checks the setup",
    ),
    "evaluate": (
        "dear evaluate runs/bf-dear --sizes 16,64 --samples 100",
        "dear evaluate runs/bf-dear --tol 1e-2 --patience 8 --out runs/bf-dear-tol0.01",
    ),
    "solve": (
        "dear solve bfs graph.edgelist --source 0",
        "dear solve bellman_ford roads.graphml --source Paris --model nar --check --plot answer.png",
        "dear solve insertion_sort keys.json   # keys.json: {\"key\": [0.3, 0.1, 0.2]}",
    ),
    "bench": (
        "dear bench data --algorithms bfs,insertion_sort --out /tmp/bench   # not the repository's results/",
        "dear bench equilibrium   # do the shipped DEARs reach their fixed point?",
        "dear bench tolerance --algorithms bfs,mst_prim --patience 8",
    ),
    "demo": (
        "dear demo",
        "dear demo --algorithm bellman_ford --out runs/demo-bf",
        "dear demo --train --out runs/demo-trained   # trains a small NAR and DEAR here (minutes)",
    ),
}


def _epilog(lines: tuple[str, ...]) -> str:
    return "examples:\n" + "".join(f"  {line}\n" for line in lines)


def _integers(what: str, least: int):
    """An argparse type: comma-separated integers, each at least ``least``."""

    def parse(text: str) -> tuple[int, ...]:
        try:
            values = tuple(int(part) for part in text.split(",") if part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be comma-separated integers, got {text!r}") from None
        if not values or min(values) < least:
            raise argparse.ArgumentTypeError(f"{what} must be integers >= {least}, got {text!r}")
        return values

    return parse


_sizes = _integers("sizes", 2)
_steps = _integers("steps", 1)


def _numbers(text: str) -> tuple[float, ...]:
    """An argparse type: comma-separated numbers."""
    try:
        values = tuple(float(part) for part in text.split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
    return values


def cmd_algorithms(args: argparse.Namespace) -> int:
    from dear.specs import ALGORITHMS, PAPER_ALGORITHMS, SPECS

    print(f"{'algorithm':38} {'paper':5} {'inputs':22} {'outputs':14} hints")
    for name in ALGORITHMS:
        by_stage: dict[str, list[str]] = {"input": [], "hint": [], "output": []}
        for probe, (stage, _, _) in SPECS[name].items():
            by_stage[stage].append(probe)
        print(f"{name:38} {'yes' if name in PAPER_ALGORITHMS else '':5} {','.join(by_stage['input']):22} "
              f"{','.join(by_stage['output']):14} {len(by_stage['hint'])}")
    print("\ndefault sizes: train 8-16 nodes, validation 16, test 64 (cpu profile: 16 and 64)")
    return 0


def train_flags() -> dict[str, tuple[Callable[[str], Any], str]]:
    """``dear train``'s option flags, from the config's fields (:func:`dear.config.flags`): lists
    of integers and of numbers are read comma-separated."""
    from dear.config import flags

    parsers = {tuple: _steps, list: _numbers}
    return {name: (parsers.get(kind, kind), help_text) for name, (kind, help_text) in flags().items()}


def _set_threads(threads: int) -> None:
    """Small-graph steps gain little from intra-op threads and lose a lot when the cores are
    shared (OpenMP wake-ups); one thread per process is the default, ``--threads`` overrides."""
    import torch

    if threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The run ``dear train``'s arguments ask for: the profile's values, then the flags given."""
    from dear.config import SWITCHES, make_config

    overrides = {name: getattr(args, name) for name in train_flags()}
    overrides.update({name: getattr(args, name) or None for name in SWITCHES})
    overrides.update(model=args.model, processor=args.processor, seed=args.seed)
    return make_config(args.algorithm, args.profile, **overrides)


def cmd_train(args: argparse.Namespace) -> int:
    from dear.train import train

    summary = train(train_config(args), Path(args.out), resume=args.resume, progress=not args.quiet)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 speaks for the run
        print(json.dumps(summary))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from dear.run import EVAL_SETTINGS, evaluate_run

    result, written = evaluate_run(Path(args.run_dir), sizes=args.sizes, samples=args.samples, seed=args.seed,
                                   out=Path(args.out) if args.out else None, eval_tol=args.tol,
                                   eval_max_iter=args.max_iter, eval_patience=args.patience)
    print(f"{'size':>6} {'score':>8}  diagnostics")
    for size, entry in result.items():
        extra = ", ".join(f"{k}={v:.3g}" for k, v in entry.items()
                          if k not in ("score", "probes", "samples", *EVAL_SETTINGS))
        print(f"{size:>6} {entry['score']:8.3f}  {extra}")
    for size, entry in result.items():
        if entry.get("converged_fraction", 1.0) < 1.0:
            print(f"warning: at n={size}, {1 - entry['converged_fraction']:.0%} of graphs did not reach tol "
                  f"{entry['eval_tol']:g} within {entry['eval_max_iter']} iterations (largest residual "
                  f"{entry['residual_max']:.3g}): their answers are the last iterate, not a fixed point", file=sys.stderr)
    print(f"wrote {written}" if written else "not written: shipped model folders are read-only; pass --out DIR to keep "
          "the scores", file=sys.stderr)
    return 0


class _DeferredModule(types.ModuleType):
    """Stands in for a module in ``sys.modules``: the first lookup of an attribute it lacks
    imports the real module (which then replaces it) and answers from there."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


# Modules a model's answer never uses that `dear solve`'s imports would load anyway: torch_geometric
# imports torch._dynamo (about 1 s, as long as torch itself) only to recognise torch.compile'd
# modules, its datasets (0.2 s, with their LLM helpers) and transforms (0.15 s) on `import
# torch_geometric`, and numba (0.27 s) for its ppr utility. A repair or --check that runs a numba
# kernel imports numba then.
_UNUSED_BY_SOLVE = ("torch._dynamo", "torch_geometric.datasets", "torch_geometric.transforms", "numba")


def _defer_unused_modules() -> None:
    """Put a stand-in for each module of :data:`_UNUSED_BY_SOLVE` not yet imported in
    ``sys.modules``: the import waits for a first use, which then gets the real module. Each is
    found without importing its parent package."""
    for name in _UNUSED_BY_SOLVE:
        if name in sys.modules:
            continue
        parent = name.rpartition(".")[0]
        where = importlib.util.find_spec(parent) if parent else None
        spec = importlib.machinery.PathFinder.find_spec(name, where and where.submodule_search_locations)
        if spec is None:  # another version of the library, without it: nothing to defer
            continue
        stand_in = _DeferredModule(spec.name)
        stand_in.__file__ = spec.origin  # inspect.getmodule reads every module's __file__
        sys.modules[spec.name] = stand_in


def cmd_solve(args: argparse.Namespace) -> int:
    _defer_unused_modules()
    from dear.solve.io import solve_file

    print(json.dumps(solve_file(args.algorithm, Path(args.graph_file), source=args.source, model=args.model,
                                check=args.check, tol=args.tol, repair=not args.no_repair,
                                plot=Path(args.plot) if args.plot else None), indent=2))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from dear.bench import run_benchmark

    run_benchmark(args.what, Path(args.out), args)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from dear.demo import run_demo

    run_demo(Path(args.out), algorithm=args.algorithm, quick=args.quick, train_models=args.train)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from dear.config import MODELS, PROFILES
    from dear.specs import ALGORITHMS

    parser = argparse.ArgumentParser(
        prog="dear", description="Deep Equilibrium Algorithmic Reasoning: CLRS-30 data, NAR baselines and DEAR.",
        epilog=_epilog(tuple(lines[0] for lines in EXAMPLES.values())),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("DEAR_THREADS", "1")),
                        help="torch intra-op threads per process (default 1, or $DEAR_THREADS)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, epilog=_epilog(EXAMPLES[name]),
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("algorithms", "table of algorithms, probes and default sizes")
    p.set_defaults(run=cmd_algorithms)

    p = command("train", "train a reasoner into a run directory")
    p.add_argument("algorithm", metavar="ALGORITHM", help="one of: " + ", ".join(ALGORITHMS))
    p.add_argument("--model", choices=MODELS, default="nar")
    p.add_argument("--processor", choices=("mpnn", "triplet"), default="mpnn")
    p.add_argument("--profile", choices=PROFILES, default="cpu", help="smoke (seconds), cpu (2 CPU cores: minutes), official (HekpoMaH/DEAR's protocol: GPU hours)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="run directory (must be new unless --resume)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--granola", action="store_true", help="dear: GRANOLA graph-adaptive normalisation")
    p.add_argument("--cgp", action="store_true", help="dear: Cayley Graph Propagation (second pass on a Cayley graph)")
    p.add_argument("--spectral-norm", action="store_true",
                   help="dear: spectral normalisation of the processor's linear maps (a contractive parameterisation)")
    for name, (kind, help_text) in train_flags().items():
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None, help=help_text)
    p.set_defaults(run=cmd_train)

    p = command("evaluate", "CLRS score of a run (or shipped model) at several sizes")
    p.add_argument("run_dir", help="a run directory (or a shipped model's folder)")
    p.add_argument("--sizes", type=_sizes, default=(16, 64), help="comma-separated test sizes in nodes (default 16,64)")
    p.add_argument("--samples", type=int, default=100, help="test graphs per size (default 100)")
    p.add_argument("--seed", type=int, default=3, help="seed of the test graphs (default 3, the table's)")
    p.add_argument("--tol", type=float, default=None, help="dear/dem: solver tolerance (default: the run's eval_tol)")
    p.add_argument("--max-iter", type=int, default=None, help="dear/dem: solver iteration cap (default: the run's)")
    p.add_argument("--patience", type=int, default=None,
                   help="dear: stop a graph after K iterations without a new lowest residual, reported as "
                        "stalled (default: the run's eval_patience, 0 = off)")
    p.add_argument("--out", default=None, help="folder for eval.json (default: the run directory; a shipped "
                                                "model's folder is never written)")
    p.set_defaults(run=cmd_evaluate)

    p = command("solve", "run a pretrained reasoner on your graph (edge list, GraphML, JSON); JSON by node")
    p.add_argument("algorithm", metavar="ALGORITHM")
    p.add_argument("graph_file")
    p.add_argument("--source", default=None, metavar="NAME",
                   help="the source node, by name (an integer-looking name also matches the node of that id); "
                        "binary search: the target (default: the first node)")
    p.add_argument("--model", default=None, help="a shipped model (dear, nar, dear-train32, ...) or a run directory "
                                                  "(default: the DEAR trained on the largest graphs that ships for the "
                                                  "algorithm, dear-train128, -64 or -32, else dear)")
    p.add_argument("--check", action="store_true", help="also run the exact algorithm and report agreement, and "
                                                         "the tie-aware share of correct pointers and weight vs optimum")
    p.add_argument("--tol", type=float, default=None, help="dear: solver tolerance (default: the model's, 1e-3)")
    p.add_argument("--no-repair", action="store_true", help="return the model's own pointers even when they are no "
                                                            "tree/forest (flagged valid: false) instead of the best "
                                                            "valid answer its scores give")
    p.add_argument("--plot", default=None, metavar="PNG", help="also draw the graph with the answer highlighted "
                                                                "(tree edges, marked nodes, the source) to this PNG")
    p.set_defaults(run=cmd_solve)

    p = command("bench", "benchmarks writing JSON/CSV and plots under results/")
    p.add_argument("what", choices=("data", "inference", "tolerance", "equilibrium", "table", "curve", "large-graph",
                                    "memory", "solve", "startup", "report", "ship"),
                   help="data: samples/s vs CLRS; inference: NAR vs DEAR time; tolerance: DEAR's score and "
                        "iterations vs solver tolerance, beside NAR's; equilibrium: converged share and score of "
                        "DEARs at a strict tolerance (--source shipped: the check; table: every DEAR cell); "
                        "table: the accuracy grid; curve: score vs training steps of nar and dear (or any table column) (1,500 / 6,000 / "
                        "31,300; resumable); "
                        "large-graph: a 10^4-node sparse graph; memory: DEAR training memory vs solver iterations; "
                        "solve: dear.solve's answers on real-world and random graphs, checked (validity, tie-aware "
                        "correctness, weight against the optimum); "
                        "startup: `dear solve` on a 4-node graph against `import torch`, fresh interpreters; "
                        "report: rebuild docs/RESULTS.md and the aggregate table from results/; "
                        "ship: copy the table's seed-0 nar and DEAR-column runs into the package as pretrained models")
    p.add_argument("--out", default="results")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--seeds", type=int, default=3,
                   help="table, curve: seeds 0..N-1 to train; equilibrium --source table: the cells of those seeds")
    p.add_argument("--algorithms", default="", help="comma-separated subset (default: all)")
    p.add_argument("--columns", default=None,
                   help="table: columns (default nar,nar-lt,dear; extras dear-cgp, dear-align (to the nar cell), "
                        "dear-jac<w> (Jacobian weight w, default 0.1: dear-jac, dear-jac1, dear-jac0.3), dem, triplet, "
                        "and the recipes of dear.bench.table.EXTRA_MODELS); equilibrium --source table: the DEAR "
                        "columns to re-solve (default all); ship: the columns to ship (default nar and --dear-column), "
                        "each under its own name but --dear-column, which --ship-as may rename")
    p.add_argument("--models", default=None,
                   help="solve: the models asked, shipped names or run directories (default dear,nar), e.g. "
                        "dear,runs/curve/cpu/bellman_ford/dear; curve: the table columns to train (default nar,dear; e.g. "
                        "dear-warm-tol0.01-start1)")
    p.add_argument("--workers", type=int, default=2, help="table, curve: runs trained at once (one thread each)")
    p.add_argument("--sizes", type=_sizes, default=None,
                   help="inference: graph sizes (default 16,64,256,1024); tolerance: test sizes (default 64)")
    p.add_argument("--warmup", type=int, default=2, help="inference: untimed calls before timing")
    p.add_argument("--repeats", type=int, default=None,
                   help="inference: timed calls (median and IQR reported; default 5); startup: timed pairs "
                        "(default 10)")
    p.add_argument("--dear-column", default="dear",
                   help="inference, tolerance (with --source table), ship: the table column standing for DEAR "
                        "(e.g. dear-warm-tol0.01-jac0.1)")
    p.add_argument("--runs", default=None,
                   help="ship: the runs to ship from (default runs/table/<profile>, the table's seed-0 cells; "
                        "runs/curve/<profile>: the learning curve's long runs, each evaluated first with "
                        "dear evaluate RUN --sizes 64,128)")
    p.add_argument("--ship-as", default="", help="ship: the name the DEAR column ships under (default: the column's)")
    p.add_argument("--source", choices=("shipped", "table"), default="shipped",
                   help="equilibrium, inference, tolerance, large-graph: the packaged models (default) or the "
                        "table's seed-0 runs of --profile (--dear-column for DEAR; a missing cell is an error)")
    p.add_argument("--tol", type=float, default=1e-2, help="equilibrium: the relative tolerance checked (default 1e-2)")
    p.add_argument("--patience", type=int, default=0,
                   help="tolerance: also stop graphs after K iterations with no new lowest residual (0: off)")
    p.set_defaults(run=cmd_bench)

    p = command("demo", "end to end: data, NAR and DEAR (shipped, or --train), compare, solve")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--algorithm", default="mst_prim", help="any algorithm of `dear algorithms` (default mst_prim: its T grows with n)")
    p.add_argument("--train", action="store_true", help="train a small NAR and DEAR here (minutes) instead of "
                                                        "using the shipped models")
    p.add_argument("--quick", action="store_true", help="train a tiny pair (seconds, for tests)")
    p.set_defaults(run=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command != "algorithms":
            _set_threads(args.threads)
        return args.run(args)
    except (ValueError, DearError) as error:  # bad input (exit 2) or a failed run (exit 1): one line
        print(f"dear {args.command}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, ValueError) else 1
    except KeyboardInterrupt:
        print(f"dear {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`dear algorithms | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141


if __name__ == "__main__":
    sys.exit(main())
