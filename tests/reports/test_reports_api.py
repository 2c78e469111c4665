"""The report routes: access, JSON and CSV, suppression in public, and every bad input."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.helpers.db import both_backends, make_key
from tests.helpers.factories import centre_record
from tests.helpers.history import History, write_history

PROBLEM = "application/problem+json"
PERIOD = {"from": "2026-10-01", "to": "2026-11-30"}


@pytest.fixture
def history(engine: Engine) -> History:
    return write_history(engine)


def parse_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@both_backends
def test_admin_report_json_and_csv(
    client: TestClient, admin_headers: dict[str, str], history: History
) -> None:
    answer = client.get("/v1/admin/reports/referrals", params=PERIOD, headers=admin_headers)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert (doc["from"], doc["to"], doc["by"], doc["timezone"]) == (
        "2026-10-01", "2026-11-30", "region", "America/Toronto")  # fmt: skip
    requests = {r["key"]: r["requests"] for r in doc["rows"]}
    assert len(requests) == 17 and requests["04"] == 4 and requests["06"] == 2
    assert sum(requests.values()) == 6  # every region is listed, the empty ones with 0
    as_csv = client.get("/v1/admin/reports/referrals", params={**PERIOD, "by": "month"},
                        headers={**admin_headers, "Accept": "text/csv"})  # fmt: skip
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    lines = parse_csv(as_csv.text)
    assert [line["key"] for line in lines] == ["2026-10", "2026-11", "total"]
    assert lines[0]["requests"] == "5" and lines[2]["declined_by_reason.no_capacity"] == "2"
    assert lines[2]["hours_to_first_answer.answers"] == "7"


def test_admin_report_needs_an_admin_key(
    client: TestClient, engine: Engine, partner_headers: dict[str, str]
) -> None:
    assert client.get("/v1/admin/reports/referrals").status_code == 401
    forbidden = client.get("/v1/admin/reports/referrals", headers=partner_headers)
    assert forbidden.status_code == 403 and forbidden.headers["content-type"] == PROBLEM


@both_backends
def test_public_stats_are_suppressed_and_rounded(client: TestClient, history: History) -> None:
    answer = client.get("/v1/stats", params=PERIOD)
    assert answer.status_code == 200 and "max-age" in answer.headers["cache-control"]
    doc = answer.json()
    by_key = {r["key"]: r for r in doc["rows"]}
    for row in [by_key["04"], by_key["06"], doc["total"]]:
        # Every count of the hand-counted history is under 10: all withheld.
        assert row["requests"] is None and row["suppressed"] is True
        assert row["hours_to_first_answer"]["median"] is None
    assert by_key["13"]["requests"] == 0 and by_key["13"]["suppressed"] is False
    published = client.get("/v1/stats", params={**PERIOD, "format": "csv"})
    lines = parse_csv(published.text)
    assert lines[-1]["key"] == "total" and lines[-1]["requests"] == ""
    assert "requests" in lines[-1]["suppressed_fields"].split(";")
    staff_view = client.get(
        "/v1/admin/reports/referrals", params={**PERIOD, "publish": "true"},
        headers=make_key(client.app.state.engine, "admin"),  # type: ignore[attr-defined]
    )  # fmt: skip
    assert staff_view.json()["total"]["requests"] is None


def test_stats_refuse_the_centre_grouping(client: TestClient) -> None:
    answer = client.get("/v1/stats", params={"by": "centre"})
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13-01"},
        {"from": "yesterday"},
        {"to": "2026-02-30"},
        {"from": "2026-11-30", "to": "2026-10-01"},
        {"from": "1999-12-31", "to": "2000-01-31"},
        {"from": "2000-01-01", "to": "2026-01-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01"},
        {"by": "person"},
        {"format": "xlsx"},
        {"from": "2026-01-01\x00"},
        {"from": "2026-01-01' OR 1=1 --"},
        {"from": "9" * 5000},
    ],
)
def test_bad_queries_are_problems(client: TestClient, params: dict[str, object]) -> None:
    answer = client.get("/v1/stats", params=params)  # type: ignore[arg-type]
    assert answer.status_code in (400, 422), answer.text  # 400: a NUL in the query string
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["status"] == answer.status_code


def test_csv_cells_cannot_run_as_formulas(
    client: TestClient, engine: Engine, admin_headers: dict[str, str]
) -> None:
    hostile = '=HYPERLINK("https://evil.example.org","clic")'
    record = centre_record("rpt-hostile", name=hostile)
    assert client.post("/v1/admin/centres", json=record, headers=admin_headers).status_code == 201
    consultation = {
        "person": {"first_name": "Léa", "last_name": "Fictive", "email": "lea@example.org",
                   "preferred_contact": "email"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}},
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }  # fmt: skip
    assert client.post("/v1/consultations", json=consultation).status_code == 201
    answer = client.get("/v1/admin/reports/referrals", params={"by": "centre", "format": "csv"},
                        headers=admin_headers)  # fmt: skip
    lines = parse_csv(answer.text)
    names = [line["label_fr"] for line in lines if line["key"] != "total"]
    assert names == ["'" + hostile]
    assert lines[0]["received"] == "1" and lines[0]["routed_at_once"] == "1"


def test_todays_requests_count_at_once(client: TestClient, admin_headers: dict[str, str]) -> None:
    """Days not closed yet are read live from the history: a request is counted at once."""
    doc = {"centres": [centre_record("rpt-live")]}
    imported = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    assert imported.status_code == 200
    before = client.get("/v1/admin/reports/referrals", headers=admin_headers).json()["total"]
    consultation = {
        "person": {"first_name": "Noa", "last_name": "Exemple", "phone": "+1 819 555 0142",
                   "preferred_contact": "phone"},
        "criteria": {"location": {"postal_code": "G9A 1A1"}},
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }  # fmt: skip
    created = client.post("/v1/consultations", json=consultation).json()
    centre = make_key(client.app.state.engine, "centre", "rpt-live")  # type: ignore[attr-defined]
    referral = client.get("/v1/inbox/referrals", headers=centre).json()["items"][0]
    declined = client.post(f"/v1/inbox/referrals/{referral['id']}/decline",
                           json={"reason": "duplicate"}, headers=centre)  # fmt: skip
    assert declined.status_code == 200 and created["status"] == "routed"
    after = client.get("/v1/admin/reports/referrals", headers=admin_headers).json()["total"]
    assert after["requests"] == before["requests"] + 1
    assert after["routed_at_once"] == before["routed_at_once"] + 1
    assert after["declined_by_reason"]["duplicate"] == 1
    assert after["unrouted"] == before["unrouted"] + 1  # its only centre said no
    assert after["hours_to_first_answer"]["answers"] == 1
