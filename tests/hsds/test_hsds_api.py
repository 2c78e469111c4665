"""What the HSDS routes answer: the mapping, the filters, languages, stable ids, and 4xx
problem documents for every bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.hsds import ids
from app.hsds.terms import TAXONOMY_IDS, TERM_ID


def contents(client: TestClient, path: str, **query: Any) -> list[dict[str, Any]]:
    answer = client.get(path, params={"per_page": 1000, **query})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["contents"]
    return items


def by_ref(client: TestClient, ref: str) -> dict[str, Any]:
    orgs = contents(client, "/hsds/organizations", full="true", search=ref)
    found = [o for o in orgs if o["organization_identifiers"][0]["identifier"] == ref]
    assert len(found) == 1
    return found[0]


def test_a_centre_is_one_organization_with_one_service(hsds_client: TestClient) -> None:
    org = by_ref(hsds_client, "hsds-edge-1")
    public = hsds_client.get(f"/v1/centres/{org['id']}").json()
    assert org["name"] == public["name"] and org["email"] == public["email"]
    assert "phones" not in org or org["phones"] == []  # the centre has no phone
    assert [s["id"] for s in org["services"]] == [ids.service_id(org["id"])]
    service = hsds_client.get(f"/hsds/services/{org['services'][0]['id']}").json()
    assert (service["minimum_age"], service["maximum_age"]) == (16, 35)
    assert service["status"] == "active" and "alert" in service  # intake paused
    assert sorted(a["name"] for a in service["service_areas"]) == ["Centre-du-Québec", "Mauricie"]
    links = {(a["link_type"], a["value"]) for a in service["attributes"]}
    assert {("specialty", "job_search"), ("specialty", "career_change")} <= links
    assert {("client_group", "youth"), ("mode", "remote"), ("intake_status", "paused")} <= links
    assert [lang["code"] for lang in service["languages"]] == ["en", "fr"]
    places = service["service_at_locations"]
    assert len(places) == 2
    assert places[0]["location"]["addresses"][0]["postal_code"] == "G9A 1A1"
    assert places[1]["location"]["addresses"] == []  # Shawinigan: no street address given
    assert places[1]["location"]["latitude"] == pytest.approx(46.56, abs=0.1)


def test_public_data_only(hsds_client: TestClient) -> None:
    everything = json.dumps(contents(hsds_client, "/hsds/organizations", full_service="true"))
    for private in ("inbox", "secret", "whsec_", "weekly_capacity", "capacity"):
        assert private not in everything


def test_a_centre_without_description_still_has_one(hsds_client: TestClient) -> None:
    org = by_ref(hsds_client, "hsds-edge-2")
    assert org["description"].startswith("Centre fictif hsds-edge-2")
    english = hsds_client.get(f"/hsds/organizations/{org['id']}", params={"lang": "en"}).json()
    assert "employment counselling centre" in english["description"]


def test_languages_by_parameter_or_header(hsds_client: TestClient) -> None:
    term = TERM_ID[("specialty", "career_change")]
    fr = hsds_client.get(f"/hsds/taxonomy_terms/{term}").json()
    en = hsds_client.get(f"/hsds/taxonomy_terms/{term}", params={"lang": "en"}).json()
    header = hsds_client.get(
        f"/hsds/taxonomy_terms/{term}", headers={"Accept-Language": "en-CA,en;q=0.9"}
    ).json()
    assert (fr["name"], fr["language"]) == ("Réorientation de carrière", "fr")
    assert (en["name"], en["language"]) == ("Career change", "en")
    assert header == en and fr["id"] == en["id"] and fr["code"] == "career_change"
    assert en["taxonomy_detail"]["id"] == TAXONOMY_IDS["specialty"]


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ({"taxonomy_term_id": TERM_ID[("client_group", "youth")]}, "youth"),
        ({"taxonomy_term_id": TERM_ID[("region", "06")]}, "06"),
        ({"taxonomy_id": TAXONOMY_IDS["region"]}, "all"),
    ],
)
def test_taxonomy_filters(hsds_client: TestClient, query: dict[str, str], expect: str) -> None:
    found = contents(hsds_client, "/hsds/services", full="true", **query)
    everything = contents(hsds_client, "/hsds/services")
    if expect == "all":
        assert len(found) == len(everything)
        return
    assert 0 < len(found) < len(everything)
    for service in found:
        codes = {a["value"] for a in service["attributes"]}
        codes |= {a["attributes"][0]["value"] for a in service["service_areas"]}
        assert expect in codes


def test_organization_and_modified_filters(hsds_client: TestClient) -> None:
    org = by_ref(hsds_client, "hsds-edge-1")
    mine = contents(hsds_client, "/hsds/service_at_locations", organization_id=org["id"])
    assert len(mine) == 2 and {s["location"]["organization_id"] for s in mine} == {org["id"]}
    services = contents(hsds_client, "/hsds/services")
    latest = max(s["last_modified"] for s in services)
    recent = contents(hsds_client, "/hsds/services", modified_after=latest)
    # One import writes its centres at one instant: those are the latest, and only those.
    assert recent and {s["last_modified"] for s in recent} == {latest}
    assert contents(hsds_client, "/hsds/services", modified_after="2999-01-01T00:00:00") == []
    assert len(contents(hsds_client, "/hsds/services", modified_after="2000-01-01")) == len(
        services
    )


def test_minimal_services(hsds_client: TestClient) -> None:
    minimal = contents(hsds_client, "/hsds/services", minimal="true")
    assert minimal and all(set(s) == {"id", "last_modified"} for s in minimal)


def test_postcode_keeps_the_services_whose_area_covers_it(hsds_client: TestClient) -> None:
    found = contents(hsds_client, "/hsds/service_at_locations", postcode="g9a 1a1", full="true")
    assert found
    for item in found:
        service = hsds_client.get(f"/hsds/services/{item['service_id']}").json()
        regions = {a["attributes"][0]["value"] for a in service["service_areas"]}
        assert "04" in regions  # G9A is Trois-Rivières, in Mauricie
    everything = contents(hsds_client, "/hsds/service_at_locations")
    assert len(found) < len(everything)


def test_proximity_in_metres_nearest_first(hsds_client: TestClient) -> None:
    near = contents(hsds_client, "/hsds/service_at_locations", postcode="G9A", proximity="20000")
    wider = contents(hsds_client, "/hsds/service_at_locations", postcode="G9A", proximity="90000")
    assert 0 < len(near) < len(wider)
    from app.geo.distance import great_circle_km

    fsa = (46.35, -72.55)
    metres = [
        great_circle_km(*fsa, i["location"]["latitude"], i["location"]["longitude"]) * 1000
        for i in wider
    ]
    assert metres == sorted(metres)
    assert all(m < 20_000 + 3_000 for m in metres[: len(near)])


def test_a_postcode_outside_quebec_is_covered_by_nothing(hsds_client: TestClient) -> None:
    assert contents(hsds_client, "/hsds/service_at_locations", postcode="M5V 2T6") == []


def test_ndjson_streams_every_record(hsds_client: TestClient) -> None:
    answer = hsds_client.get("/hsds/organizations", params={"format": "ndjson", "per_page": 1})
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert len(lines) == 102 and all("id" in line for line in lines)


def hsds_ids(client: TestClient, ref: str) -> list[str]:
    org = next(
        o for o in contents(client, "/hsds/organizations", full="true")
        if o["organization_identifiers"][0]["identifier"] == ref
    )  # fmt: skip
    service = client.get(f"/hsds/services/{org['services'][0]['id']}").json()
    return [
        org["id"], service["id"],
        *[s["id"] for s in service["service_at_locations"]],
        *[s["location_id"] for s in service["service_at_locations"]],
        *[a["id"] for a in service["service_areas"]],
        *[a["id"] for a in service["attributes"]],
    ]  # fmt: skip


def test_ids_are_stable_across_edits_and_restarts(
    client: TestClient, admin_headers: dict[str, str], settings: Any
) -> None:
    from app.main import create_app
    from tests.helpers.factories import centre_record

    doc = {"centres": [centre_record("stable-1")]}
    assert client.post("/v1/admin/centres/import", json=doc, headers=admin_headers).is_success
    before = hsds_ids(client, "stable-1")
    doc["centres"][0]["name"] = "Centre fictif renommé"
    assert client.post("/v1/admin/centres/import", json=doc, headers=admin_headers).is_success
    assert hsds_ids(client, "stable-1") == before  # the locations were rewritten, not the ids
    with TestClient(create_app(settings, embedded_dispatcher=False)) as restarted:
        assert hsds_ids(restarted, "stable-1") == before
    sid = before[1]
    assert client.get(f"/hsds/services/{sid.upper()}").json()["id"] == sid


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/hsds/services", {"page": "0"}),
        ("/hsds/services", {"page": "-1"}),
        ("/hsds/services", {"per_page": "100000"}),
        ("/hsds/services", {"per_page": "abc"}),
        ("/hsds/services", {"format": "csv"}),
        ("/hsds/services", {"modified_after": "yesterday"}),
        ("/hsds/services", {"search": "x" * 5000}),
        ("/hsds/services", {"search": "a\x00b"}),
        ("/hsds/services", {"lang": "de"}),
        ("/hsds/services", {"full": "perhaps"}),
        ("/hsds/service_at_locations", {"postcode": "not a code"}),
        ("/hsds/service_at_locations", {"postcode": "G9A", "proximity": "-5"}),
        ("/hsds/service_at_locations", {"postcode": "G9A", "proximity": "nan"}),
        ("/hsds/service_at_locations", {"postcode": "G9A", "proximity": "1e400"}),
        ("/hsds/service_at_locations", {"postcode": "G9A", "proximity": "ten"}),
        ("/hsds/service_at_locations", {"proximity": "5000"}),
        ("/hsds/taxonomy_terms", {"taxonomy_id": "'; DROP TABLE centre; --" * 5}),
    ],
)
def test_bad_queries_are_4xx_problems(
    hsds_client: TestClient, path: str, query: dict[str, str]
) -> None:
    answer = hsds_client.get(path, params=query)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == answer.status_code


@pytest.mark.parametrize(
    "path",
    ["services", "organizations", "service_at_locations", "taxonomies", "taxonomy_terms"],
)
@pytest.mark.parametrize("record_id", ["00000000-0000-0000-0000-000000000000", "nope", "%00"])
def test_unknown_ids_are_404_problems(hsds_client: TestClient, path: str, record_id: str) -> None:
    answer = hsds_client.get(f"/hsds/{path}/{record_id}")
    assert answer.status_code == (400 if record_id == "%00" else 404)  # NUL: refused up front
    assert answer.headers["content-type"] == "application/problem+json"


def test_writes_are_refused(hsds_client: TestClient) -> None:
    answer = hsds_client.post("/hsds/services", json={})
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_meta_answer_without_a_public_document(db_url: str) -> None:
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(database_url=db_url, public_docs=False)
    with TestClient(create_app(settings, embedded_dispatcher=False)) as client:
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/hsds/").json() == {
            "version": "3.0",
            "profile": "https://docs.openreferral.org/en/3.0/",
        }
