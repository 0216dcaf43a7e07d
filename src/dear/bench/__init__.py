"""Benchmarks and experiment tables; every figure in the docs comes from one of these."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dear.specs import ALGORITHMS, PAPER_ALGORITHMS


def _names(text: str | None) -> tuple[str, ...]:
    """A comma-separated list of names (empty entries dropped)."""
    return tuple(name for name in (text or "").split(",") if name)


def _algorithms(text: str, default: tuple[str, ...]) -> tuple[str, ...]:
    from dear.specs import check_algorithm

    chosen = _names(text) or default
    for algorithm in chosen:
        check_algorithm(algorithm)
    return chosen


def _table_runs(args: argparse.Namespace) -> Path | None:
    """The table's runs of ``--profile`` with ``--source table``; None (the packaged models) otherwise."""
    return Path("runs/table") / args.profile if args.source == "table" else None


def run_benchmark(what: str, out: Path, args: argparse.Namespace) -> None:
    """Dispatch ``dear bench WHAT`` (see ``dear bench --help``)."""
    if what == "data":
        from dear.bench.data import run_data_benchmark

        run_data_benchmark(out, algorithms=_algorithms(args.algorithms, ALGORITHMS))
    elif what == "inference":
        from dear.bench.inference import DEFAULT_REPEATS, DEFAULT_SIZES, run_inference_benchmark

        run_inference_benchmark(out, _algorithms(args.algorithms, PAPER_ALGORITHMS), sizes=args.sizes or DEFAULT_SIZES,
                                warmup=args.warmup, repeats=args.repeats or DEFAULT_REPEATS, runs=_table_runs(args),
                                dear_column=args.dear_column)
    elif what == "tolerance":
        from dear.bench.tolerance import run_tolerance_benchmark

        run_tolerance_benchmark(out, _algorithms(args.algorithms, PAPER_ALGORITHMS), sizes=args.sizes or (64,),
                                runs=_table_runs(args), column=args.dear_column, patience=args.patience)
    elif what == "equilibrium":
        from dear.bench.equilibrium import run_equilibrium_benchmark

        verdict = run_equilibrium_benchmark(out, _algorithms(args.algorithms, PAPER_ALGORITHMS), source=args.source,
                                            size=(args.sizes or (64,))[0], tol=args.tol,
                                            runs=Path("runs/table") / args.profile,
                                            columns=_names(args.columns) or None, seeds=args.seeds)
        if verdict:
            print(json.dumps(verdict, indent=2))
    elif what == "curve":
        from dear.bench.curve import CURVE_ALGORITHMS, CURVE_MODELS, run_curve

        run_curve(out, profile=args.profile, algorithms=_algorithms(args.algorithms, CURVE_ALGORITHMS),
                  models=_names(args.models) or CURVE_MODELS, workers=args.workers)
    elif what == "solve":
        from dear.bench.solve_quality import DEFAULT_ALGORITHMS, run_solve_benchmark

        verdict = run_solve_benchmark(out, algorithms=_algorithms(args.algorithms, DEFAULT_ALGORITHMS),
                                      models=_names(args.models) or ("dear", "nar"))
        print(json.dumps(verdict, indent=2))
    elif what == "startup":
        from dear.bench.startup import DEFAULT_REPEATS, run_startup_benchmark

        print(json.dumps(run_startup_benchmark(out, repeats=args.repeats or DEFAULT_REPEATS), indent=2))
    elif what == "large-graph":
        from dear.bench.inference import large_graph_benchmark

        large_graph_benchmark(out, runs=_table_runs(args))
    elif what == "memory":
        from dear.bench.memory import deq_memory_benchmark

        deq_memory_benchmark(out)
    elif what == "ship":
        from dear.bench.ship import ship_pretrained

        algorithms = _algorithms(args.algorithms, PAPER_ALGORITHMS) if args.algorithms else None
        runs = Path(args.runs) if args.runs else Path("runs/table") / args.profile
        for target in ship_pretrained(runs, models=_names(args.columns) or ("nar", args.dear_column),
                                      algorithms=algorithms,
                                      names={args.dear_column: args.ship_as} if args.ship_as else None):
            print(f"shipped {target}")
    elif what == "report":
        from dear.bench.report import write_report
        from dear.bench.table import write_table

        write_table(Path(out), args.profile)  # the harness writes it only when a run ends
        # The repository's report is built from the repository's results; any other results
        # directory gets its report inside it, so a scratch run never overwrites docs/RESULTS.md.
        report = Path("docs/RESULTS.md") if Path(out).resolve() == Path("results").resolve() else Path(out) / "RESULTS.md"
        print(f"wrote {write_report(Path(out), report, profile=args.profile)}")
    else:
        from dear.bench.table import TABLE_MODELS, run_table

        run_table(out, profile=args.profile, seeds=args.seeds, algorithms=_algorithms(args.algorithms, PAPER_ALGORITHMS),
                  columns=_names(args.columns) or TABLE_MODELS, workers=args.workers)
