"""The figures of each local day, measured from the history rows.

A day's figures are the events of that day: requests that arrived, referrals sent, answers,
expiries, requests that went to the staff queue. Once a day is over (plus a grace period for
transactions still committing), its figures never change: they are written to `report_day`
, and the reports read them from there. The retention purge and an
erasure anonymise the requests; what was counted stays counted."""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, select
from sqlmodel import Session, col

from app.db import utcnow
from app.models import Consultation, Referral, ReferralEvent
from app.models.reports import ANSWER_BINS, BIN_COLUMNS, COUNTERS, ReportRollup, report_day
from app.models.states import ANSWERED_REFERRAL, ReferralState

TZ = ZoneInfo("America/Toronto")  # Québec's local time: days start at local midnight
GRACE = timedelta(minutes=15)  # a day is closed this long after its local midnight
SAME_MOVE = timedelta(seconds=60)  # a referral made this soon after is the same move
DECLINE_REASONS = (
    "no_capacity", "out_of_area", "not_eligible", "unreachable", "duplicate", "other",
)  # fmt: skip
ANSWER = (ReferralState.ACCEPTED, ReferralState.DECLINED)
ENDED = ANSWERED_REFERRAL
CHUNK_DAYS = 31

Key = tuple[date, str | None, uuid.UUID | None]  # day, region, centre


