"""The labelled set of tests/geo/eval_places.csv (built by build_eval_set.py): what people type
for a place, and what the resolver must answer. The measure that matters: no `ok` answer is
wrong. Unsure (`ambiguous` or not found) is allowed where a typo leaves doubt, never for a
name written right."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.geo import GeoError, get_resolver
from app.geo.places import ResolveResult
from app.geo.resolver import Resolver
from app.geo.text import name_key

EVAL = Path(__file__).resolve().parent / "eval_places.csv"
MIN_TYPO_RECALL = 0.8  # typos answered `ok` (and right); the others are answered "not sure"
MIN_ROWS = {"locality": 150, "made_up": 100, "foreign": 60, "postal": 400}


@dataclass(frozen=True)
class Row:
    query: str
    expected: str
    case: str


def load() -> list[Row]:
    with EVAL.open(encoding="utf-8", newline="") as handle:
        return [Row(r["query"], r["expected"], r["case"]) for r in csv.DictReader(handle)]


def answer(resolver: Resolver, query: str) -> ResolveResult | None:
    try:
        return resolver.resolve(query)
    except GeoError:
        return None


def same_place(resolver: Resolver, code: str) -> set[str]:
    """The municipality and its homonyms of the same region (Akulivik the northern village and
    Akulivik the reserved land): one name there, and the resolver answers the bigger one."""
    town = resolver.by_code[code]
    return {
        m.code
        for m in resolver.municipalities
        if m.region_code == town.region_code and name_key(m.name) == name_key(town.name)
    }


def right(resolver: Resolver, row: Row, result: ResolveResult) -> bool:
    """Whether an `ok` answer is the place meant."""
    best = result.best
    assert best is not None
    if not row.expected:
        return False
    if row.expected.startswith("region:"):
        return best.region_code in row.expected.removeprefix("region:").split(";")
    return best.municipality_code in same_place(resolver, row.expected)


def listed(row: Row, result: ResolveResult) -> bool:
    """Whether an unsure answer offers the place meant among its candidates."""
    if row.expected.startswith("region:"):
        regions = row.expected.removeprefix("region:").split(";")
        return any(c.region_code in regions for c in result.candidates)
    return any(c.municipality_code == row.expected for c in result.candidates)


@pytest.fixture(scope="module")
def outcome() -> dict[str, Counter[str]]:
    resolver = get_resolver()
    tally: dict[str, Counter[str]] = {}
    wrong: list[tuple[str, str, str]] = []
    unsure: list[str] = []
    for row in load():
        counts = tally.setdefault(row.case, Counter())
        result = answer(resolver, row.query)
        if result is None:
            counts["not_found"] += 1
        elif result.status == "ok":
            good = right(resolver, row, result)
            counts["ok_right" if good else "ok_wrong"] += 1
            if not good:
                wrong.append((row.case, row.query, result.best.label if result.best else ""))
        else:
            counts["unsure_listed" if row.expected and listed(row, result) else "unsure"] += 1
            if row.case.endswith("_typo"):
                unsure.append(row.query)
    report = "\n".join(f"  {case:18} {dict(sorted(c.items()))}" for case, c in tally.items())
    print(f"\nevaluation set ({EVAL.name}):\n{report}")
    print(f"unsure typos: {unsure}\nconfident wrong answers: {wrong}")
    tally["_wrong"] = Counter({f"{case}: {q} → {label}": 1 for case, q, label in wrong})
    return tally


def test_the_set_is_large_enough() -> None:
    sizes = Counter(row.case for row in load())
    for case, least in MIN_ROWS.items():
        assert sizes[case] >= least, case


def test_no_confident_wrong_answer(outcome: dict[str, Counter[str]]) -> None:
    assert not outcome["_wrong"], list(outcome["_wrong"])
    ok = sum(c["ok_right"] + c["ok_wrong"] for k, c in outcome.items() if k != "_wrong")
    assert ok > 800  # the measure is over real answers, not over refusals


@pytest.mark.parametrize("case", ["made_up", "foreign"])
def test_no_made_up_or_foreign_name_is_answered_ok(
    outcome: dict[str, Counter[str]], case: str
) -> None:
    assert outcome[case]["ok_right"] + outcome[case]["ok_wrong"] == 0


@pytest.mark.parametrize("case", ["locality", "locality_plain", "municipality"])
def test_names_written_right_are_found(outcome: dict[str, Counter[str]], case: str) -> None:
    # A homonym (Saint-Michel: a town, and a neighbourhood of Montréal) may be unsure, but
    # then the place meant is among the candidates.
    counts = outcome[case]
    assert counts["not_found"] == 0 and counts["unsure"] == 0, dict(counts)
    assert counts["ok_right"] >= 0.9 * sum(counts.values())


@pytest.mark.parametrize("case", ["locality_typo", "municipality_typo"])
def test_most_typos_still_resolve(outcome: dict[str, Counter[str]], case: str) -> None:
    counts = outcome[case]
    assert counts["ok_right"] / sum(counts.values()) >= MIN_TYPO_RECALL, dict(counts)


def test_every_postal_code_resolves(outcome: dict[str, Counter[str]]) -> None:
    counts = outcome["postal"]
    assert counts["not_found"] == 0 and counts["unsure"] == 0, dict(counts)
