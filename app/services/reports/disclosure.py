"""Figures safe to publish: small-cell suppression and rounding (the method in the README).

1. Every count from 1 to 9 is withheld (primary suppression). Zero is shown.
2. Where a published total would give a withheld count back (the only withheld cell of a
   column whose total is shown, or the only withheld part of a row's whole, such as one
   decline reason of a row's declines), a second cell is withheld: the smallest non-zero
   one left, or the total itself when there is none (complementary suppression), until no
   withheld count can be recovered by subtraction.
3. Published counts are rounded to the nearest multiple of 5.
4. Medians and 90th percentiles are shown only when computed from 20 answers or more.

A withheld figure is `null`, its row says `"suppressed": true` and lists it in
`suppressed_fields` (dotted paths such as `declined_by_reason.no_capacity`)."""

from __future__ import annotations

import copy
from typing import Any

from app.services.reports.figures import Report

SMALL = range(1, 10)
ROUND_TO = 5
MIN_FOR_MEDIAN = 20
# Parts whose sum is another figure of the same row.
WHOLES = {
    "declined": ("declined_by_reason",),
    "accepted": ("centres_tried_before_acceptance",),
}
Cells = dict[str, int | None]


def publishable(report: Report) -> Report:
    """A copy of `report` with small cells withheld and counts rounded."""
    rows = [_flatten(r) for r in report.rows]
    total = _flatten(report.total)
    withheld = [{p for p, v in cells.items() if v in SMALL} for cells in rows]
    total_withheld = {p for p, v in total.items() if v in SMALL}
    _complete(rows, withheld, total, total_withheld)
    out = copy.deepcopy(report)
    out.rows = [
        _publish(row, cells, w) for row, cells, w in zip(out.rows, rows, withheld, strict=True)
    ]
    out.total = _publish(out.total, total, total_withheld)
    return out


def _flatten(row: dict[str, Any]) -> Cells:
    cells: Cells = {}
    for name, value in row.items():
        if name in ("key", "label"):
            continue
        if isinstance(value, dict):
            for part, v in value.items():
                if part not in ("median", "p90"):
                    cells[f"{name}.{part}"] = v
        elif isinstance(value, int) or value is None:
            cells[name] = value
    return cells


def _complete(
    rows: list[Cells], withheld: list[set[str]], total: Cells, total_withheld: set[str]
) -> None:
    """Complementary suppression, repeated until no withheld cell stands alone."""
    changed = True
    while changed:
        changed = False
        for cells, w in [*zip(rows, withheld, strict=True), (total, total_withheld)]:
            changed |= _rows_wholes(cells, w)
        for path in total:
            changed |= _column(path, rows, withheld, total, total_withheld)


def _rows_wholes(cells: Cells, withheld: set[str]) -> bool:
    changed = False
    for whole, (group,) in WHOLES.items():
        parts = [p for p in cells if p.startswith(group + ".")]
        alone = [p for p in parts if p in withheld]
        if len(alone) == 1 and whole not in withheld and cells.get(whole) is not None:
            withheld.add(_smallest(cells, [p for p in parts if p not in withheld]) or whole)
            changed = True
    return changed


def _column(
    path: str, rows: list[Cells], withheld: list[set[str]], total: Cells, total_withheld: set[str]
) -> bool:
    present = [i for i, cells in enumerate(rows) if cells.get(path) is not None]
    alone = [i for i in present if path in withheld[i]]
    if len(alone) != 1 or path in total_withheld or total.get(path) is None:
        return False
    others = [i for i in present if path not in withheld[i] and (rows[i][path] or 0) > 0]
    if others:
        pick = min(others, key=lambda i: rows[i][path] or 0)
        withheld[pick].add(path)
    else:
        total_withheld.add(path)
    return True


def _smallest(cells: Cells, paths: list[str]) -> str | None:
    candidates = [p for p in paths if (cells.get(p) or 0) > 0]
    return min(candidates, key=lambda p: cells[p] or 0) if candidates else None


def _publish(row: dict[str, Any], cells: Cells, withheld: set[str]) -> dict[str, Any]:
    out = dict(row)
    hidden = set(withheld)
    for path, value in cells.items():
        shown = None if path in withheld or value is None else rounded(value)
        if "." in path:
            name, part = path.split(".", 1)
            out[name] = {**out[name], part: shown}
        else:
            out[path] = shown
    hours = out.get("hours_to_first_answer")
    if isinstance(hours, dict):
        answers = cells.get("hours_to_first_answer.answers") or 0
        if answers < MIN_FOR_MEDIAN:
            for part in ("median", "p90"):
                if hours.get(part) is not None:
                    hidden.add(f"hours_to_first_answer.{part}")
            out["hours_to_first_answer"] = {
                **out["hours_to_first_answer"],
                "median": None,
                "p90": None,
            }
    out["suppressed"] = bool(hidden)
    out["suppressed_fields"] = sorted(hidden)
    return out


def rounded(value: int) -> int:
    """To the nearest multiple of 5 (halves cannot occur for integers)."""
    return ROUND_TO * round(value / ROUND_TO)
