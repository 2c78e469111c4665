"""GET /metrics (issue 12): Prometheus text parsed with the Prometheus client's own parser;
route templates only, never raw ids, postal codes or e-mails; a token in production; the
dispatcher's attempts and the backlog; request ids and JSON logs; the sample rules file."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from app.main import create_app
from app.ops.logs import JsonFormatter, RequestIdFilter
from app.settings import Settings
from tests.helpers.db import make_key
from tests.helpers.factories import DEMO_SECRET, centre_record
from tests.helpers.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


def value(found: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(
        v for lab, v in found.get(name, []) if all(lab.get(k) == w for k, w in labels.items())
    )


def consultation(centre_id: str) -> dict[str, Any]:
    return {
        "person": {"first_name": "Noé", "last_name": "Exemple", "email": "noe.metrics@example.org"},
        "criteria": {"location": {"postal_code": "G9A 1A1"}},
        "centre_id": centre_id,
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }


def test_routes_are_templates_and_nothing_personal_is_a_label(client: TestClient) -> None:
    some_id = str(uuid.uuid4())
    client.get(f"/v1/centres/{some_id}")
    client.get("/v1/locations/resolve", params={"q": "G9A 1A1"})
    client.get("/no/such/page/noe@example.org")
    admin = make_key(client.app.state.engine, "admin")  # type: ignore[attr-defined]
    made = client.post("/v1/admin/centres", json=centre_record(), headers=admin)
    client.post("/v1/consultations", json=consultation(made.json()["id"]))
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    found = samples(text)
    assert (
        value(found, "ttx_http_requests_total", route="/v1/centres/{centre_id}", status="404") == 1
    )
    assert value(found, "ttx_http_requests_total", route="/v1/locations/resolve") == 1
    assert value(found, "ttx_http_requests_total", route="unmatched", status="404") == 1
    assert value(found, "ttx_http_request_duration_seconds_count", route="/v1/consultations") == 1
    for secret in (some_id, "G9A", "example.org", "noe"):
        assert secret not in text
    # The backlog, read from the database: the centre has no webhook, so the event is pull.
    assert value(found, "ttx_outbox_events", status="pull") == 1
    assert value(found, "ttx_referrals", state="pending") == 1
    assert value(found, "ttx_database_up") == 1
    assert "ttx_outbox_oldest_due_seconds" in found and "ttx_consultations_unrouted" in found


def test_production_needs_the_token(settings: Settings) -> None:
    production = settings.model_copy(
        update={"env": "production", "secret_key": SecretStr("k" * 40)}
    )
    with TestClient(create_app(production, embedded_dispatcher=False)) as client:
        off = client.get("/metrics")
        assert off.status_code == 404 and off.headers["content-type"] == "application/problem+json"
    token = secrets.token_urlsafe(24)
    guarded = production.model_copy(update={"metrics_token": SecretStr(token)})
    with TestClient(create_app(guarded, embedded_dispatcher=False)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = {"Authorization": "Bearer " + secrets.token_urlsafe(24)}
        assert client.get("/metrics", headers=wrong).status_code == 401
        right = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200 and "ttx_outbox_events" in right.text


class Inbox(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.headers_seen: list[dict[str, str]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                inbox.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    server = Inbox()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_request_id_reaches_the_webhook_and_attempts_are_counted(
    settings: Settings, inbox: Inbox
) -> None:
    app = create_app(settings.model_copy(update={"embedded_dispatcher": True}))
    with TestClient(app) as client:
        admin = make_key(app.state.engine, "admin")
        url = f"http://127.0.0.1:{inbox.server_address[1]}/inbox"
        record = centre_record(inbox={"url": url, "secret": DEMO_SECRET})
        made = client.post("/v1/admin/centres", json=record, headers=admin)
        assert made.status_code == 201, made.text
        sent = client.post(
            "/v1/consultations", json=consultation(made.json()["id"]),
            headers={"X-Request-ID": "req-metrics-1"},
        )  # fmt: skip
        assert sent.status_code == 201 and sent.headers["x-request-id"] == "req-metrics-1"
        [seen] = eventually(lambda: inbox.headers_seen, timeout=20)  # the webhook arrived
        assert seen["x-request-id"] == "req-metrics-1"
        # The attempt is counted once the dispatcher has the answer, just after the receiver.
        found = eventually(
            lambda: samples(client.get("/metrics").text),
            until=lambda f: value(f, "ttx_delivery_attempts_total", outcome="success") >= 1,
            timeout=20,
        )
    assert "ttx_delivery_in_flight" in found and "ttx_delivery_waiting" in found


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123_X.y:z", True),
        ("a" * 65, False),
        ("bad id", False),
        ("a\r\nb", False),
        (None, False),
    ],
)
def test_request_ids_are_kept_only_when_plain(
    client: TestClient, given: str | None, kept: bool
) -> None:
    headers = {"X-Request-ID": given} if given is not None else {}
    answer = client.get("/healthz", headers=headers)
    returned = answer.headers["x-request-id"]
    assert (returned == given) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_access_lines_are_json_with_the_request_id_and_no_query(client: TestClient) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    access = logging.getLogger("ttx.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        key = "ttx_" + secrets.token_urlsafe(16)
        client.get(
            "/v1/locations/resolve", params={"q": "G9A 1A1", "key": key},
            headers={"X-Request-ID": "req-log-1"},
        )  # fmt: skip
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    (line,) = [json.loads(raw) for raw in buffer.getvalue().splitlines()]
    assert line["request_id"] == "req-log-1"
    assert line["route"] == "/v1/locations/resolve" and line["status"] == 200
    assert key not in buffer.getvalue() and "G9A" not in buffer.getvalue()


@pytest.mark.parametrize(("env", "shape"), [("production", "json"), ("development", "text")])
def test_logs_are_json_in_production_and_text_in_development(
    client: TestClient, capsys: pytest.CaptureFixture[str], env: str, shape: str
) -> None:
    from app.ops import logs
    from tests.helpers.factories import STRONG_KEY

    chosen = Settings(env=env, secret_key=STRONG_KEY)  # type: ignore[arg-type]
    assert chosen.logs_as == shape
    assert Settings(env=env, secret_key=STRONG_KEY, log_format="text").logs_as == "text"  # type: ignore[arg-type]
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    access = logging.getLogger("ttx.access")
    try:
        logs.configure(chosen.logs_as, "INFO")
        access.setLevel(logging.INFO)
        capsys.readouterr()
        client.get("/healthz", headers={"X-Request-ID": "req-shape-1"})
        written = capsys.readouterr().err
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        access.setLevel(logging.NOTSET)
    (line,) = [raw for raw in written.splitlines() if "req-shape-1" in raw]
    if shape == "json":
        parsed = json.loads(line)
        assert parsed["request_id"] == "req-shape-1" and parsed["route"] == "/healthz"
    else:
        assert "[req-shape-1]" in line and not line.startswith("{")


def test_the_sample_alert_rules_name_metrics_that_exist(client: TestClient) -> None:
    rules = yaml.safe_load((ROOT / "ops" / "prometheus" / "ttx-alerts.yml").read_text())
    client.get("/healthz")  # a labelled request counter exists once a request was answered
    exposed = set(samples(client.get("/metrics").text))
    # The embedded dispatcher's own metrics are in a process registry: listed from there.
    from prometheus_client.exposition import generate_latest

    from app.dispatcher.metrics import REGISTRY

    exposed |= set(samples(generate_latest(REGISTRY).decode()))
    names = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
            names |= set(re.findall(r"\bttx_[a-z_]+", rule["expr"]))
    assert names and names <= exposed, names - exposed


@pytest.mark.slow
def test_a_worker_exposes_its_own_metrics(settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "TTX_DATABASE_URL": settings.database_url.get_secret_value(),
        "TTX_WORKER_METRICS_PORT": str(port),
        "TTX_LOG_FORMAT": "json",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:

        def scraped() -> str:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
            except httpx.HTTPError:
                return ""  # not listening yet

        found = samples(eventually(scraped, timeout=30, show=log.read_text))
        assert "ttx_delivery_attempts_total" in found, log.read_text()
        assert "ttx_http_requests_total" not in found  # its own, not the API's
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        lines = [json.loads(raw) for raw in log.read_text().splitlines() if raw.startswith("{")]
        assert any("worker" in line["message"] and "started" in line["message"] for line in lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
