"""Needs read from a person's own words, as policy 2026.3 reads them.

"je veux retourner à l'école", "going back to college as an adult", "mon c.v.", "finir mon
DES": the words are folded (case, accents), stemmed by the French and English Snowball
stemmers, stripped of stop words, then compared with the phrases of needs_lexicon.json (data,
not code). A word matches a phrase's word when their stems meet in either language, so
"carrière", "careers" and "carriere" are one word. A word the lexicon does not know is
compared with the lexicon's words for typos ("chager" → "changer"), and then counts by its
similarity. Longer phrases claim their words first, so "maintien en emploi" reads as job
retention and not also as job search. No negation is parsed: the lexicon lists needs as
people state them ("j'ai perdu mon emploi", "out of work").

The lexicon is package data, read once at import like the taxonomy; reading a text is pure
and cached.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import snowballstemmer  # type: ignore[import-untyped]
from rapidfuzz import fuzz, process

from app.folding import fold as _fold
from app.taxonomy import SPECIALTIES

MAX_WORDS = 200  # bounds the cost of a pasted essay; a need is stated in the first lines
MIN_FUZZY_LENGTH = 5  # shorter words must be spelt right ("dep" is not "dec")
FUZZY_CUTOFF = 85.0
MAX_GAP = 1  # words allowed between two words of a phrase ("changer complètement de carrière")

# A dotted abbreviation (c.v., D.E.P.) or a run of letters and digits.
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+")
_STEMMERS = (snowballstemmer.stemmer("french"), snowballstemmer.stemmer("english"))
_LABELS = {term.code: (term.fr, term.en) for term in SPECIALTIES}


@dataclass(frozen=True, slots=True)
class DetectedNeed:
    """A specialty read from free text: its code, strength in 0..1, and the words that said it
    (as the person wrote them, one entry per phrase found)."""

    code: str
    strength: float
    words: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """The JSON form of `needs_detected` entries (DESIGN §6), with the bilingual label."""
        fr, en = _LABELS.get(self.code, (self.code, self.code))
        return {
            "code": self.code,
            "fr": fr,
            "en": en,
            "strength": self.strength,
            "words": list(self.words),
        }


@lru_cache(maxsize=8192)
def _keys(folded: str) -> frozenset[str]:
    """The stems of a folded word, French and English."""
    return frozenset(stemmer.stemWord(folded) for stemmer in _STEMMERS)


Phrase = tuple[str, tuple[frozenset[str], ...]]  # code, the keys of each word


def _load() -> tuple[frozenset[str], dict[str, str], list[Phrase]]:
    raw = json.loads(resources.files("app.matching").joinpath("needs_lexicon.json").read_text())
    stop = frozenset(_fold(w) for w in raw["stop_words"])
    upper = {_fold(abbr): code for abbr, code in raw["upper_case"].items()}
    phrases: list[Phrase] = [(code, (frozenset({f"ABBR:{abbr}"}),)) for abbr, code in upper.items()]
    for code, by_language in raw["specialties"].items():
        for phrase in (p for texts in by_language.values() for p in texts):
            words = [_fold(w) for w in _TOKEN.findall(phrase)]
            keys = tuple(_keys(w) for w in words if w not in stop)
            if keys:
                phrases.append((code, keys))
    return stop, upper, phrases


_STOP, _UPPER, _PHRASES = _load()
# Phrases by the keys of their first word, longest first.
_STARTING: dict[str, list[int]] = defaultdict(list)
for _i in sorted(range(len(_PHRASES)), key=lambda i: -len(_PHRASES[i][1])):
    for _key in _PHRASES[_i][1][0]:
        _STARTING[_key].append(_i)
_KNOWN = frozenset(_STARTING) | frozenset(k for _, ks in _PHRASES for word in ks for k in word)
# Words for typo correction, by first letter: a typo rarely hits the first letter.
_VOCABULARY: dict[str, list[str]] = defaultdict(list)
for _texts in json.loads(
    resources.files("app.matching").joinpath("needs_lexicon.json").read_text()
)["specialties"].values():
    for _phrase in (p for texts in _texts.values() for p in texts):
        for _known in {_fold(w) for w in _TOKEN.findall(_phrase)} - _STOP:
            if len(_known) >= MIN_FUZZY_LENGTH - 1 and _known not in _VOCABULARY[_known[0]]:
                _VOCABULARY[_known[0]].append(_known)


@dataclass(frozen=True, slots=True)
class _Word:
    keys: frozenset[str]
    similarity: float  # 1 when spelt as in the lexicon
    start: int  # span in the original text
    end: int


def _word(match: re.Match[str]) -> _Word | None:
    """A content word of the text, or None for a stop word."""
    surface = match.group()
    dotted = "." in surface
    folded = _fold(surface.replace(".", ""))
    if (dotted or (surface.isupper() and len(surface) > 1)) and folded in _UPPER:
        return _Word(frozenset({f"ABBR:{folded}"}), 1.0, match.start(), match.end())
    if folded in _STOP:
        return None
    keys = _keys(folded)
    if keys & _KNOWN or len(folded) < MIN_FUZZY_LENGTH or folded.isdigit():
        return _Word(keys, 1.0, match.start(), match.end())
    found = process.extractOne(
        folded, _VOCABULARY.get(folded[0], ()), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
    )
    if found is None:
        return _Word(keys, 1.0, match.start(), match.end())
    return _Word(_keys(found[0]), found[1] / 100.0, match.start(), match.end())


def _match(words: list[_Word], start: int, keys: tuple[frozenset[str], ...]) -> list[int] | None:
    """Positions of the phrase's words from `start`, at most MAX_GAP words apart, if found."""
    at = [start]
    for key in keys[1:]:
        following = range(at[-1] + 1, min(at[-1] + 2 + MAX_GAP, len(words)))
        nxt = next((j for j in following if words[j].keys & key), None)
        if nxt is None:
            return None
        at.append(nxt)
    return at


