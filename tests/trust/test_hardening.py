"""Fixes from a hostile review: client addresses behind proxies, limits for every caller,
concurrent inbox reads, expiry as a rule, deactivated centres' keys."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import utcnow
from app.main import create_app
from app.models import Centre, Referral
from app.ratelimit import client_key
from app.server import trusted_proxies, uvicorn_options
from app.settings import Settings
from tests.helpers.db import both_backends, make_key
from tests.helpers.factories import centre_record
from tests.helpers.waiting import wait_until

TR = {"municipality": "Trois-Rivières", "lat": 46.343, "lon": -72.543}
REQUEST = {
    "person": {"first_name": "Zoé", "last_name": "Exemple", "email": "zoe@example.org"},
    "criteria": {"location": {"municipality": "Trois-Rivières"}},
    "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
}


def _submit(client: TestClient, admin: dict[str, str], ref: str = "hard-1") -> dict[str, Any]:
    doc = {"centres": [centre_record(ref, locations=[TR])]}
    assert client.post("/v1/admin/centres/import", json=doc, headers=admin).status_code == 200
    answer = client.post("/v1/consultations", json=REQUEST)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


# --- client address ------------------------------------------------------------------------


def test_no_proxy_is_believed_by_default() -> None:
    options = uvicorn_options(Settings())
    assert options["proxy_headers"] is False and options["forwarded_allow_ips"] == []


def test_trusted_proxies_are_networks() -> None:
    settings = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.7,2001:db8::/32")
    assert trusted_proxies(settings) == ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]
    assert uvicorn_options(settings)["proxy_headers"] is True
    with pytest.raises(ValueError, match="not an address or a CIDR"):
        Settings(trusted_proxies="10.0.0.0/8,load-balancer")


def test_ipv6_clients_are_counted_by_64() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("192.0.2.1") != client_key("192.0.2.2")
    assert client_key(None) == "-"


# --- limits for every caller ---------------------------------------------------------------


def test_a_centre_key_has_a_rate_limit(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_centre": "3/minute"})
    with TestClient(create_app(limited, embedded_dispatcher=False)) as client:
        admin = make_key(client.app.state.engine, "admin")  # type: ignore[attr-defined]
        _submit(client, admin)
        centre = make_key(client.app.state.engine, "centre", "hard-1")  # type: ignore[attr-defined]
        codes = [client.get("/v1/inbox/referrals", headers=centre).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        refused = client.get("/v1/inbox/referrals", headers=centre)
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        # Another centre's key, and staff, are counted on their own.
        assert client.get("/v1/admin/centres", headers=admin).status_code == 200


# --- concurrent inbox reads ----------------------------------------------------------------


@both_backends
def test_concurrent_inbox_reads_never_conflict(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    for _ in range(4):
        _submit(client, admin_headers)
    centre = make_key(engine, "centre", "hard-1")
    codes: list[int] = []
    barrier = threading.Barrier(6)

    def read() -> None:
        barrier.wait()
        codes.append(client.get("/v1/inbox/referrals", headers=centre).status_code)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 6
    items = client.get("/v1/inbox/referrals", headers=centre).json()["items"]
    assert {i["state"] for i in items} == {"delivered"}
    with Session(engine) as session:  # each referral was moved once, by one of the readers
        from sqlalchemy import func, select

        from app.models import ReferralEvent

        moves = session.scalar(
            select(func.count()).where(ReferralEvent.to_state == "delivered")  # type: ignore[arg-type]
        )
    assert moves == len(items)


# --- expiry is a rule ----------------------------------------------------------------------


@both_backends
@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_expired_referral_cannot_be_answered_before_the_sweep(
    client: TestClient, admin_headers: dict[str, str], engine: Engine, answer: str
) -> None:
    submitted = _submit(client, admin_headers)
    referral_id = uuid.UUID(submitted["referral"]["id"])
    with Session(engine) as session:
        session.execute(
            update(Referral)
            .where(Referral.id == referral_id)  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()
    centre = make_key(engine, "centre", "hard-1")
    body = {"reason": "no_capacity"} if answer == "decline" else None
    refused = client.post(f"/v1/inbox/referrals/{referral_id}/{answer}", headers=centre, json=body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "referral_expired" and "expiré" in refused.json()["detail"]
    with Session(engine) as session:
        assert session.get(Referral, referral_id).state == "pending"  # type: ignore[union-attr]


# --- a deactivated centre's key --------------------------------------------------------------


@both_backends
def test_a_deactivated_centres_key_reads_and_changes_nothing(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    submitted = _submit(client, admin_headers)
    centre = make_key(engine, "centre", "hard-1")
    assert client.get("/v1/inbox/referrals", headers=centre).status_code == 200
    with Session(engine) as session:
        session.execute(
            update(Centre).where(Centre.ref == "hard-1").values(active=False)  # type: ignore[arg-type]
        )
        session.commit()
    assert client.get("/v1/inbox/referrals", headers=centre).status_code == 401
    accept = f"/v1/inbox/referrals/{submitted['referral']['id']}/accept"
    assert client.post(accept, headers=centre).status_code == 401
    patch = client.patch("/v1/inbox/centre", headers=centre, json={"intake_status": "open"})
    assert patch.status_code == 401


# --- bounded request heads (a real uvicorn server, as `ttx serve` runs it) -------------------


@contextlib.contextmanager
def _serving(settings: Settings, **overrides: Any) -> Iterator[int]:
    """The app on a real uvicorn server with `ttx serve`'s options; yields its port."""
    import socket

    import uvicorn

    app = create_app(settings, embedded_dispatcher=False)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on",
        **(uvicorn_options(settings) | overrides),
    )  # fmt: skip
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: server.started, 30), "the server did not start"
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def served(settings: Settings) -> Iterator[int]:
    with _serving(settings) as port:
        yield port


