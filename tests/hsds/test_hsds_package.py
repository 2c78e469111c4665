"""`ttx export --format hsds` writes a valid HSDS 3.0 data package, and importing it back
gives the same directory (round trip through the real command line, on a fresh database)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.services import importer
from app.services.centres import Rules
from app.settings import Settings
from tests.helpers.factories import centre_record
from tests.helpers.hsds import errors, nulls, seed, validator

ROOT = Path(__file__).resolve().parents[2]
# What HSDS carries of a centre (not its capacity, nor its inbox; one language of description).
COMPARED = ("ref", "name", "email", "phone", "website", "description_fr", "languages", "modes",
            "intake_status", "regions_served", "specialties", "client_groups", "age_min",
            "age_max")  # fmt: skip


def ttx(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TTX_DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def fresh_db(template: Path, folder: Path, name: str) -> str:
    path = folder / name
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def directory(db_url: str) -> dict[str, dict[str, Any]]:
    app = create_app(Settings(database_url=db_url), embedded_dispatcher=False)
    with TestClient(app) as client:
        items = client.get("/v1/centres", params={"limit": 100, "offset": 0}).json()["items"]
        items += client.get("/v1/centres", params={"limit": 100, "offset": 100}).json()["items"]
    return {c["ref"]: c for c in items}


def comparable(centre: dict[str, Any]) -> dict[str, Any]:
    places = [
        (loc["address"], loc["municipality"], loc["postal_code"], round(loc["lat"], 5),
         round(loc["lon"], 5), loc["region_code"])
        for loc in centre["locations"]
    ]  # fmt: skip
    return {**{k: centre[k] for k in COMPARED}, "locations": places}


@pytest.mark.slow
def test_export_validates_and_imports_back(sqlite_template: Path, tmp_path: Path) -> None:
    source = fresh_db(sqlite_template, tmp_path, "source.db")
    seed(Settings(database_url=source))
    out = tmp_path / "directory.hsds.json"
    done = ttx(source, "export", "--format", "hsds", str(out))
    assert done.returncode == 0, done.stderr
    package = json.loads(out.read_text(encoding="utf-8"))
    assert errors(validator("compiled/tabular.json"), package) == []
    assert nulls(package) == []
    assert len(package["organization"]) == len(package["service"]) == 102

    target = fresh_db(sqlite_template, tmp_path, "target.db")
    done = ttx(target, "import", str(out))
    assert done.returncode == 0, done.stderr
    before, after = directory(source), directory(target)
    assert sorted(before) == sorted(after)
    for ref, centre in before.items():
        assert comparable(after[ref]) == comparable(centre), ref


def test_an_existing_centre_keeps_what_hsds_does_not_carry(
    client: TestClient, admin_headers: dict[str, str], engine: Any
) -> None:
    from app.hsds import package
    from app.services.directory_index import DirectoryIndex

    record = centre_record("keeps-1", weekly_capacity=33, description_en="Kept in English.")
    assert client.post(
        "/v1/admin/centres/import", json={"centres": [record]}, headers=admin_headers
    ).is_success
    doc = package.export(DirectoryIndex(engine, 0.1).get().centres_by_name, "fr")
    doc["organization"][0]["name"] = "Nom changé par le partenaire"
    answer = client.post("/v1/admin/centres/import", content=json.dumps(doc), headers=admin_headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["updated"] == 1
    centre = client.get("/v1/admin/centres", headers=admin_headers).json()["items"][0]
    assert centre["name"] == "Nom changé par le partenaire"
    assert (centre["weekly_capacity"], centre["description_en"]) == (33, "Kept in English.")


def test_a_package_from_elsewhere_is_read_by_names_and_codes() -> None:
    doc = {
        "organization": [{"id": "o1", "name": "Service d'emploi Fictif", "description": "…"}],
        "service": [{"id": "s1", "organization_id": "o1", "name": "Emploi", "status": "active",
                     "minimum_age": 16.0}],
        "service_area": [{"id": "a1", "service_id": "s1", "name": "Montréal"}],
        "taxonomy": [{"id": "t1", "name": "Clientèles", "description": "…"}],
        "taxonomy_term": [{"id": "x1", "taxonomy_id": "t1", "code": "youth", "name": "Jeunes",
                           "description": "…", "language": "fr"}],
        "attribute": [{"id": "at1", "link_id": "s1", "link_entity": "service",
                       "taxonomy_term_id": "x1"}],
        "service_at_location": [{"id": "p1", "service_id": "s1", "location_id": "l1"}],
        "location": [{"id": "l1", "location_type": "physical", "latitude": 45.51,
                      "longitude": -73.56}],
    }  # fmt: skip
    [record] = importer.parse_file(json.dumps(doc).encode())
    assert record["ref"] == "service-d-emploi-fictif"
    assert record["regions_served"] == ["06"] and record["client_groups"] == ["youth"]
    assert record["age_min"] == 16 and record["locations"] == [{"lat": 45.51, "lon": -73.56}]
    checked = importer.Record(1, record)
    assert importer.validate_record(checked, Rules()) == [] and checked.centre is not None


def test_a_bad_package_imports_nothing_and_says_why(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    doc = {
        "organization": [{"id": "o1", "name": "", "description": "…"}],
        "service": [{"id": "s1", "organization_id": "o1", "name": "x", "status": "active"}],
        "language": [{"id": "g1", "service_id": "s1", "code": "zz"}],
    }
    answer = client.post("/v1/admin/centres/import", content=json.dumps(doc),
                         headers=admin_headers)  # fmt: skip
    assert answer.status_code == 422
    fields = {tuple(e["loc"][:1]) for e in answer.json()["errors"]}
    assert {("name",), ("languages",), ("regions_served",)} <= fields
    assert client.get("/v1/centres").json()["total"] == 0
