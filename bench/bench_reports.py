"""Outcome reports on PostgreSQL over a year of 100,000 requests (about 150,000 referrals and
390,000 history rows), against a plain `GROUP BY` over the same consultations, in the same run
and on the same database.

- baseline: `SELECT region_code, count(*) FROM consultation WHERE created_at in the year
  GROUP BY region_code`, the least a report by region could cost;
- from history: the same year's figures measured straight from the history rows (what every
  report would cost without the kept days);
- the reports (`GET /v1/admin/reports/referrals` by region, centre, month, reason, and
  `GET /v1/stats` by region) through the whole app in-process: routing, the admin key, the
  rollup check, the sums of the kept days, today's live history, JSON or CSV.

The year is written with COPY (invented, non-personal rows: no person, no message), then the
closed days are rolled up once (timed: what the first report after an upgrade pays).

Target (issue 18): every report answers in under 200 ms (p50 of the in-process requests).

    python -m bench bench_reports
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.db import make_engine, session_scope
from app.main import create_app
from app.services import keys, reports
from app.services.reports.rollup import DECLINE_REASONS, last_closed_day, measure
from app.settings import Settings
from bench.apps import load_demo, migrate, scratch_postgres

REQUESTS = 100_000
TARGET_MS = 200.0
RUNS = 15
REGIONS = [f"{n:02d}" for n in range(1, 18) if n != 10]


def main() -> dict[str, Any]:
    # Other test runs on this server may restart it (the dispatcher's recovery test): a run
    # cut short by a restart is started again, up to three times.
    for attempt in (1, 2, 3):
        try:
            return _run()
        except (OperationalError, psycopg.OperationalError) as exc:
            print(f"run {attempt} cut short by the server ({exc.__class__.__name__}); again")
            time.sleep(5)
    return {"skipped": "PostgreSQL kept restarting"}


def _run() -> dict[str, Any]:
    with scratch_postgres() as url:
        if url is None:
            print("PostgreSQL unreachable: skipped")
            return {"skipped": "PostgreSQL unreachable"}
        started = time.perf_counter()
        migrate(url)
        load_demo(url)
        print(f"schema and directory in {time.perf_counter() - started:.1f} s", flush=True)
        written = write_year(url)
        print(f"history written in {time.perf_counter() - started:.1f} s: {written}")
        return measure_all(url, written)


def measure_all(url: str, written: dict[str, int]) -> dict[str, Any]:
    settings = Settings(database_url=url, embedded_dispatcher=False)
    engine = make_engine(settings)
    today = datetime.now(UTC).date()
    period = reports.Period(today - timedelta(days=365), today)
    started = time.perf_counter()
    with session_scope(engine) as session:
        reports.catch_up(session)
    rollup_s = time.perf_counter() - started
    with session_scope(engine) as session:
        _, admin_key = keys.create_key(session, role="admin")
    figures: dict[str, Any] = {"history": written, "first_rollup_s": round(rollup_s, 2)}
    baseline = _timed(lambda: _baseline(engine, period))
    from_history = _timed(lambda: _from_history(engine, period), runs=3)
    rows = [("baseline: plain GROUP BY", baseline), ("figures from history", from_history)]
    app = create_app(settings, embedded_dispatcher=False)
    headers = {"Authorization": f"Bearer {admin_key}"}
    query = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    with TestClient(app) as client:
        calls = {
            f"admin report by={by}": _get(
                client, "/v1/admin/reports/referrals", {**query, "by": by}, headers
            )  # fmt: skip
            for by in reports.BY_VALUES
        }
        calls["admin report by=region, CSV"] = _get(
            client, "/v1/admin/reports/referrals", {**query, "format": "csv"}, headers
        )
        calls["stats by=region (suppressed)"] = _get(client, "/v1/stats", query, {})
        for label, call in calls.items():
            rows.append((label, _timed(call)))
    engine.dispose()
    return _table(rows, baseline, figures)


def _table(rows: list[tuple[str, dict[str, float]]], baseline: dict[str, float],
           figures: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    print(f"first rollup of the year: {figures['first_rollup_s']} s")
    print(f"{'what':<34} {'p50 ms':>8} {'p90 ms':>8} {'x baseline':>10} {'< 200 ms':>9}")
    out = []
    for label, t in rows:
        is_report = label.startswith(("admin", "stats"))
        met = t["p50_ms"] < TARGET_MS if is_report else None
        ratio = round(t["p50_ms"] / baseline["p50_ms"], 2)
        print(f"{label:<34} {t['p50_ms']:>8.1f} {t['p90_ms']:>8.1f} {ratio:>10.2f} "
              f"{'' if met is None else str(met):>9}")  # fmt: skip
        out.append({"what": label, **t, "ratio_to_baseline": ratio, "target_met": met})
    figures["rows"] = out
    figures["target_ms"] = TARGET_MS
    figures["target_met"] = all(r["target_met"] for r in out if r["target_met"] is not None)
    return figures


def _timed(call: Callable[[], object], runs: int = RUNS) -> dict[str, float]:
    call()  # warm: plans, caches, imports
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[min(len(times) - 1, int(len(times) * 0.9))], 1),
    }


def _get(client: TestClient, path: str, params: dict[str, str],
         headers: dict[str, str]) -> Callable[[], object]:  # fmt: skip
    def call() -> object:
        answer = client.get(path, params=params, headers=headers)
        assert answer.status_code == 200, answer.text  # noqa: S101  # nosec B101
        return answer

    return call


def _baseline(engine: Any, period: reports.Period) -> object:
    start = datetime.combine(period.first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(period.last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT region_code, count(*) FROM consultation "
                 "WHERE created_at >= :start AND created_at < :end GROUP BY region_code"),
            {"start": start, "end": end},
        ).all()  # fmt: skip


def _from_history(engine: Any, period: reports.Period) -> object:
    with session_scope(engine) as session:
        return measure(session, period.first, period.last)


# --- a year of invented history ---------------------------------------------------------------


def write_year(url: str, count: int = REQUESTS, seed: int = 18) -> dict[str, int]:
    """`count` requests over the 365 days before the last closed day, with their referrals
    and history: most accepted by the first centre, some declined or expired and moved on,
    a few never routed. COPY, then ANALYZE."""
    rng = random.Random(seed)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        centres = [row[0] for row in conn.execute("SELECT id FROM centre WHERE active")]
        rows = list(_story(rng, centres, count))
        tallies = {}
        # The rows are consistent by construction: skip the per-row foreign-key triggers.
        conn.execute("SET session_replication_role = replica")
        for table, columns, items in _tables(rows):
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write("".join(map(_copy_line, items)).encode())
            tallies[table] = len(items)
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    return tallies


def _copy_line(item: tuple[Any, ...]) -> str:
    """One line of COPY's text format (no value here holds a tab, a newline or a backslash)."""
    return "\t".join("\\N" if v is None else str(v) for v in item) + "\n"