@dataclass
class Measured:
    """Counters per (day, region, centre), and answer times per (day, region, centre, bin)."""

    counts: defaultdict[Key, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    answer_bins: Counter[tuple[date, str | None, uuid.UUID | None, int]] = field(
        default_factory=Counter
    )


def local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def day_start(day: date) -> datetime:
    """The UTC instant of a local day's midnight."""
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def last_closed_day(now: datetime) -> date:
    return local_day(now - GRACE) - timedelta(days=1)


# Edges of the answer-time bins, in hours: quarter hours to 2 h, half hours to 6 h, hours to
# 12 h, two hours to a day, half days to two days, then two days to a week and beyond a week
# (given a second week's width for the estimate).
BIN_EDGES: tuple[float, ...] = (
    0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6,
    7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 22, 24, 36, 48, 168, 336,
)  # fmt: skip
assert len(BIN_EDGES) == ANSWER_BINS + 1  # nosec B101  # one more edge than bins


def answer_bin(hours: float) -> int:
    """The time bin of an answer `hours` after its referral was sent."""
    return min(bisect_right(BIN_EDGES, max(hours, 0.0)) - 1, ANSWER_BINS - 1)


def bin_bounds(b: int) -> tuple[float, float]:
    """Lower and upper edge of a bin, in hours."""
    return BIN_EDGES[b], BIN_EDGES[b + 1]


def measure(session: Session, first: date, last: date) -> Measured:
    """The figures of the local days `first`..`last`, read from the history rows."""
    start, end = day_start(first), day_start(last + timedelta(days=1))
    out = Measured()
    _requests(session, start, end, out)
    _referrals_sent(session, start, end, out)
    _endings(session, start, end, out)
    return out


_CONSULTATION = Consultation.__table__  # type: ignore[attr-defined]
_REFERRAL = Referral.__table__  # type: ignore[attr-defined]
_EVENT = ReferralEvent.__table__  # type: ignore[attr-defined]


def _requests(session: Session, start: datetime, end: datetime, out: Measured) -> None:
    c, first = _CONSULTATION.c, _REFERRAL.alias("first_referral")
    rows = session.execute(
        select(c.created_at, c.region_code, first.c.created_at)
        .select_from(_CONSULTATION)
        .outerjoin(first, and_(first.c.consultation_id == c.id, first.c.attempt == 1))
        .where(c.created_at >= start, c.created_at < end)
    ).all()
    for created_at, region, first_sent in rows:
        cell = out.counts[(local_day(created_at), region, None)]
        cell["requests"] += 1
        if first_sent is None or first_sent - created_at > SAME_MOVE:
            cell["unrouted"] += 1  # no centre could take it: straight to the staff queue


def _referrals_sent(session: Session, start: datetime, end: datetime, out: Measured) -> None:
    r, c = _REFERRAL.c, _CONSULTATION.c
    rows = session.execute(
        select(r.created_at, r.attempt, r.centre_id, c.created_at, c.region_code)
        .select_from(_REFERRAL.join(_CONSULTATION, c.id == r.consultation_id))
        .where(r.created_at >= start, r.created_at < end)
    ).all()
    for sent_at, attempt, centre_id, asked_at, region in rows:
        cell = out.counts[(local_day(sent_at), region, centre_id)]
        cell["received"] += 1
        if attempt == 1 and sent_at - asked_at <= SAME_MOVE:
            cell["routed_at_once"] += 1


def _endings(session: Session, start: datetime, end: datetime, out: Measured) -> None:
    e, r, c = _EVENT.c, _REFERRAL.c, _CONSULTATION.c
    following = _REFERRAL.alias("following")
    joined = (
        _EVENT.join(_REFERRAL, r.id == e.referral_id)
        .join(_CONSULTATION, c.id == r.consultation_id)
        .outerjoin(
            following,
            and_(
                following.c.consultation_id == r.consultation_id,
                following.c.attempt == r.attempt + 1,
            ),
        )
    )
    rows = session.execute(
        select(
            e.at,
            e.to_state,
            e.reason,
            r.created_at,
            r.attempt,
            r.centre_id,
            c.region_code,
            following.c.created_at,
        )
        .select_from(joined)
        .where(e.at >= start, e.at < end, e.to_state.in_(ENDED))
    ).all()
    for at, state, reason, sent_at, attempt, centre_id, region, next_sent in rows:
        _ending(out, local_day(at), region, centre_id, state, reason, attempt)
        if state in ANSWER:
            hours = (at - sent_at).total_seconds() / 3600
            out.answer_bins[(local_day(at), region, centre_id, answer_bin(hours))] += 1
        moved_on = next_sent is not None and timedelta(0) <= next_sent - at <= SAME_MOVE
        if state in (ReferralState.DECLINED, ReferralState.EXPIRED) and not moved_on:
            out.counts[(local_day(at), region, None)]["unrouted"] += 1  # no centre left


def _ending(
    out: Measured,
    day: date,
    region: str | None,
    centre_id: uuid.UUID,
    state: str,
    reason: str | None,
    attempt: int,
) -> None:
    cell = out.counts[(day, region, centre_id)]
    if state == ReferralState.ACCEPTED:
        cell["accepted"] += 1
        cell[
            "accepted_at_1"
            if attempt == 1
            else "accepted_at_2"
            if attempt == 2
            else "accepted_at_3_or_more"
        ] += 1
    elif state == ReferralState.DECLINED:
        cell["declined_" + (reason if reason in DECLINE_REASONS else "other")] += 1
    else:
        cell[state] += 1


def catch_up(session: Session, *, now: datetime | None = None) -> date | None:
    """Roll up every closed day not rolled up yet; return the last day rolled up.

    Cheap when up to date (one read). The bookkeeping row is locked while rolling up, so two
    replicas never write the same days; the caller's transaction keeps both or neither."""
    # Never ahead of the clock: a day rolled up before it is over would miss its last events.
    real_now = utcnow()
    through_day = last_closed_day(min(now, real_now) if now else real_now)
    state = session.get(ReportRollup, 1)
    if state is not None and state.through is not None and state.through >= through_day:
        return state.through
    state = _locked_state(session)
    start = state.through + timedelta(days=1) if state.through else _first_day(session)
    if start is None or start > through_day:
        state.through = through_day
        session.add(state)
        session.flush()
        return state.through
    while start <= through_day:
        stop = min(start + timedelta(days=CHUNK_DAYS - 1), through_day)
        _store(session, start, stop, measure(session, start, stop))
        start = stop + timedelta(days=1)
    state.through = through_day
    session.add(state)
    session.flush()
    return through_day


def _locked_state(session: Session) -> ReportRollup:
    query = select(ReportRollup).where(col(ReportRollup.id) == 1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    state = session.scalars(query).first()
    if state is None:
        state = ReportRollup(id=1, through=None)
        session.add(state)
        session.flush()
    return state


def _first_day(session: Session) -> date | None:
    created_at = _CONSULTATION.c.created_at
    first = session.scalar(select(created_at).order_by(created_at).limit(1))
    return local_day(first) if first is not None else None


def _store(session: Session, first: date, last: date, measured: Measured) -> None:
    """Replace the kept rows of `first`..`last`: one per region and one per centre a day."""
    day = report_day.c.day
    session.execute(delete(report_day).where(day >= first, day <= last))
    rows = [_row(key, cell) for key, cell in kept_cells(measured).items()]
    for batch in _batches(rows, 5000):
        session.execute(insert(report_day), batch)


def kept_cells(measured: Measured) -> dict[Key, Counter[str]]:
    """The measured cells as kept: summed over centres per region (`centre_id` None), and
    over regions per centre (`region_code` None, without what belongs to requests alone)."""
    cells: defaultdict[Key, Counter[str]] = defaultdict(Counter)
    for (day, region, centre_id), cell in measured.counts.items():
        cells[(day, region, None)].update(cell)
        if centre_id is not None:
            cells[(day, None, centre_id)].update(cell)
    for (day, region, centre_id, b), n in measured.answer_bins.items():
        cells[(day, region, None)][BIN_COLUMNS[b]] += n
        if centre_id is not None:
            cells[(day, None, centre_id)][BIN_COLUMNS[b]] += n
    return cells


def _row(key: Key, counts: Counter[str]) -> dict[str, Any]:
    day, region, centre_id = key
    row: dict[str, Any] = {
        "day": day,
        "month": day.strftime("%Y-%m"),
        "region_code": region,
        "centre_id": centre_id,
    }
    row.update({name: counts.get(name, 0) for name in COUNTERS + BIN_COLUMNS})
    return row


def _batches(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
