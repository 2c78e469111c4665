"""A report for a period: the kept figures of closed days, plus the live history of the
days not closed yet, grouped by region, centre, month or decline reason."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlmodel import Session

from app.i18n import both
from app.models import Centre
from app.models.reports import BIN_COLUMNS, COUNTERS, report_day
from app.services.reports.rollup import (
    DECLINE_REASONS,
    TZ,
    Measured,
    bin_bounds,
    catch_up,
    measure,
)
from app.taxonomy import REGION_BY_CODE

By = Literal["region", "centre", "month", "reason"]
BY_VALUES: tuple[By, ...] = ("region", "centre", "month", "reason")
TIMEZONE = TZ.key


@dataclass(frozen=True)
class Period:
    """Local days `first`..`last`, both included."""

    first: date
    last: date


@dataclass
class Report:
    period: Period
    by: By
    rows: list[dict[str, Any]]
    total: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "by": self.by,
            "timezone": TIMEZONE,
            "rows": self.rows,
            "total": self.total,
        }


GroupKey = str | None
Cells = defaultdict[GroupKey, Counter[str]]


def build_report(session: Session, period: Period, by: By) -> Report:
    """The figures of `period` grouped `by`; the days closed meanwhile are rolled up first.

    Kept days are summed in the database; days not closed yet are measured from the history.
    Counters and answer-time bins travel together, by column name (`answers_07`)."""
    through = catch_up(session)
    keyed: Cells = defaultdict(Counter)
    total: Counter[str] = Counter()
    stored_last = min(period.last, through) if through else None
    if stored_last is not None and stored_last >= period.first:
        _stored(session, period.first, stored_last, by, keyed, total)
    live_first = max(period.first, through + timedelta(days=1)) if through else period.first
    if live_first <= period.last:
        _live(measure(session, live_first, period.last), by, keyed, total)
    return _assemble(session, period, by, keyed, total)


_DAY = report_day.c
_SUMMED = COUNTERS + BIN_COLUMNS
_KEY_COLUMN = {"region": "region_code", "centre": "centre_id", "month": "month"}


def _stored(
    session: Session, first: date, last: date, by: By, keyed: Cells, total: Counter[str]
) -> None:
    """Sums of the kept days: per key (region rows, or centre rows by centre), and in all."""
    in_period = (_DAY.day >= first, _DAY.day <= last)
    sums = [func.sum(_DAY[name]) for name in _SUMMED]
    regions = _DAY.centre_id.is_(None)
    name = _KEY_COLUMN.get(by)
    if name is None or by == "centre":  # the region rows hold the totals
        _add(total, session.execute(select(*sums).where(*in_period, regions)).one())
    if name is None:
        return
    rows_of = _DAY.centre_id.is_not(None) if by == "centre" else regions
    key = _DAY[name]
    query = select(key, *sums).where(*in_period, rows_of).group_by(key)
    for found in session.execute(query).all():
        _add(keyed[_norm(found[0])], found[1:])
        if by != "centre":  # region and month rows split the region rows: they add up
            _add(total, found[1:])


def _add(counter: Counter[str], values: Any) -> None:
    for name, value in zip(_SUMMED, values, strict=True):
        if value:
            counter[name] += int(value)


def _norm(value: Any) -> GroupKey:
    return None if value is None else str(value)


def _live_key(by: By) -> Callable[[date, str | None, uuid.UUID | None], GroupKey]:
    if by == "region":
        return lambda d, r, c: r
    if by == "centre":
        return lambda d, r, c: str(c) if c else None
    if by == "month":
        return lambda d, r, c: d.strftime("%Y-%m")
    return lambda d, r, c: None


def _live(measured: Measured, by: By, keyed: Cells, total: Counter[str]) -> None:
    key_of = _live_key(by)
    for (d, r, c), cell in measured.counts.items():
        keyed[key_of(d, r, c)].update(cell)
        total.update(cell)
    for (d, r, c, b), n in measured.answer_bins.items():
        keyed[key_of(d, r, c)][BIN_COLUMNS[b]] += n
        total[BIN_COLUMNS[b]] += n


def _assemble(
    session: Session, period: Period, by: By, cells: Cells, total_counts: Counter[str]
) -> Report:
    total = figures(total_counts)
    if by == "reason":
        reasons = [
            {
                "key": reason,
                "label": _reason_label(reason),
                "declined": total_counts["declined_" + reason],
            }
            for reason in DECLINE_REASONS
        ]
        return Report(period, by, reasons, {"key": None, "declined": total["declined"]})
    keyed: dict[str, Mapping[str, int]] = {k: Counter() for k in _every_key(session, period, by)}
    keyed.update({k: v for k, v in cells.items() if k is not None})
    # Requests no centre had are counted in the total; by centre they have no row.
    unknown = cells.get(None) if by != "centre" else None
    labels = _labels(session, by, list(keyed))
    rows: list[dict[str, Any]] = []
    for key in sorted(keyed):
        row = figures(keyed[key])
        if by == "centre":
            row["requests"] = row["unrouted"] = None  # a property of requests, not centres
        rows.append({"key": key, "label": labels.get(key) or _unknown(by), **row})
    if unknown:
        rows.append({"key": None, "label": _unknown(by), **figures(unknown)})
    if by == "centre":
        rows.sort(key=lambda r: str(r["label"].get("fr", "")).casefold())
    return Report(period, by, rows, {"key": None, **total})


def _every_key(session: Session, period: Period, by: By) -> list[str]:
    """The rows a report shows even when empty: every region, every month of the period,
    every active centre."""
    if by == "region":
        return sorted(REGION_BY_CODE)
    if by == "month":
        months, day = [], period.first.replace(day=1)
        while day <= period.last:
            months.append(day.strftime("%Y-%m"))
            day = (day + timedelta(days=32)).replace(day=1)
        return months
    centre = Centre.__table__.c  # type: ignore[attr-defined]
    return [str(i) for i in session.scalars(select(centre.id).where(centre.active))]


def figures(counts: Mapping[str, int]) -> dict[str, Any]:
    """One row of a report from its counters and its answer-time bins (`answers_07`)."""
    by_reason = {reason: counts.get("declined_" + reason, 0) for reason in DECLINE_REASONS}
    hist = {b: counts.get(name, 0) for b, name in enumerate(BIN_COLUMNS)}
    return {
        "requests": counts.get("requests", 0),
        "routed_at_once": counts.get("routed_at_once", 0),
        "received": counts.get("received", 0),
        "accepted": counts.get("accepted", 0),
        "declined": sum(by_reason.values()),
        "declined_by_reason": by_reason,
        "expired": counts.get("expired", 0),
        "cancelled": counts.get("cancelled", 0),
        "unrouted": counts.get("unrouted", 0),
        "centres_tried_before_acceptance": {
            "1": counts.get("accepted_at_1", 0),
            "2": counts.get("accepted_at_2", 0),
            "3_or_more": counts.get("accepted_at_3_or_more", 0),
        },
        "hours_to_first_answer": {
            "answers": sum(hist.values()),
            "median": quantile(hist, 0.5),
            "p90": quantile(hist, 0.9),
        },
    }


def quantile(hist: Mapping[int, int], q: float) -> float | None:
    """The q-quantile of binned answer times, interpolated linearly inside its bin (grouped
    data), in hours to two decimals; None without answers."""
    n = sum(hist.values())
    if n == 0:
        return None
    target = q * n
    seen = 0
    for b in sorted(hist):
        count = hist[b]
        if count and seen + count >= target:
            low, high = bin_bounds(b)
            return round(low + (high - low) * (target - seen) / count, 2)
        seen += count
    return round(bin_bounds(max(hist))[1], 2)


def _labels(session: Session, by: By, keys: list[str]) -> dict[str, dict[str, str]]:
    if by == "region":
        return {k: {"fr": t.fr, "en": t.en} for k in keys if (t := REGION_BY_CODE.get(k))}
    if by == "month":
        return {k: {"fr": k, "en": k} for k in keys}
    ids = [uuid.UUID(k) for k in keys]
    centre = Centre.__table__.c  # type: ignore[attr-defined]
    found = session.execute(
        select(centre.id, centre.ref, centre.name).where(centre.id.in_(ids))
    ).all()
    return {str(i): {"fr": name, "en": name, "ref": ref} for i, ref, name in found}


def _unknown(by: By) -> dict[str, str]:
    return _texts(f"reports.unknown.{by}")


def _reason_label(reason: str) -> dict[str, str]:
    return _texts(f"reports.reason.{reason}")


def _texts(key: str) -> dict[str, str]:
    return {lang: text for lang, text in both(key).items()}


EARLIEST = date(2000, 1, 1)
MAX_DAYS = 3700  # ten years and then some: a report's period


def period_of(first: date | None, last: date | None, *, today: date | None = None) -> Period:
    """The period asked for: `to` defaults to today (Québec time), `from` to January 1st of
    the year of `to`. Both are included; at most ten years; none before 2000."""
    from app.db import utcnow
    from app.errors import InvalidInput, field_error

    today = today or utcnow().astimezone(TZ).date()
    last = last or today
    first = first or date(last.year, 1, 1)
    if first > last:
        raise InvalidInput(
            "report_period_reversed",
            errors=[field_error(["query", "from"], "report_period_reversed")],
        )
    if first < EARLIEST or (last - first).days > MAX_DAYS or last > today + timedelta(days=366):
        raise InvalidInput(
            "report_period_range",
            errors=[field_error(["query", "from"], "report_period_range")],
        )
    return Period(first, last)
