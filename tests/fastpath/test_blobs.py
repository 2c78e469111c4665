"""Documents kept serialised are the documents the plain serialisation gives, and a new
directory snapshot gives a new map layer."""

from __future__ import annotations

import gc
import json
import weakref
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.errors import NotFound
from app.fastpath.blobs import centres_geojson, region_document
from app.geo import get_resolver
from app.matching import MatchIndex
from app.routers.geo import RegionOut
from app.services.directory_index import Directory
from tests.helpers.intake import three_centres


@pytest.mark.parametrize("code", sorted(get_resolver().regions))
def test_region_document_is_the_response_models(code: str) -> None:
    resolver = get_resolver()
    region = resolver.regions[code]
    counts = {code: 7, "99": 1}
    plain = RegionOut(
        code=region.code,
        name_fr=region.name_fr,
        name_en=region.name_en,
        centre_count=7,
        geometry=resolver.region_geometry(code),
    ).model_dump(mode="json")
    for _ in range(2):  # serialised, then kept
        assert json.loads(region_document(code, counts)) == plain
    assert json.loads(region_document(code, {}))["centre_count"] == 0


@pytest.mark.parametrize("code", ["00", "18", "9", "", "04 ", "0\u0664"])
def test_unknown_region_is_not_found_and_not_kept(code: str) -> None:
    with pytest.raises(NotFound):
        region_document(code, {})
    with pytest.raises(NotFound):
        region_document(code, {})


def test_map_layer_follows_the_directory(client: TestClient, admin_headers: dict[str, str]) -> None:
    empty = client.get("/v1/centres.geojson")
    assert empty.status_code == 200 and empty.json() == {
        "type": "FeatureCollection",
        "features": [],
    }
    imported = client.post("/v1/admin/centres/import", json=three_centres(), headers=admin_headers)
    assert imported.status_code == 200, imported.text
    layer = client.get("/v1/centres.geojson")
    assert layer.headers["content-type"] == "application/geo+json"
    features = layer.json()["features"]
    listed = client.get("/v1/centres", params={"limit": 100}).json()["items"]
    assert {f["properties"]["centre_id"] for f in features} == {c["id"] for c in listed}
    for feature in features:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"


def test_a_kept_layer_does_not_keep_its_snapshot() -> None:
    profiles: list[Any] = []
    snapshot = Directory(1, [], MatchIndex(profiles), {})
    assert json.loads(centres_geojson(snapshot)) == {"type": "FeatureCollection", "features": []}
    assert centres_geojson(snapshot) is centres_geojson(snapshot)
    gone = weakref.ref(snapshot)
    del snapshot
    gc.collect()
    assert gone() is None
