"""The official HSDS 3.0 schemas (copied unmodified in tests/hsds/schemas/), as validators, and
the directory the HSDS tests read: the demo centres plus a few unusual ones (`seed`).

The schema files refer to each other by file name (`"$ref": "organization.json"`) and the
profile by their published address: each file is registered under that address, so every
reference resolves to the local copy and nothing is fetched."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.db import session_scope
from app.main import create_app
from app.paths import data_dir
from app.services import importer
from app.settings import Settings
from tests.helpers.factories import centre_record, montreal_record

HERE = Path(__file__).resolve().parents[1] / "hsds" / "schemas"
BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


@cache
def registry() -> Registry:
    resources = []
    for path in sorted(HERE.rglob("*.json")):
        if path.name == "openapi.json":
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        uri = BASE + path.relative_to(HERE).as_posix()
        resources.append((uri, Resource.from_contents(doc, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def profile() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((HERE / "openapi.json").read_text(encoding="utf-8"))
    return doc


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for `name` (e.g. `service.json`, `compiled/service_list.json`)."""
    return Draft202012Validator(
        {"$ref": BASE + name}, registry=registry(), format_checker=FormatChecker()
    )


def page_validator(item_schema: str) -> Draft202012Validator:
    """The profile's paginated answer: its `Page` schema, with `contents` of `item_schema`."""
    page = profile()["components"]["schemas"]["Page"]
    schema = {
        "allOf": [page],
        "properties": {"contents": {"type": "array", "items": {"$ref": BASE + item_schema}}},
        "required": [*page["properties"], "contents"],
    }
    return Draft202012Validator(schema, registry=registry(), format_checker=FormatChecker())


def errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    """Every violation, as `path: message`, so a failing test says what and where."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def nulls(instance: Any, path: str = "") -> list[str]:
    """Where `instance` holds a `null` (HSDS answers must hold none)."""
    if instance is None:
        return [path or "/"]
    if isinstance(instance, dict):
        return [p for k, v in instance.items() for p in nulls(v, f"{path}/{k}")]
    if isinstance(instance, list):
        return [p for i, v in enumerate(instance) for p in nulls(v, f"{path}/{i}")]
    return []


EXTRA = [
    # Paused, age limits, no phone or website, two service points, one without a street address.
    centre_record(
        "hsds-edge-1",
        intake_status="paused",
        age_min=16,
        age_max=35,
        phone=None,
        website=None,
        description_en=None,
        client_groups=["youth"],
        locations=[
            {
                "address": "100 rue Exemple",
                "municipality": "Trois-Rivières",
                "postal_code": "G9A 1A1",
                "lat": 46.343,
                "lon": -72.543,
            },
            {"municipality": "Shawinigan"},
        ],
    ),  # fmt: skip
    montreal_record("hsds-edge-2", description_fr=None, description_en=None, languages=["fr"]),
]


def seed(app_settings: Settings) -> None:
    app = create_app(app_settings, embedded_dispatcher=False)
    records = importer.parse_file((data_dir() / "demo_centres.json").read_bytes()) + EXTRA
    with session_scope(app.state.engine) as session:
        importer.import_records(session, records)
    app.state.engine.dispose()
