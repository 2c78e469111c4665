"""The official HSDS 3.0 schemas (copied unmodified in schemas/), as jsonschema validators.

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

HERE = Path(__file__).parent / "schemas"
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
