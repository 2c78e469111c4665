"""Reports as CSV: one line per row and one for the total, numbers as numbers, and every
text cell made inert for spreadsheets (no formula injection: a cell that a spreadsheet would
read as a formula is prefixed with an apostrophe)."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.services.reports.figures import Report

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
BOM = "\ufeff"  # Excel opens UTF-8 files as such only with it (accents in region names)


def inert(value: str) -> str:
    """A text cell no spreadsheet runs: `=HYPERLINK(…)` becomes `'=HYPERLINK(…)`."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def columns(report: Report) -> list[str]:
    """The CSV header: the key and labels, then every figure as a dotted path."""
    sample = report.total
    names = ["key", "label_fr", "label_en"]
    for name, value in sample.items():
        if name in ("key", "label", "suppressed", "suppressed_fields"):
            continue
        if isinstance(value, dict):
            names.extend(f"{name}.{part}" for part in value)
        else:
            names.append(name)
    if "suppressed" in sample:
        names.append("suppressed_fields")
    return names


def to_csv(report: Report) -> str:
    names = columns(report)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in [*report.rows, {**report.total, "key": "total"}]:
        writer.writerow([_cell(row, name) for name in names])
    return out.getvalue()


def _cell(row: dict[str, Any], name: str) -> Any:
    if name in ("label_fr", "label_en"):
        label = row.get("label") or {}
        value: Any = label.get(name[-2:], "")
    elif name == "suppressed_fields":
        value = ";".join(row.get("suppressed_fields", []))
    elif "." in name:
        head, part = name.split(".", 1)
        value = (row.get(head) or {}).get(part)
    else:
        value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return inert(value)
    return value
