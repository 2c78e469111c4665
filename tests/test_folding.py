"""One folding for every comparison of text: places, needs, import headers, search."""

from __future__ import annotations

import pytest

from app import folding
from app.geo.text import tokens
from app.matching import fold as matching_fold
from app.services.import_columns import fold as header_fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Trois-Rivières", "trois-rivieres"),
        ("TROIS-RIVIÈRES", "trois-rivieres"),
        ("Cœur-de-Lévis", "coeur-de-levis"),
        ("Straße", "strasse"),
        ("Val d’Or", "val d’or"),
        ("", ""),
    ],
)
def test_fold_drops_case_accents_and_ligatures_and_keeps_punctuation(typed, folded):
    assert folding.fold(typed) == folded


def test_words_split_on_anything_but_letters_and_digits():
    assert folding.words("Retour aux Études! (2e fois)") == [
        "retour",
        "aux",
        "etudes",
        "2e",
        "fois",
    ]
    assert folding.fold_words("  Val d’Or ") == "val d or"
    assert folding.words("—") == []


def test_places_needs_and_headers_fold_alike():
    typed = "Sœur-Élise Rivière"
    assert matching_fold(typed) == "soeur elise riviere"
    assert tokens(typed) == ("soeur", "elise", "riviere")
    assert header_fold(typed) == "soeur-elise riviere"
