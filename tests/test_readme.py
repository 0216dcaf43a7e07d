"""README.md's code blocks are tests, so the README cannot drift from the package.

* Every ```python block runs as written, in a fresh namespace, unless its first line is
  ``# doctest: skip`` (the convention for a block that trains or needs files a fresh checkout
  lacks; say why on the same line).
* Every line of a ```bash or ```sh block that starts with ``dear `` parses with the CLI's own
  parser and names real algorithms; none is run (they train or benchmark for minutes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_asserts import parse_dear_line

README = Path(__file__).parents[1] / "README.md"
SKIP = "# doctest: skip"


def _blocks(*languages: str) -> list[tuple[int, str]]:
    """``(first code line, code)`` of every fenced block in one of ``languages``."""
    text = README.read_text()
    fences = re.finditer(r"^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [(text.count("\n", 0, match.start(2)) + 1, match.group(2))
            for match in fences if match.group(1) in languages]


PYTHON = [pytest.param(line, code, id=f"README.md:{line}") for line, code in _blocks("python")]
COMMANDS = [pytest.param(text.strip(), id=f"README.md:{line + offset}")
            for line, code in _blocks("bash", "sh")
            for offset, text in enumerate(code.splitlines()) if text.startswith("dear ")]


def test_the_readme_has_blocks_of_both_kinds() -> None:
    """Guards the extraction: a changed fence syntax must not silently leave nothing to test."""
    assert len(PYTHON) >= 3 and len(COMMANDS) >= 4


@pytest.mark.parametrize(("line", "code"), PYTHON)
def test_python_block_runs(line: int, code: str) -> None:
    if code.startswith(SKIP):
        pytest.skip(code.splitlines()[0])
    padded = "\n" * (line - 1) + code  # tracebacks then name the README's own line numbers
    exec(compile(padded, str(README), "exec"), {"__name__": "__readme__"})  # noqa: S102 (running is the test)


@pytest.mark.parametrize("line", COMMANDS)
def test_dear_command_parses(line: str) -> None:
    parse_dear_line(line)
