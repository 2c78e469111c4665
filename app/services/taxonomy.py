"""The taxonomy as the API shows it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app import taxonomy as t


def _terms(terms: tuple[t.Term, ...]) -> list[dict[str, str]]:
    return [{"code": x.code, "fr": x.fr, "en": x.en} for x in terms]


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, Any]:
    return {
        "specialties": _terms(t.SPECIALTIES),
        "client_groups": _terms(t.CLIENT_GROUPS),
        "languages": _terms(t.LANGUAGES),
        "modes": _terms(t.MODES),
        "intake_statuses": list(t.INTAKE_STATUSES),
        "decline_reasons": list(t.DECLINE_REASONS),
    }


def regions_with_counts(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "name_fr": r.fr, "name_en": r.en, "centre_count": counts.get(r.code, 0)}
        for r in t.REGIONS
    ]
