"""The geography routes, through the real app: answers, problem documents, OpenAPI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.helpers.factories import centre_record

PROBLEM = "application/problem+json"


def test_resolve_a_municipality(client: TestClient) -> None:
    response = client.get("/v1/locations/resolve", params={"q": "trois rivieres"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["query"] == "trois rivieres"
    assert body["best"]["municipality_code"] == "37067"
    assert body["best"]["region_code"] == "04"
    assert body["candidates"] == []


def test_resolve_an_ambiguous_name_lists_candidates(client: TestClient) -> None:
    body = client.get("/v1/locations/resolve", params={"q": "Saint-Donat"}).json()
    assert body["status"] == "ambiguous" and body["best"] is None
    assert sorted(c["region_code"] for c in body["candidates"]) == ["01", "14"]


def test_resolve_a_postal_code(client: TestClient) -> None:
    body = client.get("/v1/locations/resolve", params={"q": "g8t2a1"}).json()
    assert body["best"]["kind"] == "postal_code" and body["best"]["region_code"] == "04"


@pytest.mark.parametrize(
    ("q", "slug"),
    [
        ("K1A 0B1", "location-outside-quebec"),
        ("M5V 3L9", "location-outside-quebec"),
        ("zzqxv", "location-not-found"),
        ("!!!", "location-not-found"),
        ("99999", "location-not-found"),
    ],
)
def test_resolve_refuses_clearly(client: TestClient, q: str, slug: str) -> None:
    response = client.get("/v1/locations/resolve", params={"q": q})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["type"].endswith(slug) and problem["detail"] and problem["candidates"] == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}])
def test_resolve_validates_the_query(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/v1/locations/resolve", params=params)
    assert response.status_code == 422 and response.json()["errors"]


def test_region_lookup(client: TestClient) -> None:
    response = client.get("/v1/regions/lookup", params={"lat": 46.343, "lon": -72.543})
    assert response.status_code == 200
    assert response.json() == {
        "code": "04",
        "name_fr": "Mauricie",
        "name_en": "Mauricie",
        "lat": 46.343,
        "lon": -72.543,
    }


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"lat": 45.4215, "lon": -75.6972}, 422),  # Ottawa
        ({"lat": 91, "lon": -72}, 422),
        ({"lat": 46, "lon": -181}, 422),
        ({"lat": "north", "lon": -72}, 422),
        ({"lat": 46}, 422),
    ],
)
def test_region_lookup_refuses(client: TestClient, params: dict, status: int) -> None:
    response = client.get("/v1/regions/lookup", params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)


def test_one_region_with_its_geometry(client: TestClient) -> None:
    response = client.get("/v1/regions/09")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["name_fr"]) == ("09", "Côte-Nord")
    assert body["geometry"]["type"] == "MultiPolygon"
    assert body["centre_count"] == 0  # an empty directory


@pytest.mark.parametrize("code", ["18", "00", "abc", "4"])
def test_unknown_region_is_404(client: TestClient, code: str) -> None:
    response = client.get(f"/v1/regions/{code}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


def test_openapi_documents_the_routes_with_examples(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    resolve = paths["/v1/locations/resolve"]["get"]
    assert set(resolve["parameters"][0]["examples"]) >= {"fr", "en"}
    assert "/v1/regions/lookup" in paths and "/v1/regions/{code}" in paths


def test_region_counts_the_centres_that_serve_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    doc = {"centres": [centre_record("geo-count-1"), centre_record("geo-count-2")]}
    imported = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    assert imported.status_code == 200, imported.text
    assert client.get("/v1/regions/04").json()["centre_count"] == 2
    assert client.get("/v1/regions/06").json()["centre_count"] == 0


def test_import_places_locations_through_the_resolver(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    far = centre_record(
        "geo-far-1",
        locations=[
            {
                "address": "1 rue Fictive",
                "municipality": "Trois-Rivières",
                "postal_code": None,
                "lat": 45.5019,
                "lon": -73.5674,
            }
        ],
    )
    outside = centre_record(
        "geo-out-1",
        locations=[
            {
                "address": "1 Fictive St",
                "municipality": None,
                "postal_code": None,
                "lat": 45.4215,
                "lon": -75.6972,
            }
        ],
    )
    refused = client.post(
        "/v1/admin/centres/import", json={"centres": [far, outside]}, headers=admin_headers
    )
    assert refused.status_code == 422, refused.text
    far_error, outside_error = refused.json()["errors"]
    assert far_error["type"] == "point_far_from_municipality"
    assert "km de Trois-Rivières" in far_error["msg"]
    assert outside_error["type"] == "point_outside_quebec"
    assert "hors du Québec" in outside_error["msg"]


def test_resolve_a_former_municipality(client: TestClient) -> None:
    body = client.get("/v1/locations/resolve", params={"q": "Sainte-Foy"}).json()
    assert body["status"] == "ok"
    assert body["best"]["label"] == "Sainte-Foy (Québec)" and body["best"]["kind"] == "locality"
    assert (body["best"]["municipality_code"], body["best"]["region_code"]) == ("23027", "03")


def test_a_made_up_name_is_not_answered(client: TestClient) -> None:
    body = client.get("/v1/locations/resolve", params={"q": "Xyzville"}).json()
    assert body["status"] == "ambiguous" and body["best"] is None
    assert all(c["confidence"] < 0.7 for c in body["candidates"])


def test_a_match_from_a_former_municipality_is_placed_there(client: TestClient) -> None:
    answer = client.post("/v1/matches", json={"location": {"municipality": "Sainte-Foy"}})
    assert answer.status_code == 200, answer.text
    location = answer.json()["location"]
    assert location["label"] == "Sainte-Foy (Québec)" and location["region_code"] == "03"
    unsure = client.post("/v1/matches", json={"location": {"municipality": "Xyzville"}})
    assert unsure.status_code == 422 and unsure.headers["content-type"] == PROBLEM
    assert unsure.json()["type"].endswith("location-ambiguous")


@pytest.mark.parametrize(
    ("headers", "params", "title", "detail"),
    [
        ({}, {}, "Lieu introuvable", "Aucune municipalité"),
        ({"Accept-Language": "en-CA,en;q=0.9"}, {}, "Location not found", "No Québec"),
        ({"Accept-Language": "en"}, {"lang": "fr"}, "Lieu introuvable", "Aucune municipalité"),
        ({}, {"lang": "en"}, "Location not found", "No Québec"),
    ],
)
def test_location_problems_are_french_first(
    client: TestClient, headers: dict[str, str], params: dict[str, str], title: str, detail: str
) -> None:
    answer = client.get("/v1/locations/resolve", params={"q": "zzqxv", **params}, headers=headers)
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["title"] == title and problem["detail"].startswith(detail)
    assert problem["type"].endswith("location-not-found")  # the stable code, in any language
