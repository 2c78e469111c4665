"""Report figures against the hand-counted history of tests/reports/history.py."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope
from app.models import Consultation, ReportRollup, report_day
from app.services import privacy, reports
from app.services.reports.figures import quantile
from app.services.reports.rollup import answer_bin
from app.settings import Settings
from tests.helpers.db import both_backends
from tests.helpers.history import History, write_history

OCT_NOV = reports.Period(date(2026, 10, 1), date(2026, 11, 30))


def report(engine: Engine, by: reports.By, period: reports.Period = OCT_NOV) -> dict[str, Any]:
    with session_scope(engine) as session:
        return reports.build_report(session, period, by).to_dict()


def rows(doc: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {r["key"]: r for r in doc["rows"]}


@pytest.fixture
def history(engine: Engine) -> History:
    return write_history(engine)


@both_backends
def test_by_region_hand_counted(engine: Engine, history: History) -> None:
    doc = report(engine, "region")
    r04, r06 = rows(doc)["04"], rows(doc)["06"]
    assert rows(doc)["04"]["label"] == {"fr": "Mauricie", "en": "Mauricie"}
    assert (r04["requests"], r04["routed_at_once"], r04["received"], r04["accepted"]) == (
        4, 4, 7, 3)  # fmt: skip
    assert r04["declined"] == 3 and r04["declined_by_reason"]["no_capacity"] == 2
    assert r04["declined_by_reason"]["other"] == 1 and r04["declined_by_reason"]["duplicate"] == 0
    assert (r04["expired"], r04["cancelled"], r04["unrouted"]) == (0, 1, 0)
    assert r04["centres_tried_before_acceptance"] == {"1": 1, "2": 1, "3_or_more": 1}
    # Answers 0.25, 1, 2, 4, 20, 23 h: the median (3rd of 6) is the top of the [2, 2.5) h
    # bin; the 90th percentile (5.4th) is 40 % into the [22, 24) h bin.
    assert r04["hours_to_first_answer"] == {"answers": 6, "median": 2.5, "p90": 22.8}
    assert (r06["requests"], r06["routed_at_once"], r06["received"], r06["accepted"]) == (
        2, 1, 2, 0)  # fmt: skip
    assert r06["declined_by_reason"]["out_of_area"] == 1 and r06["expired"] == 1
    # c4 on arrival, c3 after its expiry, c4 after its decline.
    assert r06["unrouted"] == 3
    assert r06["hours_to_first_answer"] == {"answers": 1, "median": 7.5, "p90": 7.9}
    total = doc["total"]
    assert (total["requests"], total["accepted"], total["declined"], total["unrouted"]) == (
        6, 3, 4, 3)  # fmt: skip
    assert total["hours_to_first_answer"]["answers"] == 7
    # 0.25, 1, 2, 4, 7, 20, 23 h: the 3.5th answer is half-way into the [4, 4.5) h bin.
    assert total["hours_to_first_answer"]["median"] == 4.25


@both_backends
def test_by_centre_and_month(engine: Engine, history: History) -> None:
    by_centre = rows(report(engine, "centre"))
    a, b, c = (by_centre[str(x)] for x in (history.a, history.b, history.c))
    assert a["label"]["ref"] == "rpt-a" and a["requests"] is None
    assert (a["received"], a["routed_at_once"], a["accepted"], a["declined"], a["cancelled"]) == (
        4, 3, 1, 2, 1)  # fmt: skip
    assert (b["received"], b["routed_at_once"], b["accepted"]) == (2, 1, 1)
    assert b["centres_tried_before_acceptance"] == {"1": 0, "2": 1, "3_or_more": 0}
    assert (c["received"], c["expired"], c["centres_tried_before_acceptance"]["3_or_more"]) == (
        3, 1, 1)  # fmt: skip
    assert c["hours_to_first_answer"]["answers"] == 2
    months = rows(report(engine, "month"))
    assert set(months) == {"2026-10", "2026-11"}
    # c6 arrived at 23:30 on October 31st, Québec time (November 1st in UTC).
    assert months["2026-10"]["requests"] == 5 and months["2026-11"]["requests"] == 1
    assert months["2026-10"]["cancelled"] == 0 and months["2026-11"]["cancelled"] == 1
    assert (months["2026-10"]["accepted"], months["2026-11"]["accepted"]) == (2, 1)


@both_backends
def test_by_reason_and_one_day(engine: Engine, history: History) -> None:
    reasons = rows(report(engine, "reason"))
    assert [reasons[k]["declined"] for k in ("no_capacity", "out_of_area", "other")] == [2, 1, 1]
    assert reasons["no_capacity"]["label"]["fr"] == "Plus de place"
    oct6 = rows(report(engine, "region", reports.Period(date(2026, 10, 6), date(2026, 10, 6))))
    assert oct6["04"]["accepted"] == 1 and oct6["04"]["requests"] == 0
    assert (oct6["06"]["requests"], oct6["06"]["routed_at_once"]) == (1, 1)
    oct31 = report(engine, "region", reports.Period(date(2026, 10, 31), date(2026, 10, 31)))
    assert oct31["total"]["requests"] == 1 and oct31["total"]["cancelled"] == 0


@both_backends
def test_days_are_kept_and_survive_the_purge(
    engine: Engine, history: History, settings: Settings
) -> None:
    before = report(engine, "region")
    with Session(engine) as session:
        through = session.get(ReportRollup, 1)
        assert through is not None and through.through is not None
        assert through.through > date(2026, 11, 30)
        assert (session.scalar(select(func.count()).select_from(report_day)) or 0) > 0
    with session_scope(engine) as session:
        assert privacy.purge(session, settings.model_copy(update={"retention_days": 1})) == 6
    assert report(engine, "region") == before
    # Even with the requests gone altogether, what was counted stays counted.
    with session_scope(engine) as session:
        session.execute(delete(Consultation))
    assert report(engine, "region") == before


@both_backends
def test_kept_days_equal_the_live_history(engine: Engine, history: History) -> None:
    """The rolled-up path and the live path (days not closed yet) agree on every figure."""
    stored = report(engine, "centre")
    with session_scope(engine) as session:
        session.execute(delete(report_day))
        state = session.get(ReportRollup, 1)
        assert state is not None
        state.through = date(2026, 9, 30)  # as if nothing were kept: everything read live
        session.add(state)
        measured = reports.rollup.measure(session, OCT_NOV.first, OCT_NOV.last)
        assert sum(c["requests"] for c in measured.counts.values()) == 6
    assert report(engine, "centre") == stored


def test_answer_bins_and_quantiles() -> None:
    assert [answer_bin(h) for h in (-1, 0, 0.24, 0.25, 5.99, 6, 47.5, 48, 400)] == [
        0, 0, 0, 1, 15, 16, 29, 30, 31]  # fmt: skip
    assert quantile({}, 0.5) is None
    assert quantile({answer_bin(7): 1}, 0.5) == 7.5
    assert quantile({answer_bin(1): 10}, 0.9) == pytest.approx(1.225, abs=0.006)
