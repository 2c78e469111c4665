"""Small-cell suppression and rounding, against crafted small cells."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from app.models.reports import BIN_COLUMNS
from app.services.reports import Period, Report, publishable
from app.services.reports.disclosure import rounded
from app.services.reports.figures import figures
from app.services.reports.rollup import answer_bin

PERIOD = Period(date(2026, 1, 1), date(2026, 12, 31))


def row(key: str, hours: list[float] | None = None, **counts: int) -> dict[str, Any]:
    cells = Counter(counts)
    cells.update(BIN_COLUMNS[answer_bin(h)] for h in hours or [])
    return {"key": key, "label": {"fr": key, "en": key}, **figures(cells)}


def report(*rows: dict[str, Any]) -> Report:
    total: Counter[str] = Counter()
    for r in rows:
        for name in ("requests", "routed_at_once", "received", "accepted", "expired",
                     "cancelled", "unrouted"):  # fmt: skip
            total[name] += r[name]
        for reason, n in r["declined_by_reason"].items():
            total["declined_" + reason] += n
    for r in rows:
        total[BIN_COLUMNS[answer_bin(1)]] += r["hours_to_first_answer"]["answers"]
    return Report(PERIOD, "region", list(rows), {"key": None, **figures(total)})


def test_counts_of_one_to_nine_are_withheld_zero_is_shown() -> None:
    out = publishable(report(row("04", requests=40), row("06", requests=3),
                             row("13", requests=0), row("16", requests=52)))  # fmt: skip
    by_key = {r["key"]: r for r in out.rows}
    assert by_key["06"]["requests"] is None and by_key["06"]["suppressed"] is True
    assert "requests" in by_key["06"]["suppressed_fields"]
    assert by_key["13"]["requests"] == 0 and "requests" not in by_key["13"]["suppressed_fields"]
    # The total (95) would give 06 back from 40 and 52: the smallest other cell goes too.
    assert by_key["04"]["requests"] is None and "requests" in by_key["04"]["suppressed_fields"]
    assert by_key["16"]["requests"] == 50 and out.total["requests"] == 95


def test_total_is_withheld_when_nothing_else_can_hide_the_cell() -> None:
    out = publishable(report(row("04", requests=7), row("06", requests=0)))
    assert out.rows[0]["requests"] is None and out.total["requests"] is None
    assert "requests" in out.total["suppressed_fields"]


def test_two_withheld_cells_need_no_third() -> None:
    out = publishable(report(row("04", requests=4), row("06", requests=6), row("13", requests=30)))
    assert [r["requests"] for r in out.rows] == [None, None, 30]
    assert out.total["requests"] == 40


def test_one_withheld_reason_takes_a_second_with_it() -> None:
    cells = row("04", requests=100, declined_no_capacity=3, declined_other=25,
                declined_duplicate=12)  # fmt: skip
    big = row("06", requests=100, declined_no_capacity=30, declined_other=30,
              declined_duplicate=30)  # fmt: skip
    out = publishable(report(cells, big))
    reasons = out.rows[0]["declined_by_reason"]
    # no_capacity (3) is small; declined (40) would give it back: duplicate (12) goes too.
    assert reasons["no_capacity"] is None and reasons["duplicate"] is None
    assert reasons["other"] == 25 and out.rows[0]["declined"] == 40
    # And each column still hides what it must: 06's no_capacity and duplicate go as well.
    assert out.rows[1]["declined_by_reason"]["no_capacity"] is None
    assert out.total["declined_by_reason"]["no_capacity"] == 35


def test_no_withheld_count_can_be_recovered_by_subtraction() -> None:
    """For every column and every row's parts: never exactly one withheld cell beside a
    published total."""
    rows = [row(f"{i:02d}", requests=n, accepted=m, declined_other=d, declined_duplicate=e)
            for i, (n, m, d, e) in enumerate([(12, 3, 9, 14), (0, 0, 0, 0), (250, 120, 1, 30),
                                               (8, 8, 0, 2), (33, 11, 2, 0)], start=1)]  # fmt: skip
    out = publishable(report(*rows))
    for name in ("requests", "accepted", "declined"):
        hidden = [r for r in out.rows if r[name] is None]
        assert len(hidden) != 1 or out.total[name] is None
    for r in [*out.rows, out.total]:
        reasons = r["declined_by_reason"]
        hidden_parts = [k for k, v in reasons.items() if v is None]
        assert len(hidden_parts) != 1 or r["declined"] is None
        for value in [r["requests"], r["accepted"], *reasons.values()]:
            assert value is None or value % 5 == 0


def test_medians_only_from_twenty_answers() -> None:
    few = row("04", hours=[1.0] * 19, requests=100)
    enough = row("06", hours=[2.0] * 20, requests=100)
    out = publishable(report(few, enough))
    assert out.rows[0]["hours_to_first_answer"]["median"] is None
    assert "hours_to_first_answer.median" in out.rows[0]["suppressed_fields"]
    assert out.rows[1]["hours_to_first_answer"]["median"] == 2.25  # half-way into [2, 2.5)
    assert out.rows[1]["hours_to_first_answer"]["answers"] == 20


def test_rounding_to_five() -> None:
    assert [rounded(n) for n in (0, 10, 12, 13, 17, 18, 102)] == [0, 10, 10, 15, 15, 20, 100]
