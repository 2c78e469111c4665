"""Small factories for test data (synthetic people and centres only)."""

from __future__ import annotations

import base64
from typing import Any

DEMO_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def centre_record(ref: str = "test-centre-1", **overrides: Any) -> dict[str, Any]:
    """A valid import record (DESIGN §5) in Trois-Rivières; override any field."""
    record: dict[str, Any] = {
        "ref": ref,
        "name": f"Centre fictif {ref}",
        "email": f"accueil@{ref}.example.org",
        "phone": "+1 819 555 0100",
        "website": f"https://{ref}.example.org",
        "description_fr": "Centre fictif pour les tests.",
        "description_en": "Fictitious centre for tests.",
        "languages": ["fr", "en"],
        "modes": ["in_person", "remote"],
        "intake_status": "open",
        "weekly_capacity": 20,
        "regions_served": ["04", "17"],
        "specialties": ["job_search", "career_change"],
        "client_groups": ["general", "immigrants"],
        "age_min": None,
        "age_max": None,
        "locations": [
            {
                "address": "100 rue Exemple",
                "municipality": "Trois-Rivières",
                "postal_code": "G9A 1A1",
                "lat": 46.343,
                "lon": -72.543,
            }
        ],
    }
    record.update(overrides)
    return record


def montreal_record(ref: str = "test-mtl-1", **overrides: Any) -> dict[str, Any]:
    base = centre_record(
        ref,
        regions_served=["06"],
        locations=[
            {"address": "1 rue Fictive", "municipality": "Montréal", "postal_code": "H2X 1Y4"}
        ],
    )
    base.update(overrides)
    return base


# A production-grade TTX_SECRET_KEY for tests (random-looking, no placeholder word).
STRONG_KEY = "tEsT-k3y_9fQ2wLm7ZpR4vXc8NbJ6hGd1SaYu0"  # noqa: S105
