"""Hints: a region, a municipality, a postal code or a point given with a name tells
homonyms apart, is never ignored, and import follows the same rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.geo import Ambiguous, OutsideQuebec, get_resolver
from app.geo.resolver import Resolver
from tests.helpers.factories import centre_record

LANAUDIERE_DONAT = "62060"  # Saint-Donat (Matawinie)
MITIS_DONAT = "09030"  # Saint-Donat (La Mitis)


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return get_resolver()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Saint-Donat (Lanaudière)", LANAUDIERE_DONAT),
        ("Saint-Donat, Bas-Saint-Laurent", MITIS_DONAT),
        ("Saint-Donat, J0T 2C0", LANAUDIERE_DONAT),
        ("Saint-Donat, G0J 1A0", MITIS_DONAT),
        ("Saint-Michel, H2A 1A1", "66023"),
        ("Saint-Laurent, Montréal", "66023"),
    ],
)
def test_free_text_hints_pick_the_homonym(resolver: Resolver, typed: str, code: str) -> None:
    result = resolver.resolve(typed)
    assert result.status == "ok" and result.best is not None, result
    assert result.best.municipality_code == code


@pytest.mark.parametrize(
    "typed", ["Sherbrooke (Lanaudière)", "Saint-Donat (Gaspésie)", "Sherbrooke, G1V 1A1"]
)
def test_a_hint_that_contradicts_the_name_is_not_ignored(resolver: Resolver, typed: str) -> None:
    result = resolver.resolve(typed)
    assert result.status == "ambiguous" and result.best is None
    assert result.candidates  # the places the name alone would give, to choose from


@pytest.mark.parametrize(
    ("where", "code"),
    [
        ({"postal_code": "J0T 2C0"}, LANAUDIERE_DONAT),
        ({"postal_code": "G0J 1A0"}, MITIS_DONAT),
        ({"lat": 46.32, "lon": -74.22}, LANAUDIERE_DONAT),
        ({"lat": 48.50, "lon": -68.25}, MITIS_DONAT),
    ],
)
def test_structured_hints_pick_the_homonym(
    resolver: Resolver, where: dict[str, Any], code: str
) -> None:
    assert resolver.place(municipality="Saint-Donat", **where).municipality_code == code


def test_without_a_hint_a_homonym_is_an_error_naming_the_field(resolver: Resolver) -> None:
    with pytest.raises(Ambiguous) as caught:
        resolver.place(municipality="Saint-Donat")
    assert caught.value.extra["field"] == "municipality"
    assert {c.municipality_code for c in caught.value.candidates} >= {
        LANAUDIERE_DONAT,
        MITIS_DONAT,
    }


def test_hints_never_confirm_a_guess(resolver: Resolver) -> None:
    # Dixville is in Estrie, like J1H: still no reason to take "Xyzville" for it.
    with pytest.raises(Ambiguous) as caught:
        resolver.place(municipality="Xyzville", postal_code="J1H 1A1")
    assert "avec certitude" in caught.value.detail
    assert "for sure" in caught.value.text("en")
    with pytest.raises(Ambiguous):
        resolver.place(municipality="Xyzville", lat=45.07, lon=-71.77)


def test_an_fsa_missing_from_the_reference_gives_way(resolver: Resolver) -> None:
    assert "H0Z" not in resolver.fsas
    point = resolver.place(postal_code="H0Z 1A1", lat=45.5, lon=-73.6)
    assert point.region_code == "06" and point.kind == "point"
    town = resolver.place(postal_code="H0Z 1A1", municipality="Laval")
    assert town.municipality_code == "65005"
    with pytest.raises(OutsideQuebec) as caught:
        resolver.place(postal_code="K1A 0B1", lat=45.5, lon=-73.6)
    assert caught.value.extra["field"] == "postal_code"


def test_a_point_keeps_the_municipality_of_its_postal_code(resolver: Resolver) -> None:
    place = resolver.place(postal_code="G9A 1A1", lat=46.34, lon=-72.55)
    assert place.kind == "point" and place.region_code == "04"
    assert place.municipality_code == "37067"


def import_doc(*locations: dict[str, Any]) -> dict[str, Any]:
    return {
        "centres": [
            centre_record(f"hint-{i}", locations=[where]) for i, where in enumerate(locations)
        ]
    }


def test_import_tells_homonyms_apart_by_postal_code_or_point(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    doc = import_doc(
        {"municipality": "Saint-Donat", "postal_code": "J0T 2C0"},
        {"municipality": "Saint-Donat", "lat": 48.50, "lon": -68.25},
        {"municipality": "Sainte-Foy", "address": "100 rue Exemple"},
        {"postal_code": "H0Z 1A1", "lat": 45.5, "lon": -73.6},
    )
    answer = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    assert answer.status_code == 200, answer.text
    centres = client.get("/v1/centres", params={"limit": 100}).json()["items"]
    by_ref = {c["ref"]: c["locations"][0] for c in centres}
    assert by_ref["hint-0"]["region_code"] == "14"
    assert by_ref["hint-1"]["region_code"] == "01"
    assert by_ref["hint-2"]["region_code"] == "03"
    assert by_ref["hint-3"]["region_code"] == "06"


def test_import_refuses_a_guess_and_names_the_row_and_field(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    doc = import_doc(
        {"municipality": "Trois-Rivières"},
        {"municipality": "Xyzville"},
        {"municipality": "Saint-Donat"},
        {"municipality": "Trois-Rivières", "postal_code": "K1A 0B1"},
    )
    answer = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    errors = {(e["record"], tuple(e["loc"])) for e in answer.json()["errors"]}
    assert errors == {
        (2, ("locations", 0, "municipality")),  # records count from 1
        (3, ("locations", 0, "municipality")),
        (4, ("locations", 0, "postal_code")),
    }
    assert client.get("/v1/centres").json()["items"] == []