def _story(rng: random.Random, centres: list[uuid.UUID], count: int) -> Iterator[Any]:
    end = datetime.combine(last_closed_day(datetime.now(UTC)), datetime.min.time(), tzinfo=UTC)
    for _ in range(count):
        asked = end - timedelta(seconds=rng.uniform(0, 365 * 86400))
        region = rng.choice(REGIONS)
        yield asked, region, _referrals(rng, centres, asked)


def _referrals(rng: random.Random, centres: list[uuid.UUID], asked: datetime) -> list[Any]:
    if rng.random() < 0.05:
        return []  # no eligible centre: the staff queue
    out, at = [], asked
    for attempt in (1, 2, 3):
        answer_hours = rng.expovariate(1 / 8)
        if answer_hours >= 48 or rng.random() < 0.05:
            ended = at + timedelta(hours=48)
            out.append((attempt, rng.choice(centres), at, "expired", None, ended))
            at += timedelta(hours=48, seconds=1)
            continue
        answered = at + timedelta(hours=answer_hours)
        if rng.random() < 0.75:
            out.append((attempt, rng.choice(centres), at, "accepted", None, answered))
            break
        out.append((attempt, rng.choice(centres), at, "declined", rng.choice(DECLINE_REASONS),
                    answered))  # fmt: skip
        at = answered + timedelta(milliseconds=5)
    return out


CONSULTATION = ("id", "created_at", "status", "channel", "region_code", "criteria", "ranking",
                "policy_version", "consent")  # fmt: skip
REFERRAL = ("id", "consultation_id", "centre_id", "attempt", "state", "reasons", "created_at",
            "delivered_at", "responded_at", "expires_at", "decline_reason", "version")  # fmt: skip
EVENT = ("id", "referral_id", "at", "from_state", "to_state", "actor", "reason")


def _tables(story: list[Any]) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    consultations, referrals, events = [], [], []
    criteria = json.dumps({"location": {"region_code": None}})
    for asked, region, sent in story:
        cid = uuid.uuid4()
        final = "unrouted" if not sent or sent[-1][3] != "accepted" else "accepted"
        consultations.append((cid, asked, final, "public", region, criteria, "[]", "bench",
                              '{"accepted": true}'))  # fmt: skip
        for attempt, centre, at, state, reason, ended in sent:
            rid = uuid.uuid4()
            delivered = at + timedelta(seconds=2)
            responded = ended if state != "expired" else None
            referrals.append((rid, cid, centre, attempt, state, "[]", at, delivered, responded,
                              at + timedelta(hours=48), reason, 3))  # fmt: skip
            events.append((uuid.uuid4(), rid, at, None, "pending", "public", None))
            events.append((uuid.uuid4(), rid, delivered, "pending", "delivered", "dispatcher",
                           None))  # fmt: skip
            events.append((uuid.uuid4(), rid, ended, "delivered", state, "centre", reason))
    return [("consultation", CONSULTATION, consultations), ("referral", REFERRAL, referrals),
            ("referral_event", EVENT, events)]  # fmt: skip


if __name__ == "__main__":
    main()
