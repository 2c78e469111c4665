"""Abuse limits: per address for the public, per key for partners, shared through Redis."""

from __future__ import annotations

import os
import uuid

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.ratelimit import MovingWindows, RateLimiter
from app.settings import Settings
from tests.helpers.db import IN_CI, make_key

BODY = {
    "person": {"first_name": "Alex", "last_name": "Exemple", "email": "alex@example.org"},
    "criteria": {"location": {"municipality": "Trois-Rivières"}},
    "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
}


def limited_client(settings: Settings, **limits: str) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=limits), embedded_dispatcher=False))


def test_public_limit_per_address(settings: Settings) -> None:
    with limited_client(settings, rate_limit_public="3/minute") as client:
        codes = [client.post("/v1/consultations", json=BODY).status_code for _ in range(5)]
        assert codes == [201, 201, 201, 429, 429]
        refused = client.post("/v1/consultations", json=BODY)
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Reads are not counted against the form's limit.
        assert client.get("/v1/centres").status_code == 200


def test_partner_limit_per_key(settings: Settings) -> None:
    with limited_client(settings, rate_limit_public="1/minute", rate_limit_partner="2/minute") as c:
        a, b = make_key(c.app.state.engine, "partner"), make_key(c.app.state.engine, "partner")
        codes_a = [c.post("/v1/consultations", json=BODY, headers=a).status_code for _ in range(3)]
        codes_b = [c.post("/v1/consultations", json=BODY, headers=b).status_code for _ in range(2)]
    assert codes_a == [201, 201, 429] and codes_b == [201, 201]


def test_counters_shared_through_redis() -> None:
    url = os.environ.get("TTX_TEST_REDIS_URL")
    if not url:
        if IN_CI:
            pytest.fail("TTX_TEST_REDIS_URL must be set under CI")
        pytest.skip("set TTX_TEST_REDIS_URL to run the Redis test")
    settings = Settings(redis_url=url, rate_limit_public="4/minute")
    replica_a, replica_b = RateLimiter(settings), RateLimiter(settings)
    who = f"test-{uuid.uuid4().hex}"
    for limiter in (replica_a, replica_b, replica_a, replica_b):
        limiter.check(limiter.public, "ip", who)
    with pytest.raises(Exception, match="(?i)too many requests"):
        replica_b.check(replica_b.public, "ip", who)


def test_moving_window_counts_any_period_of_the_rate() -> None:
    windows, key = MovingWindows(), ("3/minute", "ip", "192.0.2.1")
    assert [windows.hit(3, 60, key, now=t) for t in (0.0, 10.0, 20.0)] == [None, None, None]
    assert windows.hit(3, 60, key, now=30.0) == pytest.approx(30.0)  # the 0.0 hit leaves at 60
    assert windows.hit(3, 60, key, now=59.9) == pytest.approx(0.1)
    assert windows.hit(3, 60, key, now=60.0) is None  # refusals were not counted
    assert windows.hit(3, 60, key, now=61.0) is not None
    assert windows.hit(3, 60, ("3/minute", "ip", "192.0.2.2"), now=61.0) is None


def test_moving_window_forgets_idle_callers() -> None:
    windows = MovingWindows()
    for n in range(MovingWindows.PRUNE_EVERY - 1):
        windows.hit(5, 1, ("5/second", "ip", f"10.0.{n // 256}.{n % 256}"), now=float(n) / 1000)
    assert len(windows) == MovingWindows.PRUNE_EVERY - 1
    windows.hit(5, 1, ("5/second", "ip", "203.0.113.9"), now=100.0)  # prunes: all others idle
    assert len(windows) == 1


def test_a_rate_of_zero_refuses_everything(settings: Settings) -> None:
    assert MovingWindows().hit(0, 60, ("0/minute", "ip", "192.0.2.1")) == 60
    with limited_client(settings, rate_limit_public="0/minute") as client:
        refused = client.post("/v1/consultations", json=BODY)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
