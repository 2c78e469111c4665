"""Place names → ranked matches: exact key first, then whole-word prefix, then typos.

The names are the municipalities' and the localities' (boroughs, former municipalities,
sectors, neighbourhoods: see `app.geo.data.Locality`). Each is a *target*: targets
`0 … n-1` are the municipalities, in order, and the localities follow.

Every step works on folded keys (see `app.geo.text`), so accents, case, hyphens, apostrophes
and the `St`/`Saint` family never cost a fuzzy comparison. Typos go through rapidfuzz's
`process.extract` over the keys, then each hit's edit distance (optimal string alignment:
a swap of two letters is one edit) decides whether the guess is *sure*:

- the query is at most `allowed_edits` edits from the name, counted on the part of the name
  that tells it apart (`Sainte-Foy` has three such letters: one typo there makes another
  town, so no typo is ever taken as sure there);
- no other name is as close.

A guess that is not sure is offered as a candidate (confidence at most `UNSURE_CEILING`), never
as the answer: "Xyzville" is two edits from "Dixville", and that is not a reason to send someone
to Dixville.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from app.geo.data import Locality, Municipality, Region
from app.geo.text import (
    distinctive_tail,
    key,
    name_key,
    short_key,
    tokens,
    without_article,
    without_province,
)

FUZZY_CUTOFF = 72.0  # rapidfuzz ratio, 0-100: below this a name is not even a candidate
FUZZY_LIMIT = 12
CANDIDATE_LIMIT = 8
PREFIX_LIMIT = 8
# A whole-word prefix ("St-Jean") is a guess: its confidence grows with the population share
# of the biggest candidate, from PREFIX_FLOOR up to PREFIX_FLOOR + PREFIX_SPAN.
PREFIX_FLOOR = 0.5
PREFIX_SPAN = 0.45
ALIAS_CONFIDENCE = 0.97
# A sure typo: this confidence, less TYPO_STEP per edit. A guess that is not sure: its letter
# similarity, capped below the resolver's threshold (app.geo.resolver.MIN_CONFIDENCE).
TYPO_CONFIDENCE = 0.95
TYPO_STEP = 0.07
UNSURE_CEILING = 0.6
DESIGNATION_PREFIXES = ("ville de ", "municipalite de ", "paroisse de ", "village de ", "city of ")
# The generic heads of names: "Saint-", "Lac-"… say little about which place is meant.


@dataclass(frozen=True, slots=True)
class Match:
    """One target (by index), how sure we are that it is the one meant, and the key it
    matched (two targets with the same key are homonyms)."""

    index: int
    confidence: float
    key: str = ""
    sure: bool = True


@dataclass(frozen=True, slots=True)
class Target:
    """What a name points to: a municipality (index into the municipalities) or a locality."""

    municipality: int
    region_code: str
    population: int
    kind: str = "municipality"  # or a locality's kind: borough, former, sector, neighbourhood


BIG_TOWN = 10_000  # a five-letter name takes a typo when this many people live there
CITY = 50_000  # a city's long name (12 letters or more) takes one typo more


def allowed_edits(tail: str, population: int) -> int:
    """How many typos the distinctive part of a name can take and still be recognised.

    Short names take none ("Rome" is not "Brome" mistyped, nor "Sainte-Foy" "Saint-Éloi"),
    except a five-letter town of some size (`Lavl` is Laval): people type those more often.
    """
    if len(tail) < 5 or (len(tail) == 5 and population < BIG_TOWN):
        return 0
    return 1 if len(tail) < 12 else 2


def is_swap(a: str, b: str) -> bool:
    """Two neighbouring letters swapped (`Amso` for `Amos`): the commonest slip of all."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def sure_typo(
    query: str, name: str, tail: str, edits: int, population: int, runner_up: int = 99
) -> bool:
    """Whether `query` is `name` (both short keys) mistyped, rather than another word.

    Sure when the slip is in the generic head only (`Mnt-Joli`, `S.t-Godefroi`), when it is
    two letters swapped in a name of four letters or more, or when the distinctive part is
    long enough to take `edits` typos. A city's long name (`troa riviere`) takes one more
    when the next name (`runner_up`: its edits) is further still.
    """
    if edits == 0:
        return True
    head = name[: len(name) - len(tail)]
    if head and query.endswith(tail) and OSA.distance(query[: len(query) - len(tail)], head) <= 1:
        return True
    if len(tail) >= 4 and is_swap(query, name):
        return True
    allowed = allowed_edits(tail, population)
    if population >= CITY and len(tail) >= 12 and runner_up > edits:
        allowed += 1
    return edits <= allowed


