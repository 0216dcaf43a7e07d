"""Documented ``dear ...`` command lines must parse with the CLI's own parser and name real
algorithms, so a renamed flag or algorithm breaks a test rather than the docs."""

from __future__ import annotations

import argparse
import shlex

import pytest

from dear import ALGORITHMS
from dear.cli import build_parser


def parse_dear_line(line: str) -> argparse.Namespace:
    """``line`` as ``dear`` parses it (nothing runs): a shell ``# comment`` and a ``| ...`` tail
    are dropped; every algorithm it names (``ALGORITHM``, ``--algorithm``, ``--algorithms``)
    must exist."""
    argv = shlex.split(line, comments=True)
    if "|" in argv:
        argv = argv[: argv.index("|")]
    assert argv[:1] == ["dear"], f"not a dear command line: {line!r}"
    try:
        args = build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"{line!r} does not parse (see the usage message above)")
    named = [getattr(args, "algorithm", None), *getattr(args, "algorithms", "").split(",")]
    unknown = [name for name in named if name and name not in ALGORITHMS]
    assert not unknown, f"{line!r} names unknown algorithms {unknown}"
    return args
