"""kill -9 the API under a submission load: every acknowledged request is whole in the database,
and no stored request is half-written (consultation, referral and outbox event commit together)."""

from __future__ import annotations

import os
import signal
import threading

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.db import make_engine, session_scope
from app.services import importer
from app.settings import Settings
from tests.helpers.db import both_backends
from tests.helpers.factories import centre_record
from tests.helpers.servers import free_port, start_api
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.slow
TR = {"municipality": "Trois-Rivières", "lat": 46.343, "lon": -72.543}
BODY = {
    "person": {"first_name": "Test", "last_name": "Charge", "email": "charge@example.org"},
    "criteria": {"location": {"municipality": "Trois-Rivières"}, "needs": ["job_search"]},
    "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
}


def submit_until_dead(port: int, acknowledged: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        while not stop.is_set():
            try:
                answer = client.post("/v1/consultations", json=BODY)
            except httpx.HTTPError:
                return
            if answer.status_code == 201:
                acknowledged.append(answer.json()["id"].replace("-", ""))


@both_backends
def test_kill_9_under_load_loses_nothing(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        importer.import_records(
            session, [centre_record(f"crash-{i}", locations=[TR]) for i in range(3)]
        )
    port = free_port()
    api = start_api(settings.database_url.get_secret_value(), port)
    acknowledged: list[str] = []
    stop = threading.Event()
    senders = [threading.Thread(target=submit_until_dead, args=(port, acknowledged, stop))
               for _ in range(6)]  # fmt: skip
    for t in senders:
        t.start()
    wait_until(lambda: len(acknowledged) >= 60, 20)  # then the kill, whatever came of it
    os.kill(api.pid, signal.SIGKILL)
    api.wait(10)
    stop.set()
    for t in senders:
        t.join(10)
    assert len(acknowledged) >= 60, "the load did not get going"

    check = make_engine(settings)
    with check.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.id, c.status, count(DISTINCT r.id), count(DISTINCT o.id) FROM consultation c "
            "LEFT JOIN referral r ON r.consultation_id = c.id "
            "LEFT JOIN outbox_event o ON o.subject_id = r.id GROUP BY c.id, c.status"
        )).all()  # fmt: skip
    check.dispose()
    stored = {str(r[0]).replace("-", ""): r for r in rows}
    missing = [cid for cid in acknowledged if cid not in stored]
    half = [r for r in rows if r[1] != "routed" or r[2] != 1 or r[3] != 1]
    print(f"\n{len(acknowledged)} acknowledged before kill -9, {len(rows)} stored, "
          f"{len(missing)} acknowledged but missing, {len(half)} half-written")  # fmt: skip
    assert missing == [] and half == []
