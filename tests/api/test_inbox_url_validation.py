"""Every way an inbox URL comes in refuses a malformed one with a 422 problem naming the
field, in development and in production, and writes nothing (issue 12)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlmodel import Session

from app.main import create_app
from app.models import Centre, InboxEndpoint
from app.settings import Settings
from tests.helpers.db import make_key
from tests.helpers.factories import DEMO_SECRET, centre_record

PROBLEM = "application/problem+json"
BAD_URLS = [
    "http://127.0.0.1:99999/inbox",
    "http://[::1/inbox",
    "http://a..example.org/inbox",
    "http://127.0.0.1/in\x00box",
    "http://127.0.0.1/inbox\r\nX-Evil: 1",
    "https://" + "a" * 64 + ".example.org/",
    "https://inbox.example.org:0/",
    "https://0x7f.1/inbox",
]


@pytest.fixture(params=["development", "production"])
def any_env_client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    env = request.param
    chosen = settings.model_copy(update={"env": env, "secret_key": SecretStr("k" * 40)})
    with TestClient(create_app(chosen, embedded_dispatcher=False)) as client:
        yield client


def _engine(client: TestClient) -> Any:
    return client.app.state.engine  # type: ignore[attr-defined]


def _counts(client: TestClient) -> tuple[int, int]:
    with Session(_engine(client)) as s:
        centres = s.scalar(select(func.count()).select_from(Centre)) or 0
        endpoints = s.scalar(select(func.count()).select_from(InboxEndpoint)) or 0
    return centres, endpoints


def _assert_refused(answer: Any, loc: list[Any]) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    errors = answer.json()["errors"]
    assert any(e["loc"] == loc and e["msg"] for e in errors), errors


@pytest.mark.parametrize("url", BAD_URLS)
def test_admin_create_and_update_refuse_it(any_env_client: TestClient, url: str) -> None:
    client = any_env_client
    headers = make_key(_engine(client), "admin")
    inbox = {"url": url, "secret": DEMO_SECRET}
    answer = client.post("/v1/admin/centres", json=centre_record(inbox=inbox), headers=headers)
    _assert_refused(answer, ["body", "inbox", "url"])
    assert _counts(client) == (0, 0)
    made = client.post("/v1/admin/centres", json=centre_record(), headers=headers)
    assert made.status_code == 201, made.text
    path = f"/v1/admin/centres/{made.json()['id']}"
    _assert_refused(client.patch(path, json={"inbox": inbox}, headers=headers), [
        "body", "inbox", "url"
    ])  # fmt: skip
    assert _counts(client) == (1, 0)


@pytest.mark.parametrize("url", BAD_URLS)
def test_json_and_csv_imports_refuse_it(any_env_client: TestClient, url: str) -> None:
    client = any_env_client
    headers = make_key(_engine(client), "admin")
    good = centre_record("good-1")
    doc = {"centres": [good, centre_record("bad-1", inbox={"url": url, "secret": DEMO_SECRET})]}
    answer = client.post("/v1/admin/centres/import", json=doc, headers=headers)
    if "\x00" in url:
        # A NUL anywhere in an import file refuses the whole file, before any record is read.
        assert answer.status_code in (400, 422), answer.text
    else:
        _assert_refused(answer, ["inbox", "url"])
        assert any(e.get("record") == 2 for e in answer.json()["errors"])  # records count from 1
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ref", "name", "regions_served", "municipality", "inbox_url", "inbox_secret"])
    writer.writerow(["bad-csv", "Centre fictif CSV", "04", "Trois-Rivières", url, DEMO_SECRET])
    csv_headers = {**headers, "content-type": "text/csv"}
    answer = client.post(
        "/v1/admin/centres/import", content=out.getvalue().encode(), headers=csv_headers
    )
    if "\r" in url or "\n" in url or "\x00" in url:
        # A line break inside a cell (quoted), or a NUL anywhere in the file: refused whole.
        assert answer.status_code in (400, 422), answer.text
    else:
        _assert_refused(answer, ["inbox", "url"])
    assert _counts(client) == (0, 0)


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_centre_setting_its_own_inbox_is_refused_it(any_env_client: TestClient, url: str) -> None:
    client = any_env_client
    admin = make_key(_engine(client), "admin")
    assert client.post("/v1/admin/centres", json=centre_record(), headers=admin).status_code == 201
    centre = make_key(_engine(client), "centre", "test-centre-1")
    inbox = {"url": url, "secret": DEMO_SECRET}
    answer = client.patch("/v1/inbox/centre", json={"inbox": inbox}, headers=centre)
    _assert_refused(answer, ["body", "inbox", "url"])
    assert _counts(client) == (1, 0)


def test_a_centre_registers_replaces_and_removes_its_inbox(client: TestClient) -> None:
    admin = make_key(client.app.state.engine, "admin")  # type: ignore[attr-defined]
    assert client.post("/v1/admin/centres", json=centre_record(), headers=admin).status_code == 201
    centre = make_key(client.app.state.engine, "centre", "test-centre-1")  # type: ignore[attr-defined]
    inbox = {"url": "http://127.0.0.1:8765/inbox", "secret": DEMO_SECRET}
    done = client.patch("/v1/inbox/centre", json={"inbox": inbox}, headers=centre)
    assert done.status_code == 200, done.text
    assert done.json()["inbox"] == {"url": inbox["url"], "enabled": True}
    assert "secret" not in done.text
    done = client.patch("/v1/inbox/centre", json={"intake_status": "paused"}, headers=centre)
    assert done.json()["inbox"]["url"] == inbox["url"]  # not given: kept
    done = client.patch("/v1/inbox/centre", json={"inbox": None}, headers=centre)
    assert done.status_code == 200 and done.json()["inbox"] is None
    assert _counts(client) == (1, 0)


def test_production_rules_apply_to_a_centre_patch_too(settings: Settings) -> None:
    production = settings.model_copy(
        update={"env": "production", "secret_key": SecretStr("k" * 40)}
    )
    with TestClient(create_app(production, embedded_dispatcher=False)) as client:
        admin = make_key(_engine(client), "admin")
        assert (
            client.post("/v1/admin/centres", json=centre_record(), headers=admin).status_code == 201
        )
        centre = make_key(_engine(client), "centre", "test-centre-1")
        for url in ("http://inbox.example.org/x", "https://127.0.0.1/x", "https://10.0.0.8/x"):
            inbox = {"url": url, "secret": DEMO_SECRET}
            answer = client.patch("/v1/inbox/centre", json={"inbox": inbox}, headers=centre)
            assert answer.status_code == 422, url
            assert answer.json()["errors"][0]["loc"] == ["body", "inbox", "url"]
        assert _counts(client) == (1, 0)
