"""Result files that fill up over several runs: rows keyed by their case, JSON plus a CSV copy."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Callable, Hashable

Row = dict
CaseKey = Callable[[Row], Hashable]


def dear_column(row: Row) -> str:
    """The table column an inference row timed as DEAR (rows from before ``--dear-column`` timed ``dear``)."""
    return row.get("dear_column", "dear")


def merge_rows(path: Path, rows: list[Row], case: CaseKey) -> list[Row]:
    """Rows measured now, plus the rows of earlier runs for other cases (each keeps its own
    settings and machine load), so a table can be filled one algorithm at a time."""
    fresh = {case(r) for r in rows}
    kept = [r for r in json.loads(path.read_text())["rows"] if case(r) not in fresh] if path.exists() else []
    return sorted(kept + rows, key=case)


def write_rows(json_path: Path, meta: dict, rows: list[Row]) -> None:
    """``{"meta", "rows"}`` as JSON and the rows as CSV next to it (same stem), in a folder made
    if missing: a bench given a new ``--out`` must not lose its measurements at the last step."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    with open(json_path.with_suffix(".csv"), "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in r.items()} for r in rows)
