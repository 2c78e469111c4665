"""Stable HSDS identifiers: UUIDs derived from our own ids and codes, never random.

A centre keeps its UUID as the organization's id; everything else HSDS needs an id for
(its service, each service point, each region served, each taxonomy term…) gets a UUID 5 of
a name built from the centre's id and the thing's code or position. The same directory always
gives the same ids, on every replica and in every export, so a partner can keep them."""

from __future__ import annotations

import uuid

# The namespace of Trouve ton X's HSDS ids (a fixed, random UUID: never change it).
NAMESPACE = uuid.UUID("6f1f3e7c-2b0a-4d55-9a4e-7d3c1b8e5a20")


def derived(*parts: object) -> str:
    """The UUID 5 of the parts joined by `/`, as text."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def service_id(centre_id: object) -> str:
    return derived("service", centre_id)


def location_id(centre_id: object, position: int) -> str:
    return derived("location", centre_id, position)


def service_at_location_id(centre_id: object, position: int) -> str:
    return derived("service_at_location", centre_id, position)


def taxonomy_id(kind: str) -> str:
    return derived("taxonomy", kind)


def term_id(kind: str, code: str) -> str:
    return derived("taxonomy_term", kind, code)
