"""Folding text for comparison: one rule for place names, free-text needs, import headers and
directory search, so `Trois-Rivières`, `TROIS-RIVIERES` and `trois rivieres` meet everywhere.

Pure functions of a string (no I/O, no framework): `app.geo`, `app.matching` and the services
all build on them.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not split into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, without accents or ligatures; punctuation and spaces kept as they are:
    `"Cœur-de-Lévis"` → `"coeur-de-levis"`."""
    lowered = text.lower().translate(_LIGATURES)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words: anything but an ASCII letter or digit separates them:
    `"Retour aux Études!"` → `["retour", "aux", "etudes"]`."""
    return [w for w in _NON_ALNUM.split(fold(text)) if w]


def fold_words(text: str) -> str:
    """`words(text)` joined by one space: `"Val d’Or"` → `"val d or"`."""
    return " ".join(words(text))
