"""Municipality names → ranked matches: exact key first, then whole-word prefix, then typos.

Every step works on folded keys (see `app.geo.text`), so accents, case, hyphens, apostrophes
and the `St`/`Saint` family never cost a fuzzy comparison. Typos go through rapidfuzz's
`process.extract` over the ~1,300 keys; its score cut-off skips by length before comparing.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from app.geo.data import Municipality, Region
from app.geo.text import key, name_key, tokens, without_article, without_province

FUZZY_CUTOFF = 72.0  # rapidfuzz ratio, 0-100: one typo in a four-letter name still passes
FUZZY_LIMIT = 8
PREFIX_LIMIT = 8
# A whole-word prefix ("St-Jean") is a guess: its confidence grows with the population share
# of the biggest candidate, from PREFIX_FLOOR up to PREFIX_FLOOR + PREFIX_SPAN.
PREFIX_FLOOR = 0.5
PREFIX_SPAN = 0.45
ALIAS_CONFIDENCE = 0.97
DESIGNATION_PREFIXES = ("ville de ", "municipalite de ", "paroisse de ", "village de ", "city of ")


@dataclass(frozen=True, slots=True)
class Match:
    """One municipality (by index) and how sure we are that it is the one meant."""

    index: int
    confidence: float


class NameIndex:
    """Lookup tables over the municipality names. Built once; read-only afterwards."""

    def __init__(self, municipalities: Sequence[Municipality], regions: Sequence[Region]) -> None:
        self.municipalities = list(municipalities)
        spaced = sorted((" ".join(tokens(m.name)), i) for i, m in enumerate(self.municipalities))
        # Sorted, so the names sharing a prefix are one contiguous run found by bisection.
        self._sorted_names = [name for name, _ in spaced]
        self._sorted_index = [i for _, i in spaced]
        self.keys: list[str] = [name_key(m.name) for m in self.municipalities]
        self.exact = _group(enumerate(self.keys))
        aliases = ((i, key(without_article(tokens(m.name)))) for i, m in enumerate(municipalities))
        self.alias = {k: v for k, v in _group(aliases).items() if k not in self.exact}
        self.qualifiers = _qualifiers(self.municipalities, regions)
        self._qualifier_keys = list(self.qualifiers)

    def match(self, text: str) -> list[Match]:
        """Best matches for a bare name (no qualifier), best first; empty when nothing fits."""
        variants = _variants(tokens(text))
        for words in variants:
            found = self._exact(key(words))
            if found:
                return found
        words = variants[-1]
        if not words:
            return []
        return self._prefix(" ".join(words)) or self._fuzzy(key(words))

    def _exact(self, k: str) -> list[Match]:
        if k in self.exact:
            return self._ranked(self.exact[k], 1.0)
        if k in self.alias:
            return self._ranked(self.alias[k], ALIAS_CONFIDENCE)
        return []

    def _ranked(self, indices: Iterable[int], confidence: float) -> list[Match]:
        order = sorted(indices, key=lambda i: (-self.municipalities[i].population, i))
        return [Match(i, confidence) for i in order]

    def _prefix(self, spaced: str) -> list[Match]:
        """Names that start with the query's whole words: `St-Jean` → `Saint-Jean-sur-…`."""
        if len(spaced) < 3:
            return []
        head = spaced + " "
        hits = []
        for at in range(bisect_left(self._sorted_names, head), len(self._sorted_names)):
            if not self._sorted_names[at].startswith(head):
                break
            hits.append(self._sorted_index[at])
        if not hits:
            return []
        ranked = self._ranked(hits, 0.0)[:PREFIX_LIMIT]
        total = sum(self.municipalities[i].population for i in hits) or 1
        share = self.municipalities[ranked[0].index].population / total
        top = PREFIX_FLOOR + PREFIX_SPAN * share
        return [Match(m.index, top if n == 0 else PREFIX_FLOOR) for n, m in enumerate(ranked)]

    def _fuzzy(self, k: str) -> list[Match]:
        found = process.extract(
            k, self.keys, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=FUZZY_CUTOFF
        )
        # Same score: the bigger municipality is the likelier one.
        found.sort(key=lambda hit: (-hit[1], -self.municipalities[hit[2]].population, hit[2]))
        return [Match(i, score / 100.0) for _, score, i in found]

    def qualifier_filter(self, qualifier: str) -> set[int] | None:
        """Municipalities a qualifier (region, MRC or designation) allows; None if unknown."""
        k = name_key(qualifier)
        if k in self.qualifiers:
            return self.qualifiers[k]
        hit = process.extractOne(k, self._qualifier_keys, scorer=fuzz.ratio, score_cutoff=85)
        return self.qualifiers[hit[0]] if hit else None


def _group(pairs: Iterable[tuple[int, str]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in pairs:
        groups[k].append(i)
    return dict(groups)


def _variants(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The words as typed, then without `QC`/`Québec` at the end or `Ville de` at the start."""
    variants = [words]
    trimmed = without_province(words)
    if trimmed != words:
        variants.append(trimmed)
    spaced = " ".join(trimmed) + " "
    for prefix in DESIGNATION_PREFIXES:
        if spaced.startswith(prefix) and len(spaced) > len(prefix):
            variants.append(tuple(spaced[len(prefix) :].split()))
    return variants


def _qualifiers(
    municipalities: Sequence[Municipality], regions: Sequence[Region]
) -> dict[str, set[int]]:
    """Keys of region codes and names, MRC names, designations and municipality codes → the
    municipalities they allow."""
    by_region: dict[str, set[int]] = defaultdict(set)
    table: dict[str, set[int]] = defaultdict(set)
    for i, m in enumerate(municipalities):
        by_region[m.region_code].add(i)
        table[m.code].add(i)
        for label in (m.mrc_name, "mrc " + m.mrc_name, m.designation):
            table[name_key(label)].add(i)
            table[key(without_article(tokens(label)))].add(i)
    for region in regions:
        # "Gaspésie" or "Lac-Saint-Jean" alone name their region too.
        parts = region.name_fr.split("–")
        for label in (region.code, region.name_fr, region.name_en, *parts):
            table[name_key(label)] |= by_region[region.code]
    table.pop("", None)
    return dict(table)
