"""Canadian postal codes: recognise `A1A 1A1` or `A1A` in any case or spacing, say which province.

Only FSAs (the first three characters) are stored; a full code resolves to its FSA's point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUEBEC_LETTERS = frozenset("GHJ")

PROVINCE_BY_LETTER: dict[str, str] = {
    "A": "Newfoundland and Labrador",
    "B": "Nova Scotia",
    "C": "Prince Edward Island",
    "E": "New Brunswick",
    "K": "Ontario",
    "L": "Ontario",
    "M": "Ontario",
    "N": "Ontario",
    "P": "Ontario",
    "R": "Manitoba",
    "S": "Saskatchewan",
    "T": "Alberta",
    "V": "British Columbia",
    "X": "Northwest Territories or Nunavut",
    "Y": "Yukon",
}

_SHAPE = re.compile(r"[A-Z][0-9OIL][A-Z](?:[0-9OIL][A-Z][0-9OIL])?")
_SEPARATORS = re.compile(r"[\s\-]+")
# Postal codes use no O, I or L in digit positions: people type the letter for the digit.
_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True, slots=True)
class PostalCode:
    """A syntactically valid Canadian postal code or FSA."""

    fsa: str
    ldu: str | None  # the last three characters, when the full code was given

    @property
    def in_quebec(self) -> bool:
        return self.fsa[0] in QUEBEC_LETTERS

    @property
    def province(self) -> str:
        return PROVINCE_BY_LETTER.get(self.fsa[0], "Québec")

    @property
    def text(self) -> str:
        """Canonical spelling: `G8T 2A1` or `G8T`."""
        return f"{self.fsa} {self.ldu}" if self.ldu else self.fsa


def parse_postal_code(text: str) -> PostalCode | None:
    """The postal code in `text`, or None when `text` is not shaped like one."""
    compact = _SEPARATORS.sub("", text).upper()
    if len(compact) not in (3, 6) or not _SHAPE.fullmatch(compact):
        return None
    if compact[0] not in QUEBEC_LETTERS and compact[0] not in PROVINCE_BY_LETTER:
        return None
    # `GOA` is G0A mistyped, but `lol` is not an Ontario FSA: outside Québec, a digit must show.
    if compact[0] not in QUEBEC_LETTERS and not any(c.isdigit() for c in compact):
        return None
    chars = list(compact)
    for i in range(1, len(chars), 2):
        chars[i] = chars[i].translate(_DIGITS)
    fixed = "".join(chars)
    return PostalCode(fixed[:3], fixed[3:] or None)


def find_postal_code(text: str) -> PostalCode | None:
    """A postal code anywhere in a longer text such as a street address."""
    for match in re.finditer(r"\b[A-Za-z]\d[A-Za-z][\s\-]?\d[A-Za-z]\d\b", text):
        found = parse_postal_code(match.group(0))
        if found:
            return found
    return None