def _candidates(words: list[_Word]) -> list[tuple[int, int, str, list[int]]]:
    """Every phrase found, as (-words, start, code, positions): longest first, then leftmost."""
    found = []
    for start, word in enumerate(words):
        seen: set[int] = set()
        for key in word.keys:
            for i in _STARTING.get(key, ()):
                if i in seen:
                    continue
                seen.add(i)
                code, keys = _PHRASES[i]
                at = _match(words, start, keys)
                if at is not None:
                    found.append((-len(keys), start, code, at))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return found


@lru_cache(maxsize=2048)
def detect_needs(text: str | None) -> tuple[DetectedNeed, ...]:
    """The specialties named or described in `text`, in the order they first appear.

    French or English, any case, with or without accents: "je veux changer de carrière" and
    "I want to change careers" give career_change, "mon c.v." resume_interview, "finir mon
    DES" and "going back to college" return_to_school. Words outside the lexicon ("soudure")
    give nothing. Each need's strength is 1 when spelt as in the lexicon, else the similarity
    of its least similar word; its words are the spans of the text that said it."""
    if not text:
        return ()
    matches = list(_TOKEN.finditer(text))[:MAX_WORDS]
    words = [w for w in (_word(m) for m in matches) if w is not None]
    claimed = [False] * len(words)
    spans: dict[str, list[tuple[int, str]]] = defaultdict(list)
    strength: dict[str, float] = {}
    for _, _, code, at in _candidates(words):
        if any(claimed[j] for j in at):
            continue
        for j in at:
            claimed[j] = True
        first, last = words[at[0]], words[at[-1]]
        spans[code].append((first.start, text[first.start : last.end]))
        power = round(min(words[j].similarity for j in at), 4)
        strength[code] = max(strength.get(code, 0.0), power)
    order = sorted(spans, key=lambda code: min(spans[code]))
    return tuple(
        DetectedNeed(code, strength[code], tuple(s for _, s in sorted(spans[code])))
        for code in order
    )


def interpret_need_text(text: str | None) -> dict[str, float]:
    """Specialty codes read from free text, each with its strength in 0..1 (a fresh dict)."""
    return {need.code: need.strength for need in detect_needs(text)}
