"""Intake data: a small directory around Trois-Rivières and a consultation request."""

from __future__ import annotations

from typing import Any

from tests.helpers.factories import centre_record

TR = {"municipality": "Trois-Rivières", "lat": 46.343, "lon": -72.543}
TR_POINT = {"lat": 46.343, "lon": -72.543}


def three_centres() -> dict[str, Any]:
    """Three open generalists serving Mauricie, and a paused one."""
    return {
        "centres": [
            centre_record("tr-a", locations=[{**TR}], weekly_capacity=30),
            centre_record(
                "tr-b", locations=[{**TR, "lat": 46.36}], specialties=["self_employment"]
            ),
            centre_record("tr-c", locations=[{**TR, "lat": 46.40}], client_groups=["general"]),
            centre_record("tr-paused", locations=[{**TR}], intake_status="paused"),
        ]
    }


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": {"first_name": "Marie", "last_name": "Exemple", "email": "marie@example.org",
                   "phone": "+1 819 555 0199", "preferred_contact": "email", "language": "fr"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}, "needs": ["job_search"],
                     "language": "fr"},
        "message": "Je cherche un emploi.",
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }  # fmt: skip
    body.update(overrides)
    return body
