"""Folding what people type, and reading postal codes."""

from __future__ import annotations

import pytest

from app.geo.postal import find_postal_code, parse_postal_code
from app.geo.text import name_key, split_qualifiers, tokens


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("trois rivieres", "Trois-Rivières"),
        ("TROIS-RIVIÈRES", "Trois-Rivières"),
        ("St-Jérôme", "Saint-Jérôme"),
        ("st. jerome", "Saint-Jérôme"),
        ("ste-anne-des-monts", "Sainte-Anne-des-Monts"),
        ("Val d'Or", "Val-d'Or"),
        ("Valdor", "Val-d'Or"),
        ("Val d’Or", "Val-d'Or"),
        ("Saints Anges", "Saints-Anges"),
        ("lac megantic", "Lac-Mégantic"),
    ],
)
def test_spellings_of_one_name_share_a_key(typed: str, official: str) -> None:
    assert name_key(typed) == name_key(official)


def test_different_names_keep_different_keys() -> None:
    assert name_key("Saint-Jean") != name_key("Sainte-Jeanne")
    assert tokens("Sainte-Anne") == ("sainte", "anne")


@pytest.mark.parametrize(
    ("text", "name", "qualifiers"),
    [
        ("Saint-Donat, Lanaudière", "Saint-Donat", ["Lanaudière"]),
        ("Saint-Donat (La Mitis)", "Saint-Donat", ["La Mitis"]),
        ("Saint-Donat (Matawinie), QC", "Saint-Donat", ["Matawinie"]),
        ("Lévis (Québec)", "Lévis", []),
        ("Gatineau", "Gatineau", []),
    ],
)
def test_split_qualifiers(text: str, name: str, qualifiers: list[str]) -> None:
    assert split_qualifiers(text) == (name, qualifiers)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("G8T 2A1", "G8T 2A1"),
        ("g8t2a1", "G8T 2A1"),
        (" g8t-2a1 ", "G8T 2A1"),
        ("G8T  2A1", "G8T 2A1"),
        ("GOA 1AO", "G0A 1A0"),
        ("h2x", "H2X"),
        ("K1A 0B1", "K1A 0B1"),
    ],
)
def test_postal_codes_in_any_case_or_spacing(typed: str, canonical: str) -> None:
    parsed = parse_postal_code(typed)
    assert parsed is not None and parsed.text == canonical


@pytest.mark.parametrize("text", ["Gatineau", "G8T 2A", "12345", "D1A 1A1", "lol", "G8T 2A1 X"])
def test_what_is_not_a_postal_code(text: str) -> None:
    assert parse_postal_code(text) is None


def test_province_of_a_postal_code() -> None:
    assert parse_postal_code("K1A 0B1").province == "Ontario"  # type: ignore[union-attr]
    assert parse_postal_code("E1C 4M3").province == "New Brunswick"  # type: ignore[union-attr]
    assert parse_postal_code("J8T 1A1").in_quebec  # type: ignore[union-attr]


def test_postal_code_inside_an_address() -> None:
    found = find_postal_code("100 rue Exemple, Trois-Rivières, QC g9a1a1")
    assert found is not None and found.text == "G9A 1A1"
    assert find_postal_code("100 rue Exemple, Trois-Rivières") is None
