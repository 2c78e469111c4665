"""French and English examples for every public operation that has none of its own: the
language of HSDS answers, a query a French or an English speaker would send, or an answer."""

from __future__ import annotations

from typing import Any

Examples = dict[str, dict[str, Any]]

LANG: Examples = {
    "fr": {"summary": "Noms et descriptions en français", "value": "fr"},
    "en": {"summary": "Names and descriptions in English", "value": "en"},
}
CENTRE = {
    "id": "0b6f7a4e-2c1d-4e0f-9a8b-1c2d3e4f5a6b", "ref": "demo-mau-01",
    "name": "Carrefour emploi Exemple — Trois-Rivières", "email": "accueil@demo-mau-01.example.org",
    "phone": "+1 819 555 0100", "website": "https://demo-mau-01.example.org",
    "description_fr": "Centre fictif de démonstration.",
    "description_en": "Fictitious demo centre.",
    "languages": ["en", "fr"], "modes": ["in_person", "remote"], "intake_status": "open",
    "regions_served": ["04", "17"], "specialties": ["career_change", "job_search"],
    "client_groups": ["general", "immigrants"], "age_min": None, "age_max": None,
    "locations": [{"address": "100 rue Exemple", "municipality": "Trois-Rivières",
                   "municipality_code": "37067", "postal_code": "G9A 1A1", "lat": 46.343,
                   "lon": -72.543, "region_code": "04"}],
}  # fmt: skip
REGIONS = {
    "items": [{"code": "04", "name_fr": "Mauricie", "name_en": "Mauricie", "centre_count": 6}],
    "total": 17,
}
TAXONOMY = {
    "specialties": [{"code": "job_search", "fr": "Recherche d'emploi", "en": "Job search"}],
    "client_groups": [{"code": "youth", "fr": "Jeunes (16–35 ans)", "en": "Youth (16–35)"}],
    "languages": [{"code": "fr", "fr": "Français", "en": "French"}],
    "modes": [{"code": "remote", "fr": "À distance", "en": "Remote"}],
    "intake_statuses": ["open", "paused"],
    "decline_reasons": ["no_capacity", "out_of_area", "not_eligible", "unreachable",
                        "duplicate", "other"],
}  # fmt: skip
GEOJSON = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature",
                  "geometry": {"type": "Point", "coordinates": [-72.543, 46.343]},
                  "properties": {"centre_id": CENTRE["id"], "ref": "demo-mau-01",
                                 "name": CENTRE["name"], "municipality": "Trois-Rivières",
                                 "region_code": "04", "intake_status": "open"}}],
}  # fmt: skip


def answer(fr: str, en: str, value: Any) -> Examples:
    return {"fr": {"summary": fr, "value": value}, "en": {"summary": en, "value": value}}


def query(fr: tuple[str, Any], en: tuple[str, Any]) -> Examples:
    return {"fr": {"summary": fr[0], "value": fr[1]}, "en": {"summary": en[0], "value": en[1]}}


# (method, path) -> ("answer", examples) for the 200 answer, or (parameter, examples).
TABLE: dict[tuple[str, str], tuple[str, Examples]] = {
    ("get", "/healthz"): ("answer", answer("Le service répond", "The service answers",
                                           {"status": "ok"})),
    ("get", "/readyz"): ("answer", answer(
        "Prêt : base de données à jour", "Ready: database up to date",
        {"status": "ready", "database": "ok", "revision": "20260115_01", "head": "20260115_01"})),
    ("get", "/v1/regions"): ("answer", answer("Les régions (extrait)", "The regions (excerpt)",
                                              REGIONS)),
    ("get", "/v1/taxonomy"): ("answer", answer("Les codes (extrait)", "The codes (excerpt)",
                                               TAXONOMY)),
    ("get", "/v1/centres"): ("q", query(("Un mot du nom ou de la ville", "trois-rivieres"),
                                        ("A word of the name or town", "montreal"))),
    ("get", "/v1/centres/{centre_id}"): ("answer", answer("Un centre (fictif)",
                                                          "A (fictitious) centre", CENTRE)),
    ("get", "/v1/centres.geojson"): ("answer", answer("Les points de service (extrait)",
                                                      "The service points (excerpt)", GEOJSON)),
    ("get", "/v1/stats"): ("by", query(("Par région", "region"), ("By month", "month"))),
    ("get", "/metrics"): ("answer", answer(
        "Mesures Prometheus (extrait)", "Prometheus metrics (excerpt)",
        "# TYPE ttx_http_requests_total counter\n")),
    ("get", "/hsds/"): ("answer", answer(
        "Version HSDS et profil", "HSDS version and profile",
        {"version": "3.0", "profile": "https://docs.openreferral.org/en/3.0/",
         "openapi_url": "https://trouvetonx.example.org/openapi.json"})),
    ("get", "/v1/regions/{code}"): ("code", query(("La Mauricie", "04"), ("Montréal", "06"))),
}  # fmt: skip


def has_both(operation: dict[str, Any]) -> bool:
    """Whether French and English examples are somewhere in the operation."""
    found: list[dict[str, Any]] = [p.get("examples", {}) for p in operation.get("parameters", [])]
    for holder in [operation.get("requestBody", {}), *operation.get("responses", {}).values()]:
        found += [media.get("examples", {}) for media in holder.get("content", {}).values()]
    return any({"fr", "en"} <= set(examples) for examples in found)


def document(doc: dict[str, Any]) -> None:
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if operation.get("security") != [] or has_both(operation):
                continue  # keyed operations, and those that already have their examples
            where, examples = TABLE.get((method, path), ("lang", LANG))
            if where == "answer":
                content = operation["responses"]["200"].setdefault("content", {})
                media = next(iter(content), "application/json")
                content.setdefault(media, {})["examples"] = examples
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] == where:
                    parameter["examples"] = examples
