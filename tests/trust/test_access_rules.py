"""Every route has an access rule, and the rule holds. A new route without a rule fails here."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.main import create_app
from app.settings import Settings
from tests.helpers.access import (
    ADMIN,
    CENTRE,
    CENTRE_WEB,
    FORM,
    OPTIONAL_KEY,
    PARTNER,
    PUBLIC,
    RULES,
    STAFF,
)
from tests.helpers.db import make_key
from tests.helpers.factories import centre_record

DOCS = {"/openapi.json", "/docs", "/redoc", "/static", "/docs/static/vendor", "/docs/static/own"}


def app_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"), embedded_dispatcher=False)
    return walk(app.routes, "")


def walk(routes: list[Any], prefix: str) -> set[tuple[str, str]]:
    """Every (method, path), through included routers however the framework nests them."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(method, prefix + route.path) for method in route.methods}
        elif hasattr(route, "original_router"):
            found |= walk(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            assert getattr(route, "path", None) in DOCS, f"unexpected route {route}"
    return found


def test_every_route_has_a_rule() -> None:
    routes = app_routes()
    assert routes - set(RULES) == set(), "routes without an access rule"
    assert set(RULES) - routes == set(), "rules for routes that no longer exist"


def concrete(path: str) -> str:
    path = path.replace("{code}", "06")
    return re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)


@pytest.fixture
def keys(client: TestClient, admin_headers: dict[str, str], engine: Engine) -> dict[str, dict]:
    doc = {"centres": [centre_record("rule-centre")]}
    assert (
        client.post("/v1/admin/centres/import", json=doc, headers=admin_headers).status_code == 200
    )
    return {
        ADMIN: admin_headers,
        CENTRE: make_key(engine, "centre", "rule-centre"),
        PARTNER: make_key(engine, "partner"),
        "forged": {"Authorization": "Bearer ttx_" + "x" * 43},
    }


ALLOWED = {
    PUBLIC: {None, ADMIN, CENTRE, PARTNER},
    OPTIONAL_KEY: {None, ADMIN, PARTNER},
    ADMIN: {ADMIN},
    CENTRE: {CENTRE},
    PARTNER: {PARTNER, ADMIN},
}


@pytest.mark.parametrize(("method", "path"), sorted(RULES))
def test_rule_holds(client: TestClient, keys: dict[str, dict], method: str, path: str) -> None:
    rule = RULES[(method, path)]
    url = concrete(path)
    if rule == STAFF:  # no staff session: the sign-in page, or 401, whatever key comes along
        for headers in ({}, *keys.values()):
            answer = client.request(method, url, headers=headers, data={}, follow_redirects=False)
            if method == "GET":
                assert answer.status_code == 303, (headers, answer.status_code)
                assert answer.headers["location"] in ("/admin/connexion", "/en/admin/sign-in")
            else:
                assert answer.status_code == 401, (headers, answer.status_code)
        return
    if rule == CENTRE_WEB:  # no centre session: the sign-in page, or 401, whatever key
        for headers in ({}, *keys.values()):
            answer = client.request(method, url, headers=headers, data={}, follow_redirects=False)
            if method == "GET":
                assert answer.status_code == 303, (headers, answer.status_code)
                assert answer.headers["location"] in ("/boite/connexion", "/en/inbox/sign-in")
            else:
                assert answer.status_code in (401, 403), (headers, answer.status_code)
        return
    if rule == FORM:  # no CSRF token: refused to everyone, whatever key comes along
        for headers in ({}, *keys.values()):
            assert client.request(method, url, headers=headers, data={}).status_code == 403
        return
    for who in (None, ADMIN, CENTRE, PARTNER):
        headers = keys[who] if who else {}
        status = client.request(method, url, headers=headers, json={}).status_code
        if who in ALLOWED[rule]:
            assert status not in (401, 403), (who, status)
        else:
            assert status == (401 if who is None else 403), (who, status)
    forged = client.request(method, url, headers=keys["forged"], json={}).status_code
    assert (forged == 401) == (rule != PUBLIC), forged
