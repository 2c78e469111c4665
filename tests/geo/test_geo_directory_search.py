"""Directory search `q=` folds text as the resolver does, knows places despite typos, and
knows language names in French and English."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.helpers.factories import centre_record


def located(ref: str, municipality: str, region: str, **extra: object) -> dict[str, object]:
    return centre_record(
        ref,
        name=f"Centre fictif {ref}",
        regions_served=[region],
        locations=[{"address": "1 rue Fictive", "municipality": municipality}],
        **extra,
    )


@pytest.fixture
def seeded(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    doc = {
        "centres": [
            located("tr", "Trois-Rivières", "04"),
            located("sj", "Saint-Jérôme", "15", languages=["fr", "es"]),
            located("sh", "Sherbrooke", "05"),
            located("qc", "Québec", "03", languages=["fr", "en"]),
        ]
    }
    answer = client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    assert answer.status_code == 200, answer.text
    return client


def refs(client: TestClient, q: str) -> list[str]:
    answer = client.get("/v1/centres", params={"q": q})
    assert answer.status_code == 200, answer.text
    return sorted(c["ref"] for c in answer.json()["items"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Trois Rivières", ["tr"]),
        ("trois-rivieres", ["tr"]),
        ("saint jérôme", ["sj"]),
        ("st-jerome", ["sj"]),
        ("St Jérôme", ["sj"]),
        ("Sherbroke", ["sh"]),  # a typo the resolver is sure of
        ("Sainte-Foy", ["qc"]),  # a former municipality: the centres of Québec
        ("espagnol", ["sj"]),
        ("Spanish", ["sj"]),
        ("Xyzville", []),
        ("fictif", ["qc", "sh", "sj", "tr"]),
    ],
)
def test_search_folds_like_the_resolver(seeded: TestClient, q: str, expected: list[str]) -> None:
    assert refs(seeded, q) == expected
