"""The committed demo directory (data/demo_centres.json) and the script that writes it."""

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.geo import get_resolver, great_circle_km
from app.taxonomy import (
    CLIENT_GROUP_CODES,
    INTAKE_STATUSES,
    LANGUAGE_CODES,
    MODE_CODES,
    REGION_CODES,
    SPECIALTY_CODES,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "demo_centres.json"
SCRIPT = ROOT / "scripts" / "build_demo_directory.py"
REFERENCE = ROOT.parent / "shared" / "reference"
FIELDS = {
    "ref", "name", "email", "phone", "website", "description_fr", "description_en",
    "languages", "modes", "intake_status", "weekly_capacity", "regions_served",
    "specialties", "client_groups", "age_min", "age_max", "locations",
}  # fmt: skip
LOCATION_FIELDS = {"address", "municipality", "postal_code", "lat", "lon"}


@pytest.fixture(scope="module")
def centres() -> list[dict[str, Any]]:
    document = json.loads(DATA.read_text(encoding="utf-8"))
    assert list(document) == ["centres"]
    return document["centres"]


def test_about_one_hundred_centres_with_unique_refs_and_names(centres):
    assert 90 <= len(centres) <= 110
    assert len({c["ref"] for c in centres}) == len(centres)
    assert len({c["name"] for c in centres}) == len(centres)


def test_every_record_has_the_import_fields_and_no_inbox(centres):
    for centre in centres:
        assert set(centre) == FIELDS, centre["ref"]
        assert len(centre["locations"]) == 1
        assert set(centre["locations"][0]) == LOCATION_FIELDS


def test_sixteen_regions_are_served_and_nord_du_quebec_is_not(centres):
    served = {code for c in centres for code in c["regions_served"]}
    assert served == REGION_CODES - {"10"}


def test_every_region_has_an_open_generalist(centres):
    open_generalists = Counter(
        code
        for c in centres
        if c["intake_status"] == "open" and "general" in c["client_groups"]
        for code in c["regions_served"]
    )
    assert set(open_generalists) == REGION_CODES - {"10"}


def test_every_code_is_canonical(centres):
    for c in centres:
        assert set(c["languages"]) <= LANGUAGE_CODES, c["ref"]
        assert set(c["modes"]) <= MODE_CODES and "in_person" in c["modes"], c["ref"]
        assert set(c["specialties"]) <= SPECIALTY_CODES, c["ref"]
        assert set(c["client_groups"]) <= CLIENT_GROUP_CODES, c["ref"]
        assert set(c["regions_served"]) <= REGION_CODES, c["ref"]
        assert c["intake_status"] in INTAKE_STATUSES
        assert 3 <= len(c["specialties"]) <= 7, c["ref"]
        assert 5 <= c["weekly_capacity"] <= 40


def test_languages_french_everywhere_english_for_about_a_third(centres):
    assert all(c["languages"][0] == "fr" for c in centres)
    english = sum("en" in c["languages"] for c in centres)
    assert 0.25 <= english / len(centres) <= 0.45
    assert any(set(c["languages"]) - {"fr", "en"} for c in centres)


def test_mix_of_generalists_specialists_and_paused_centres(centres):
    generalists = sum("general" in c["client_groups"] for c in centres)
    assert 0.45 <= generalists / len(centres) <= 0.65
    assert 3 <= sum(c["intake_status"] == "paused" for c in centres) <= 8
    for c in centres:
        if c["client_groups"] in (["youth"], ["youth", "social_assistance"]):
            assert (c["age_min"], c["age_max"]) == (16, 35), c["ref"]
        if c["client_groups"][0] == "experienced_workers":
            assert c["age_min"] == 50, c["ref"]
        if "immigrants" in c["client_groups"]:
            assert "newcomer_integration" in c["specialties"], c["ref"]


def test_coordinates_lie_in_quebec(centres):
    for c in centres:
        loc = c["locations"][0]
        assert 44.9 <= loc["lat"] <= 62.7 and -79.8 <= loc["lon"] <= -57.0, c["ref"]


def test_no_two_centres_share_a_point(centres):
    points = Counter((c["locations"][0]["lat"], c["locations"][0]["lon"]) for c in centres)
    assert points.most_common(1)[0][1] == 1


def test_each_centre_lies_in_a_region_it_serves(centres):
    region_at = get_resolver().region_at
    for c in centres:
        loc = c["locations"][0]
        assert region_at(loc["lat"], loc["lon"]) in c["regions_served"], c["ref"]


def test_centres_of_one_town_are_spread_out_but_stay_near_it(centres):
    by_town: dict[str, list[tuple[float, float]]] = {}
    for c in centres:
        loc = c["locations"][0]
        by_town.setdefault(loc["municipality"], []).append((loc["lat"], loc["lon"]))
    assert len(by_town["Montréal"]) == 16
    for town, points in by_town.items():
        first, *others = points
        for i, point in enumerate(others):
            assert 0.5 <= great_circle_km(*first, *point) <= 8.5, town
            for other in others[i + 1 :]:
                assert great_circle_km(*point, *other) >= 0.5, town


def test_contact_details_are_synthetic(centres):
    for i, c in enumerate(centres):
        assert c["email"] == f"accueil@{c['ref']}.example.org"
        assert c["website"] == f"https://{c['ref']}.example.org"
        assert re.fullmatch(r"\+1 (418|438|450|514|579|581|819|873) 555 01\d\d", c["phone"])
        assert re.fullmatch(r"[GHJ]\d[A-Z] \d[A-Z]\d", c["locations"][0]["postal_code"])
        assert "fictif" in c["description_fr"] and "Fictitious" in c["description_en"]
    assert len({c["phone"] for c in centres}) == len(centres)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference is not available")
def test_script_output_is_byte_identical(tmp_path):
    output = tmp_path / "demo_centres.json"
    args = [sys.executable, str(SCRIPT), "--reference", str(REFERENCE), "--output", str(output)]
    subprocess.run(args, check=True, capture_output=True, cwd=tmp_path)
    assert output.read_bytes() == DATA.read_bytes()
