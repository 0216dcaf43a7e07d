"""Failures a user can act on that are not bad input (bad input is a ``ValueError``).

The command line reports both as one line on stderr, without a traceback.
"""

from __future__ import annotations


class DearError(Exception):
    """Base of the package's own failures (a run diverging, ...)."""


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` on one line and cut to ``limit`` characters: error messages quote
    whatever a caller passed (an array's repr spans lines, a list's may be huge)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