def repaired_saints(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The words with one mistyped `Saint`/`Sainte` put right: `Saite-Foy`, `Sint-Jean`."""
    out = []
    for at, word in enumerate(words):
        if word in SAINTS or not 4 <= len(word) <= 7:
            continue
        for right in SAINTS:
            if OSA.distance(word, right) <= 1:
                out.append((*words[:at], right, *words[at + 1 :]))
    return out


SAINTS = ("saint", "sainte", "saints", "saintes")


class NameIndex:
    """Lookup tables over the place names. Built once; read-only afterwards."""

    def __init__(
        self,
        municipalities: Sequence[Municipality],
        regions: Sequence[Region],
        localities: Sequence[Locality] = (),
    ) -> None:
        self.municipalities = list(municipalities)
        row_of = {m.code: i for i, m in enumerate(self.municipalities)}
        self.targets = [
            Target(i, m.region_code, m.population) for i, m in enumerate(municipalities)
        ]
        names: list[tuple[int, str]] = [(i, m.name) for i, m in enumerate(municipalities)]
        alias_names: list[tuple[int, str]] = []
        for loc in localities:
            town = row_of[loc.municipality_code]
            if loc.kind == "alias":  # another name of the municipality itself
                alias_names.extend((town, n) for n in (loc.name, *loc.aliases))
                continue
            target = len(self.targets)
            region = self.municipalities[town].region_code
            self.targets.append(Target(town, region, 0, loc.kind))
            names.append((target, loc.name))
            alias_names.extend((target, n) for n in loc.aliases)
        self.locality_count = len(self.targets) - len(self.municipalities)

        spaced = sorted((" ".join(tokens(n)), i) for i, n in names)
        # Sorted, so the names sharing a prefix are one contiguous run found by bisection.
        self._sorted_names = [name for name, _ in spaced]
        self._sorted_index = [i for _, i in spaced]
        self.exact = _group((i, name_key(n)) for i, n in names)
        aliases = [(i, key(without_article(tokens(n)))) for i, n in names]
        aliases += [(i, name_key(n)) for i, n in alias_names]
        aliases += [(i, key(without_article(tokens(n)))) for i, n in alias_names]
        self.alias = {k: v for k, v in _group(aliases).items() if k not in self.exact}
        # The fuzzy search runs over the short keys of every name, official or alias.
        fuzzy: dict[str, list[int]] = defaultdict(list)
        self._tails: dict[str, str] = {}
        for i, n in [*names, *alias_names]:
            for words in {tokens(n), without_article(tokens(n))}:
                k = short_key(words)
                if i not in fuzzy[k]:
                    fuzzy[k].append(i)
                self._tails.setdefault(k, distinctive_tail(words))
        self._fuzzy_keys = list(fuzzy)
        self._fuzzy_targets = list(fuzzy.values())
        self._fuzzy_targets_of = dict(fuzzy)
        self.qualifiers = _qualifiers(self.municipalities, regions)
        self._qualifier_keys = list(self.qualifiers)

    def match(self, text: str) -> list[Match]:
        """Best matches for a bare name (no qualifier), best first; empty when nothing fits."""
        variants = _variants(tokens(text))
        for words in variants:
            found = self._exact(key(words))
            if found:
                return self._unless_a_town_starts_so(found, words)
        words = variants[-1]
        if not words:
            return []
        return (
            self._prefix(" ".join(words)) or self._repaired(words) or self._fuzzy(short_key(words))
        )

    def _unless_a_town_starts_so(self, found: list[Match], words: tuple[str, ...]) -> list[Match]:
        """A neighbourhood's name that begins municipalities' names (Québec's Saint-Roch;
        Saint-Roch-de-l'Achigan…) is not sure: people may have cut the town's name short.
        Boroughs and former municipalities are known well enough to stand."""
        if not all(self.targets[m.index].kind == "neighbourhood" for m in found):
            return found
        towns = [
            m for m in self._prefix(" ".join(words)) if self.targets[m.index].kind == "municipality"
        ]
        if not towns:
            return found
        return [Match(m.index, m.confidence, m.key, False) for m in [*found, *towns]]

    def _repaired(self, words: tuple[str, ...]) -> list[Match]:
        """An exact name once a mistyped `Saint` is put right: sure when only one name fits."""
        found: dict[str, list[int]] = {}
        for fixed in repaired_saints(words):
            k = key(fixed)
            if k in self.exact:
                found[k] = self.exact[k]
        if not found:
            return []
        sure = len(found) == 1
        confidence = TYPO_CONFIDENCE - TYPO_STEP if sure else UNSURE_CEILING
        matches = [
            Match(m.index, confidence, k, sure)
            for k, hits in found.items()
            for m in self._ranked(hits, confidence, k)
        ]
        return matches

    def _exact(self, k: str) -> list[Match]:
        if k in self.exact:
            return self._ranked(self.exact[k], 1.0, k)
        if k in self.alias:
            return self._ranked(self.alias[k], ALIAS_CONFIDENCE, k)
        return []

    def _ranked(self, indices: Iterable[int], confidence: float, k: str = "") -> list[Match]:
        order = sorted(set(indices), key=lambda i: (-self.targets[i].population, i))
        return [Match(i, confidence, k) for i in order]

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
        total = sum(self.targets[i].population for i in hits) or 1
        share = self.targets[ranked[0].index].population / total
        top = PREFIX_FLOOR + PREFIX_SPAN * share
        return [
            Match(m.index, top if n == 0 else PREFIX_FLOOR, f"prefix:{m.index}")
            for n, m in enumerate(ranked)
        ]

    def _fuzzy(self, k: str) -> list[Match]:
        found = process.extract(
            k, self._fuzzy_keys, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=FUZZY_CUTOFF
        )
        best: dict[int, tuple[int, float, str]] = {}  # target → (edits, similarity, key)
        for name, score, at in found:
            edits = OSA.distance(k, name)
            for target in self._fuzzy_targets[at]:
                seen = best.get(target)
                if seen is None or (edits, -score) < (seen[0], -seen[1]):
                    best[target] = (edits, score, name)
        if not best:
            return []
        # Fewest edits first; then the closer in letters; then the bigger place.
        order = sorted(
            best, key=lambda t: (best[t][0], -best[t][1], -self.targets[t].population, t)
        )
        edits, _, top_key = best[order[0]]
        closest = {best[t][2] for t in order if best[t][0] <= edits}
        runner_up = min((best[t][0] for t in order if best[t][2] != top_key), default=99)
        population = max(self.targets[t].population for t in self._fuzzy_targets_of[top_key])
        tail = self._tails[top_key]
        sure = closest == {top_key} and sure_typo(k, top_key, tail, edits, population, runner_up)
        matches = []
        for t in order[:CANDIDATE_LIMIT]:
            t_edits, score, name = best[t]
            if sure and name == top_key:
                confidence = TYPO_CONFIDENCE - TYPO_STEP * max(t_edits, 1)
            else:
                confidence = min(score / 100.0, UNSURE_CEILING)
            matches.append(Match(t, round(confidence, 3), name, sure and name == top_key))
        return matches

    def qualifier_filter(self, qualifier: str) -> set[int] | None:
        """Municipalities a qualifier (region, MRC, designation or municipality) allows; None
        if unknown."""
        k = name_key(qualifier)
        if k in self.qualifiers:
            return self.qualifiers[k]
        hit = process.extractOne(k, self._qualifier_keys, scorer=fuzz.ratio, score_cutoff=85)
        return self.qualifiers[hit[0]] if hit else None


def _group(pairs: Iterable[tuple[int, str]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in pairs:
        if k and i not in groups[k]:
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
    """Keys of region codes and names, MRC names, designations, municipality names and codes
    → the municipalities they allow."""
    by_region: dict[str, set[int]] = defaultdict(set)
    table: dict[str, set[int]] = defaultdict(set)
    for i, m in enumerate(municipalities):
        by_region[m.region_code].add(i)
        table[m.code].add(i)
        for label in (m.mrc_name, "mrc " + m.mrc_name, m.designation):
            table[name_key(label)].add(i)
            table[key(without_article(tokens(label)))].add(i)
    for i, m in enumerate(municipalities):
        # "Saint-Laurent, Montréal", "Saint-Sauveur (ville de Québec)": the town itself.
        for label in (m.name, "ville de " + m.name, m.name + " city", "city of " + m.name):
            table[name_key(label)].add(i)
    for region in regions:
        # "Gaspésie" or "Lac-Saint-Jean" alone name their region too.
        parts = region.name_fr.split("–")
        for label in (region.code, region.name_fr, region.name_en, *parts):
            table[name_key(label)] |= by_region[region.code]
    table.pop("", None)
    return dict(table)