def _spoofed_codes(port: int, count: int) -> list[int]:
    """Submit `count` requests from 127.0.0.1, each claiming another X-Forwarded-For."""
    codes = []
    for i in range(count):
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/consultations",
            json=REQUEST,
            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
            timeout=30,
        )
        codes.append(answer.status_code)
    return codes


def test_a_local_caller_cannot_pick_its_address_on_a_real_server(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_public": "3/minute"})
    with _serving(limited) as port:
        assert _spoofed_codes(port, 5) == [201, 201, 201, 429, 429]
    # uvicorn's own defaults believe 127.0.0.1: each spoofed address got a fresh limit.
    with _serving(limited, proxy_headers=True, forwarded_allow_ips="127.0.0.1") as port:
        assert _spoofed_codes(port, 5) == [201] * 5
    # A listed proxy is believed: each forwarded address is counted on its own.
    behind = limited.model_copy(update={"trusted_proxies": "127.0.0.1/32"})
    with _serving(behind) as port:
        assert _spoofed_codes(port, 5) == [201] * 5


def _raw(port: int, head: bytes) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        # The server may close before taking it all: its answer is still there.
        with contextlib.suppress(OSError):
            conn.sendall(head)
        chunks = []
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_request_heads_are_bounded(served: int) -> None:
    ok = _raw(served, b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200")
    huge = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * (8 * 1024 * 1024) + b"\r\n\r\n"
    answer = _raw(served, huge)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"application/problem+json" in answer
    many = (
        b"GET /healthz HTTP/1.1\r\nhost: x\r\n"
        + b"".join(b"x-h%d: 1\r\n" % i for i in range(500))
        + b"\r\n"
    )
    assert _raw(served, many).startswith(b"HTTP/1.1 431")
    # The server is still there for everyone else.
    again = _raw(served, b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    assert again.startswith(b"HTTP/1.1 200")


# --- published secrets ---------------------------------------------------------------------


def test_the_published_example_secret_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    from app.dispatcher.signing import EXAMPLE_SECRET

    record = centre_record(
        "hard-2", inbox={"url": "http://127.0.0.1:9/inbox", "secret": EXAMPLE_SECRET}
    )
    answer = client.post(
        "/v1/admin/centres/import", json={"centres": [record]}, headers=admin_headers
    )
    assert answer.status_code == 422, answer.text
    assert "inbox_secret_published" in answer.text and "exemple publié" in answer.text
    assert client.get("/v1/centres").json()["total"] == 0


# --- idempotency after a crash -------------------------------------------------------------

CLAIM_AND_DIE = """
import os, signal, sys
from app.db import make_engine
from app.schemas.intake import ConsultationIn
from app.services import idempotency
from app.settings import Settings
import json
body = ConsultationIn.model_validate(json.loads(sys.argv[2]))
engine = make_engine(Settings(database_url=sys.argv[1]))
digest = idempotency.body_hash(body.model_dump_json().encode())
assert idempotency.begin(engine, "ip:testclient", "crash-1", digest) is None
os.kill(os.getpid(), signal.SIGKILL)  # killed mid-request: the claim stays in flight
"""


@both_backends
def test_a_claim_left_by_a_killed_process_is_taken_over(
    client: TestClient, admin_headers: dict[str, str], settings: Settings, engine: Engine
) -> None:
    import json
    import subprocess
    import sys

    from app.models import IdempotencyRecord

    doc = {"centres": [centre_record("hard-1", locations=[TR])]}
    assert (
        client.post("/v1/admin/centres/import", json=doc, headers=admin_headers).status_code == 200
    )
    died = subprocess.run(
        [sys.executable, "-c", CLAIM_AND_DIE, settings.database_url.get_secret_value(),
         json.dumps(REQUEST)],
        check=False, timeout=60,
    )  # fmt: skip
    assert died.returncode == -9
    headers = {"Idempotency-Key": "crash-1"}
    busy = client.post("/v1/consultations", json=REQUEST, headers=headers)
    assert busy.status_code == 409
    assert 1 <= int(busy.headers["retry-after"]) <= 45
    # Once the lease has run out (moved back in time here), the retry goes through, once.
    with Session(engine) as session:
        session.execute(
            update(IdempotencyRecord).values(created_at=utcnow() - timedelta(seconds=46))
        )
        session.commit()
    done = client.post("/v1/consultations", json=REQUEST, headers=headers)
    assert done.status_code == 201, done.text
    again = client.post("/v1/consultations", json=REQUEST, headers=headers)
    assert again.status_code == 201 and again.json()["id"] == done.json()["id"]


# --- security headers, docs and CORS -------------------------------------------------------


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for answer in (
        client.get("/v1/centres"),
        client.get("/v1/nowhere"),
        client.post(
            "/v1/consultations", content=b"{", headers={"content-type": "application/json"}
        ),
    ):
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in answer.headers  # development: plain HTTP


def test_production_adds_hsts_and_hides_the_docs(settings: Settings) -> None:
    from tests.helpers.factories import STRONG_KEY

    production = Settings(
        database_url=settings.database_url, env="production", secret_key=STRONG_KEY
    )
    with TestClient(create_app(production, embedded_dispatcher=False)) as client:
        answer = client.get("/v1/centres")
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
    shown = production.model_copy(update={"public_docs": True})
    with TestClient(create_app(shown, embedded_dispatcher=False)) as client:
        assert client.get("/openapi.json").status_code == 200


def test_cors_is_explicit(settings: Settings) -> None:
    preflight = {
        "Origin": "https://partner.example.org",
        "Access-Control-Request-Method": "POST",
    }
    with TestClient(create_app(settings, embedded_dispatcher=False)) as client:
        answer = client.get("/v1/centres", headers={"Origin": "https://partner.example.org"})
        assert "access-control-allow-origin" not in answer.headers
        assert (
            "access-control-allow-origin"
            not in client.options("/v1/consultations", headers=preflight).headers
        )
    listed = settings.model_copy(update={"cors_origins": "https://partner.example.org"})
    with TestClient(create_app(listed, embedded_dispatcher=False)) as client:
        ok = client.options("/v1/consultations", headers=preflight)
        assert ok.headers["access-control-allow-origin"] == "https://partner.example.org"
        other = client.get("/v1/centres", headers={"Origin": "https://evil.example.org"})
        assert "access-control-allow-origin" not in other.headers
