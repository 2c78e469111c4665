"""Public directory reads: regions, taxonomy, search filters, pagination, detail."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers.db import both_backends
from tests.helpers.factories import centre_record, montreal_record

PROBLEM = "application/problem+json"


def seed(client: TestClient, headers: dict[str, str]) -> None:
    doc = {
        "centres": [
            centre_record("tr-1", name="Carrefour fictif de Trois-Rivières"),
            montreal_record("mtl-1", name="Accueil fictif Montréal", client_groups=["youth"],
                            languages=["fr", "es"], age_min=16, age_max=35),
            montreal_record("mtl-2", name="Boussole fictive Montréal",
                            specialties=["self_employment"]),
            montreal_record("mtl-3", name="Cap fictif Montréal", intake_status="paused"),
        ]
    }  # fmt: skip
    assert client.post("/v1/admin/centres/import", json=doc, headers=headers).status_code == 200


@both_backends
def test_search_filters(client: TestClient, admin_headers: dict[str, str]) -> None:
    seed(client, admin_headers)

    def refs(query: str) -> list[str]:
        answer = client.get(f"/v1/centres?{query}")
        assert answer.status_code == 200, answer.text
        return [c["ref"] for c in answer.json()["items"]]

    assert refs("region=06") == ["mtl-1", "mtl-2", "mtl-3"]
    assert refs("region=17") == ["tr-1"]
    assert refs("region=06&specialty=self_employment") == ["mtl-2"]
    assert refs("client_group=youth") == ["mtl-1"]
    assert refs("language=es") == ["mtl-1"]
    assert refs("q=TROIS-RIVIERES") == ["tr-1"]
    assert refs("q=montreal&region=04") == []


def test_pagination_says_total(client: TestClient, admin_headers: dict[str, str]) -> None:
    seed(client, admin_headers)
    page = client.get("/v1/centres?region=06&limit=2&offset=2").json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 2)
    assert [c["ref"] for c in page["items"]] == ["mtl-3"]


def test_bad_queries_are_422_with_allowed_values(client: TestClient) -> None:
    for query, field in [
        ("region=99", "region"), ("specialty=foo", "specialty"),
        ("client_group=x", "client_group"), ("language=zz", "language"),
        ("limit=0", "limit"), ("limit=1000", "limit"), ("offset=-1", "offset"),
    ]:  # fmt: skip
        answer = client.get(f"/v1/centres?{query}")
        assert answer.status_code == 422, query
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["errors"][0]["loc"] == ["query", field]
    assert "06" in client.get("/v1/centres?region=99").json()["errors"][0]["msg"]


def test_detail_unknown_is_404(client: TestClient) -> None:
    missing = client.get("/v1/centres/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert client.get("/v1/centres/abc").status_code == 422
    assert client.get("/v1/nothing-here").status_code == 404


def test_regions_count_centres(client: TestClient, admin_headers: dict[str, str]) -> None:
    seed(client, admin_headers)
    listed = client.get("/v1/regions").json()
    assert listed["total"] == 17
    regions = {r["code"]: r for r in listed["items"]}
    assert len(regions) == 17
    assert (regions["06"]["centre_count"], regions["04"]["centre_count"]) == (3, 1)
    assert regions["10"]["centre_count"] == 0 and regions["05"]["name_en"] == "Eastern Townships"


def test_taxonomy_is_bilingual(client: TestClient) -> None:
    tax = client.get("/v1/taxonomy").json()
    assert len(tax["specialties"]) == 12 and len(tax["client_groups"]) == 12
    youth = next(g for g in tax["client_groups"] if g["code"] == "youth")
    assert youth == {"code": "youth", "fr": "Jeunes (16–35 ans)", "en": "Youth (16–35)"}
    assert "no_capacity" in tax["decline_reasons"]


def test_geojson_lists_points(client: TestClient, admin_headers: dict[str, str]) -> None:
    seed(client, admin_headers)
    doc = client.get("/v1/centres.geojson").json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 4
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 44 < lat < 63 and -80 < lon < -57


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_openapi_documents_examples(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "/v1/centres" in doc["paths"] and "/v1/admin/centres/import" in doc["paths"]
    examples = doc["paths"]["/v1/admin/centres"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert set(examples) == {"fr", "en"}
