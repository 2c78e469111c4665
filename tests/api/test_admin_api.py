"""Staff routes: create, update, deactivate, import, keys; and every bad input they refuse."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.main import create_app
from app.models import Centre, OutboxEvent
from app.settings import Settings
from tests.helpers.db import both_backends, make_key
from tests.helpers.factories import DEMO_SECRET, STRONG_KEY, centre_record, montreal_record

PROBLEM = "application/problem+json"


def create(client: TestClient, headers: dict[str, str], record: dict[str, Any]) -> Any:
    return client.post("/v1/admin/centres", json=record, headers=headers)


def count_centres(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Centre)) or 0


@both_backends
def test_create_then_read_publicly(client: TestClient, admin_headers: dict[str, str]) -> None:
    record = centre_record(inbox={"url": "https://inbox.example.org/x", "secret": DEMO_SECRET})
    created = create(client, admin_headers, record)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["inbox"]["url"] == "https://inbox.example.org/x"
    assert "secret" not in json.dumps(body)
    assert body["locations"][0]["region_code"] == "04"
    public = client.get(f"/v1/centres/{body['id']}")
    assert public.status_code == 200
    assert "inbox" not in public.json() and "weekly_capacity" not in public.json()
    assert public.json()["regions_served"] == ["04", "17"]


def test_location_without_point_is_placed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    record = centre_record(locations=[{"municipality": "Trois-Rivieres"}])
    body = create(client, admin_headers, record).json()
    loc = body["locations"][0]
    assert loc["region_code"] == "04" and 46 < loc["lat"] < 47 and -73 < loc["lon"] < -72


def test_duplicate_ref_is_409(client: TestClient, admin_headers: dict[str, str]) -> None:
    assert create(client, admin_headers, centre_record()).status_code == 201
    again = create(client, admin_headers, centre_record())
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM and again.json()["ref"] == "test-centre-1"


def test_unknown_codes_name_field_and_allowed_values(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    bad = create(client, admin_headers, centre_record(regions_served=["99"], specialties=["foo"]))
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    errors = {tuple(e["loc"]): e["msg"] for e in bad.json()["errors"]}
    assert "06" in errors[("body", "regions_served")]
    assert "job_search" in errors[("body", "specialties")]
    assert count_centres(engine) == 0


def test_unknown_field_refused(client: TestClient, admin_headers: dict[str, str]) -> None:
    bad = create(client, admin_headers, centre_record(active=False, is_admin=True))
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["errors"]} == {"active", "is_admin"}


def test_point_outside_quebec_refused(client: TestClient, admin_headers: dict[str, str]) -> None:
    toronto = [{"municipality": "Trois-Rivières", "lat": 43.65, "lon": -79.38}]
    bad = create(client, admin_headers, centre_record(locations=toronto))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][:3] == ["body", "locations", 0]


def test_malformed_json_is_400(client: TestClient, admin_headers: dict[str, str]) -> None:
    headers = {**admin_headers, "content-type": "application/json"}
    bad = client.post("/v1/admin/centres", content=b'{"ref": "x",', headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "malformed_json"
    assert bad.json()["title"] == "JSON mal formé" and bad.headers["content-language"] == "fr"
    english = client.post(
        "/v1/admin/centres", content=b'{"ref": "x",', headers={**headers, "accept-language": "en"}
    )
    assert english.json()["title"] == "Malformed JSON"


def test_update_and_deactivate(client: TestClient, admin_headers: dict[str, str]) -> None:
    centre_id = create(client, admin_headers, centre_record()).json()["id"]
    patched = client.patch(
        f"/v1/admin/centres/{centre_id}",
        json={"intake_status": "paused", "specialties": ["digital_skills"]},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["specialties"] == ["digital_skills"]
    assert client.get(f"/v1/centres/{centre_id}").json()["intake_status"] == "paused"
    gone = client.delete(f"/v1/admin/centres/{centre_id}", headers=admin_headers)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert client.get(f"/v1/centres/{centre_id}").status_code == 404
    listed = client.get("/v1/admin/centres", headers=admin_headers).json()
    assert listed["total"] == 1 and listed["items"][0]["active"] is False


def test_update_refuses_inverted_ages(client: TestClient, admin_headers: dict[str, str]) -> None:
    centre_id = create(client, admin_headers, centre_record(age_max=30)).json()["id"]
    bad = client.patch(
        f"/v1/admin/centres/{centre_id}", json={"age_min": 40}, headers=admin_headers
    )
    assert bad.status_code == 422
    assert client.get(f"/v1/centres/{centre_id}").json()["age_min"] is None


def test_unknown_id_is_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/v1/admin/centres/{missing}", headers=admin_headers).status_code == 404
    assert client.get("/v1/admin/centres/not-a-uuid", headers=admin_headers).status_code == 422


def test_keys_401_403_and_revocation(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    assert client.get("/v1/admin/centres").status_code == 401
    forged = {"Authorization": "Bearer ttx_forged_key_that_does_not_exist"}
    assert client.get("/v1/admin/centres", headers=forged).status_code == 401
    assert (
        client.get("/v1/admin/centres", headers={"Authorization": "Basic abc"}).status_code == 401
    )
    partner = make_key(engine, "partner")
    assert client.get("/v1/admin/centres", headers=partner).status_code == 403
    made = client.post("/v1/admin/keys", json={"role": "admin"}, headers=admin_headers)
    assert made.status_code == 201
    new_headers = {"Authorization": f"Bearer {made.json()['key']}"}
    assert client.get("/v1/admin/centres", headers=new_headers).status_code == 200
    revoked = client.delete(f"/v1/admin/keys/{made.json()['id']}", headers=admin_headers)
    assert revoked.json()["revoked"] is True
    assert client.get("/v1/admin/centres", headers=new_headers).status_code == 401


def test_centre_key_needs_known_centre(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = {"role": "centre", "centre_ref": "nope"}
    assert client.post("/v1/admin/keys", json=body, headers=admin_headers).status_code == 404


@both_backends
def test_import_json_upserts_by_ref(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    doc = {"centres": [centre_record("a-1"), montreal_record("b-1")]}
    first = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["created"], body["updated"], body["refs"]) == (2, 0, ["a-1", "b-1"])
    assert [c["action"] for c in body["changes"]] == ["new", "new"]
    doc["centres"][0]["name"] = "Nouveau nom fictif"
    second = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers).json()
    # Only the centre that changed counts as updated; the other is reported unchanged.
    assert (second["created"], second["updated"]) == (0, 1)
    assert sorted(c["action"] for c in second["changes"]) == ["unchanged", "updated"]
    assert count_centres(engine) == 2
    names = [c["name"] for c in client.get("/v1/centres?q=nouveau").json()["items"]]
    assert names == ["Nouveau nom fictif"]


def test_import_with_bad_records_imports_nothing(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    doc = {
        "centres": [
            centre_record("ok-1"),
            centre_record("bad-1", languages=["xx"], weekly_capacity=-1),
            centre_record("bad-2", locations=[{"municipality": "Toronto"}]),
            centre_record("ok-1"),
        ]
    }
    bad = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    # Records are counted from 1, as a person counts them.
    assert {(e["record"], e["loc"][0]) for e in errors} == {
        (2, "languages"), (2, "weekly_capacity"), (3, "locations"), (4, "ref"),
    }  # fmt: skip
    assert count_centres(engine) == 0


def test_import_csv(client: TestClient, admin_headers: dict[str, str]) -> None:
    csv_text = (
        "ref,name,languages,regions_served,specialties,client_groups,municipality,postal_code\n"
        "csv-1,Centre CSV fictif,fr;en,06,job_search;career_change,general;youth,Montréal,H2X 1Y4\n"
    )
    headers = {**admin_headers, "content-type": "text/csv"}
    done = client.post("/v1/admin/centres/import", content=csv_text.encode(), headers=headers)
    assert done.status_code == 200, done.text
    found = client.get("/v1/centres?region=06").json()["items"][0]
    assert found["languages"] == ["en", "fr"] and found["client_groups"] == ["general", "youth"]


def test_import_rejects_broken_files(client: TestClient, admin_headers: dict[str, str]) -> None:
    url = "/v1/admin/centres/import"
    as_json = {**admin_headers, "content-type": "application/json"}
    assert client.post(url, content=b"{not json", headers=as_json).status_code == 422
    assert client.post(url, content=b'{"centres": 3}', headers=as_json).status_code == 422
    assert client.post(url, content=b"\xff\xfe\x00", headers=as_json).status_code == 422
    as_csv = {**admin_headers, "content-type": "text/csv"}
    assert client.post(url, content=b"name\nx\n", headers=as_csv).status_code == 422


def test_oversized_body_is_413(client: TestClient, admin_headers: dict[str, str]) -> None:
    huge = centre_record(description_fr="x" * 300_000)
    bad = client.post("/v1/admin/centres", json=huge, headers=admin_headers)
    assert bad.status_code == 413 and bad.headers["content-type"] == PROBLEM


def test_production_refuses_inboxes_that_reach_inside(settings: Settings) -> None:
    production = settings.model_copy(
        update={"env": "production", "secret_key": SecretStr(STRONG_KEY)}
    )
    with TestClient(create_app(production, embedded_dispatcher=False)) as client:
        headers = make_key(client.app.state.engine, "admin")  # type: ignore[attr-defined]
        for url in ("https://127.0.0.1/x", "http://inbox.example.org/x", "https://10.0.0.8/x",
                    "https://[::ffff:169.254.169.254]/x", "https://localhost/x"):  # fmt: skip
            inbox = {"url": url, "secret": DEMO_SECRET}
            bad = create(client, headers, centre_record(inbox=inbox))
            assert bad.status_code == 422, url
            assert bad.json()["errors"][0]["loc"] == ["body", "inbox", "url"]
        doc = {
            "centres": [centre_record(inbox={"url": "https://192.168.0.2/", "secret": DEMO_SECRET})]
        }
        bad = client.post("/v1/admin/centres/import", json=doc, headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["inbox", "url"]
        public = {"url": "https://93.184.215.14/ttx", "secret": DEMO_SECRET}
        assert create(client, headers, centre_record(inbox=public)).status_code == 201


def test_removing_an_inbox_turns_queued_webhooks_into_pull(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    inbox = {"url": "http://127.0.0.1:9/never", "secret": DEMO_SECRET}
    centre = create(client, admin_headers, centre_record(inbox=inbox)).json()
    request = {
        "person": {"first_name": "Noé", "last_name": "Exemple", "email": "noe@example.org"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}},
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }
    assert client.post("/v1/consultations", json=request).status_code == 201
    with Session(engine) as s:
        assert [e.status for e in s.scalars(select(OutboxEvent))] == ["pending"]
    patched = client.patch(f"/v1/admin/centres/{centre['id']}", json={"inbox": None},
                           headers=admin_headers)  # fmt: skip
    assert patched.status_code == 200 and patched.json()["inbox"] is None
    with Session(engine) as s:
        assert [e.status for e in s.scalars(select(OutboxEvent))] == ["pull"]
