"""`GET /readyz` says not ready, with the reason, when the embedded dispatcher is not running
(issue 12); `ttx doctor` and `ttx migrate` report stored inbox URLs that would now be refused."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.dispatcher import Dispatcher, DispatcherFault, EmbeddedDispatcher
from app.main import create_app
from app.models import DeliveryAttempt, InboxEndpoint
from app.settings import Settings
from tests.helpers.db import make_key
from tests.helpers.factories import DEMO_SECRET, centre_record
from tests.helpers.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def consultation(centre_id: str) -> dict[str, object]:
    return {
        "person": {"first_name": "Noé", "last_name": "Exemple", "email": "noe@example.org"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}},
        "centre_id": centre_id,
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }


def test_readyz_is_503_once_the_embedded_dispatcher_stops(settings: Settings) -> None:
    with TestClient(create_app(settings, embedded_dispatcher=True)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["dispatcher"] == "running"
        client.app.state.dispatcher.stop()  # type: ignore[attr-defined]
        gone = client.get("/readyz")
        assert gone.status_code == 503
        assert gone.json()["status"] == "dispatcher_stopped"
        assert gone.json()["dispatcher"] == "stopped"
        assert "dispatcher" in gone.json()["reason"]


def test_readyz_says_off_when_deliveries_are_left_to_workers(client: TestClient) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["dispatcher"] == "off"


class FaultyLoop(Dispatcher):
    """A dispatcher whose own loop fails: what readiness must report."""

    def run_forever(self, stop: threading.Event) -> None:  # type: ignore[override]
        raise DispatcherFault("the delivery loop failed 20 times")


def test_a_dead_embedded_dispatcher_says_why(settings: Settings) -> None:
    app = create_app(settings, embedded_dispatcher=False)
    handle = EmbeddedDispatcher(FaultyLoop(app.state.engine)).start()
    handle._thread.join(5)
    app.state.dispatcher = handle
    with TestClient(app) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["reason"] == (
        "the embedded dispatcher stopped: DispatcherFault: the delivery loop failed 20 times"
    )


def _ttx(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT, env=os.environ | env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.slow
def test_doctor_and_migrate_report_urls_that_would_now_be_refused(settings: Settings) -> None:
    env = {"TTX_DATABASE_URL": settings.database_url.get_secret_value(), "TTX_ENV": "development"}
    app = create_app(settings, embedded_dispatcher=False)
    with TestClient(app) as client:
        headers = make_key(app.state.engine, "admin")
        inbox = {"url": "http://127.0.0.1:8765/inbox", "secret": DEMO_SECRET}
        made = client.post("/v1/admin/centres", json=centre_record(inbox=inbox), headers=headers)
        assert made.status_code == 201, made.text
    assert _ttx("doctor", env=env).returncode == 0
    table = InboxEndpoint.__table__  # type: ignore[attr-defined]
    with app.state.engine.begin() as conn:  # stored before the rules were this strict
        conn.execute(update(table).values(url="http://[::1/inbox"))
    doctor = _ttx("doctor", env=env)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert "centre test-centre-1" in doctor.stdout
    assert "missing its closing bracket" in doctor.stdout
    migrate = _ttx("migrate", env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert "test-centre-1" in migrate.stderr and "ttx doctor" in migrate.stderr
    # In production, plain http on loopback is refused too: doctor says so.
    production = env | {"TTX_ENV": "production", "TTX_SECRET_KEY": secrets.token_urlsafe(32)}
    with app.state.engine.begin() as conn:
        conn.execute(update(table).values(url="http://127.0.0.1:8765/inbox"))
    assert _ttx("doctor", env=env).returncode == 0
    doctor = _ttx("doctor", env=production)
    assert doctor.returncode == 1 and "must use https" in doctor.stdout, doctor.stdout


def _attempts(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(DeliveryAttempt)) or 0


@pytest.mark.slow
def test_ttx_worker_exits_zero_on_sigterm_whatever_receivers_did(
    settings: Settings, tmp_path: Path
) -> None:
    env = {"TTX_DATABASE_URL": settings.database_url.get_secret_value(), "TTX_ENV": "development"}
    app = create_app(settings, embedded_dispatcher=False)
    table = InboxEndpoint.__table__  # type: ignore[attr-defined]
    with TestClient(app) as client:
        headers = make_key(app.state.engine, "admin")
        inbox = {"url": "http://127.0.0.1:9/inbox", "secret": DEMO_SECRET}
        made = client.post("/v1/admin/centres", json=centre_record(inbox=inbox), headers=headers)
        assert made.status_code == 201
        sent = client.post("/v1/consultations", json=consultation(made.json()["id"]))
        assert sent.status_code == 201, sent.text
    with app.state.engine.begin() as conn:
        conn.execute(update(table).values(url="http://127.0.0.1:99999/inbox"))
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=os.environ | env,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        assert wait_until(lambda: _attempts(app.state.engine) > 0, 30), log.read_text()
        assert proc.poll() is None  # the refused URL cost an attempt, not the worker
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_ttx_worker_exits_non_zero_on_its_own_faults(settings: Settings) -> None:
    bad = {
        "TTX_DATABASE_URL": settings.database_url.get_secret_value(),
        "TTX_WEBHOOK_TIMEOUT_SECONDS": "soon",
    }
    assert _ttx("worker", env=bad, timeout=30).returncode != 0
