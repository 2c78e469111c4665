"""Deterministic generator of the ways people mistype municipality names."""

from __future__ import annotations

import random
import unicodedata

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def swap_saints(text: str, rng: random.Random) -> str:
    """Saint-X ↔ St-X, Sainte-X ↔ Ste-X, with or without a dot."""
    dot = rng.choice(["", "."])
    pairs = [
        ("Saintes-", f"Stes{dot}-"),
        ("Sainte-", f"Ste{dot}-"),
        ("Saints-", f"Sts{dot}-"),
        ("Saint-", f"St{dot}-"),
    ]
    for long, short in pairs:
        if long in text:
            return text.replace(long, short)
    for long, short in pairs:
        if short.replace(dot, "") in text:
            return text.replace(short.replace(dot, ""), long)
    return text


def swap_separators(text: str, rng: random.Random) -> str:
    """Hyphens become spaces, or spaces become hyphens."""
    if "-" in text and rng.random() < 0.7:
        return text.replace("-", " ")
    return text.replace(" ", "-")


def change_case(text: str, rng: random.Random) -> str:
    return rng.choice([str.lower, str.upper, str.title, lambda s: s])(text)


def one_typo(text: str, rng: random.Random) -> str:
    """One substitution, deletion, insertion or transposition of a letter."""
    positions = [i for i, c in enumerate(text) if c.isalpha()]
    i = rng.choice(positions)
    kind = rng.choice(["sub", "del", "ins", "swap"])
    if kind == "sub":
        return text[:i] + rng.choice(LETTERS.replace(text[i].lower(), "")) + text[i + 1 :]
    if kind == "del":
        return text[:i] + text[i + 1 :]
    if kind == "ins":
        return text[:i] + rng.choice(LETTERS) + text[i:]
    j = i + 1 if i + 1 < len(text) else i - 1
    a, b = sorted((i, j))
    return text[:a] + text[b] + text[a] + text[b + 1 :]


def mangle(name: str, rng: random.Random, *, typo: bool) -> str:
    """Accents stripped (mostly), St/Saint swapped, separators swapped, case changed, ±typo."""
    text = strip_accents(name) if rng.random() < 0.8 else name
    text = swap_saints(text, rng)
    if rng.random() < 0.5:
        text = swap_separators(text, rng)
    text = change_case(text, rng)
    return one_typo(text, rng) if typo else text


def mangled_set(names: list[tuple[str, str]], seed: int = 3) -> list[tuple[str, str, bool]]:
    """(code, mangled name, has typo): two per municipality, one clean and one with a typo."""
    rng = random.Random(seed)
    cases = []
    for code, name in names:
        cases.append((code, mangle(name, rng, typo=False), False))
        cases.append((code, mangle(name, rng, typo=True), True))
    return cases
