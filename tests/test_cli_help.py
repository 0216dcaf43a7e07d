"""``dear --help`` and every subcommand's ``--help`` end with example command lines, and each
one parses with the CLI's parser."""

from __future__ import annotations

import argparse

import pytest

from dear.cli import build_parser
from tests.cli_asserts import parse_dear_line


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """Taken from the parser itself, so a new subcommand without examples fails here."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _help(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def _examples(help_text: str) -> list[str]:
    """The lines after the help's closing ``examples:`` heading."""
    _, heading, section = help_text.partition("\nexamples:\n")
    assert heading, f"no examples section in:\n{help_text}"
    return [line.strip() for line in section.splitlines() if line.strip()]


@pytest.mark.parametrize("command", [None, *_subcommands()])
def test_help_ends_with_examples_that_parse(command: str | None, capsys: pytest.CaptureFixture) -> None:
    examples = _examples(_help([command] if command else [], capsys))
    if command:
        assert 2 <= len(examples) <= 3
    else:  # the first example of each subcommand
        assert len(examples) == len(_subcommands())
    for line in examples:
        args = parse_dear_line(line)
        assert command is None or args.command == command, f"{line!r} is not a `dear {command}` example"


def test_a_closed_pipe_stops_quietly() -> None:
    """``dear algorithms | head -1``: when the reader has left, writing raises BrokenPipeError;
    the CLI stops with 141 and no traceback (simulated in a child whose stdout always raises)."""
    import subprocess
    import sys

    child = """
import sys
class Gone:
    def write(self, text): raise BrokenPipeError(32, "Broken pipe")
    def flush(self): pass
    def fileno(self): return 1
sys.stdout = Gone()
from dear.cli import main
sys.exit(main(["algorithms"]))
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert done.returncode == 141 and "Traceback" not in done.stderr, done.stderr
