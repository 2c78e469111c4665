"""Geography speed and accuracy, each against a naive baseline measured in the same run.

- municipality names (clean and misspelled, half each) vs rapidfuzz `process.extractOne` over
  the raw names (no folding, no index);
- postal codes vs a linear scan of the FSA table;
- point → region vs a linear scan of unprepared polygons;
- mixed input (the labelled set of tests/geo/eval_places.csv: localities, typos, postal codes,
  made-up and foreign names) vs the same naive name matcher; accuracy there is the share of
  `ok` answers that are right, and `confident_wrong` counts the others (the target is 0).

Targets (p50): names and mixed input < 0.3 ms, postal codes < 20 µs, points < 50 µs.
"""

from __future__ import annotations

import csv
import importlib.util
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import shapely
from rapidfuzz import process

from app.geo import GeoError, get_resolver
from app.geo.resolver import Resolver
from app.geo.text import name_key

REPO = Path(__file__).resolve().parents[1]
TARGETS_US = {"municipality": 300.0, "postal_code": 20.0, "point": 50.0, "mixed": 300.0}
EVAL_SET = REPO / "tests/geo/eval_places.csv"
ROUNDS = 3


def _mangler() -> ModuleType:
    """The tests' generator of misspellings, so bench and tests measure the same thing."""
    path = REPO / "tests/helpers/geo_mangle.py"
    spec = importlib.util.spec_from_file_location("geo_mangle", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn: Callable[[Any], Any], inputs: Sequence[Any], rounds: int = ROUNDS) -> list[float]:
    """Per-call times in µs over every input, `rounds` times (first pass discarded)."""
    for item in inputs[:50]:
        _safe(fn, item)
    times = []
    for _ in range(rounds):
        for item in inputs:
            start = time.perf_counter_ns()
            _safe(fn, item)
            times.append((time.perf_counter_ns() - start) / 1000)
    return times


def _safe(fn: Callable[[Any], Any], item: Any) -> Any:
    try:
        return fn(item)
    except GeoError:
        return None


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_us": round(statistics.median(ordered), 2),
        "p95_us": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "mean_us": round(statistics.fmean(ordered), 2),
    }


# --- municipality names --------------------------------------------------------------------


def name_cases(resolver: Resolver) -> list[tuple[str, str]]:
    """(expected code, typed text): each municipality clean once, misspelled once."""
    mangle = _mangler()
    pairs = [(m.code, m.name) for m in resolver.municipalities]
    return [(code, typed) for code, typed, _typo in mangle.mangled_set(pairs, seed=11)]


def names_accuracy(resolver: Resolver, cases: list[tuple[str, str]]) -> dict[str, float]:
    names = [m.name for m in resolver.municipalities]
    keys = [name_key(n) for n in names]
    ours = naive = 0
    for code, typed in cases:
        want = name_key(resolver.by_code[code].name)
        result = _safe(resolver.resolve, typed)
        picked = (result.best or (result.candidates or [None])[0]) if result else None
        ours += picked is not None and name_key(picked.municipality or "") == want
        hit = process.extractOne(typed, names)
        naive += hit is not None and keys[hit[2]] == want
    return {"ours": round(ours / len(cases), 4), "naive": round(naive / len(cases), 4)}


def bench_names(resolver: Resolver) -> dict[str, Any]:
    cases = name_cases(resolver)
    random.Random(5).shuffle(cases)
    typed = [t for _, t in cases]
    names = [m.name for m in resolver.municipalities]
    naive_sample = typed[:600]  # the baseline is slow; a sample gives its figures
    return {
        "cases": len(cases),
        "ours": summary(timed(resolver.resolve, typed)),
        "naive": summary(timed(lambda q: process.extractOne(q, names), naive_sample, 1)),
        "accuracy": names_accuracy(resolver, cases),
    }


# --- mixed input: the labelled set ---------------------------------------------------------


def _eval_rows() -> list[dict[str, str]]:
    with EVAL_SET.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _right(resolver: Resolver, expected: str, place: Any) -> bool:
    if not expected:
        return False
    if expected.startswith("region:"):
        return bool(place.region_code in expected.removeprefix("region:").split(";"))
    want = resolver.by_code[expected]
    town = resolver.by_code.get(place.municipality_code or "")
    return town is not None and (town.code == want.code or (
        name_key(town.name) == name_key(want.name) and town.region_code == want.region_code
    ))  # fmt: skip


def bench_mixed(resolver: Resolver) -> dict[str, Any]:
    rows = _eval_rows()
    typed = [r["query"] for r in rows]
    names = [m.name for m in resolver.municipalities]
    ok = right = 0
    for row in rows:
        result = _safe(resolver.resolve, row["query"])
        if result is not None and result.status == "ok":
            ok += 1
            right += _right(resolver, row["expected"], result.best)
    # The naive matcher always answers: its best guess counts as an `ok` answer.
    naive_right = 0
    for row in rows:
        hit = process.extractOne(row["query"], names)
        naive_right += hit is not None and _right(
            resolver,
            row["expected"],
            resolver.municipality_by_code(resolver.municipalities[hit[2]].code),
        )
    return {
        "cases": len(rows),
        "ours": summary(timed(resolver.resolve, typed)),
        "naive": summary(timed(lambda q: process.extractOne(q, names), typed[:600], 1)),
        "accuracy": {
            "ours": round(right / max(ok, 1), 4),
            "naive": round(naive_right / len(rows), 4),
        },
        "answered_ok": ok,
        "confident_wrong": ok - right,
    }


# --- postal codes --------------------------------------------------------------------------


def postal_cases(resolver: Resolver) -> list[str]:
    rng = random.Random(7)
    spellings = ("{f} {l}", "{f}{l}", "{lf}{ll}", "{lf} {ll}")
    cases = []
    for fsa in resolver.fsas:
        ldu = f"{rng.randint(0, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randint(0, 9)}"
        for spelling in spellings:
            cases.append(spelling.format(f=fsa, l=ldu, lf=fsa.lower(), ll=ldu.lower()))
    return cases


def naive_postal(table: list[tuple[str, str]]) -> Callable[[str], str | None]:
    def lookup(text: str) -> str | None:
        compact = text.replace(" ", "").upper()
        for fsa, region in table:
            if compact.startswith(fsa):
                return region
        return None

    return lookup


def bench_postal(resolver: Resolver) -> dict[str, Any]:
    cases = postal_cases(resolver)
    table = [(f.fsa, f.regions[0]) for f in resolver.fsas.values()]
    lookup = naive_postal(table)
    expected = {f.fsa: f.regions for f in resolver.fsas.values()}
    ours = sum(
        (r.best.region_code if r.best else r.candidates[0].region_code) in expected[c[:3].upper()]
        for c in cases
        for r in [resolver.resolve(c)]
    )
    naive = sum(lookup(c) in expected[c[:3].upper()] for c in cases)
    return {
        "cases": len(cases),
        "ours": summary(timed(resolver.resolve, cases)),
        "naive": summary(timed(lookup, cases)),
        "accuracy": {"ours": ours / len(cases), "naive": naive / len(cases)},
    }


# --- points --------------------------------------------------------------------------------


def bench_points(resolver: Resolver) -> dict[str, Any]:
    towns = list(resolver.municipalities)
    random.Random(3).shuffle(towns)  # codes follow geography: a prefix would be one corner
    points = [(m.lat, m.lon) for m in towns]
    expected = [m.region_code for m in towns]
    polygons = [
        (code, shapely.geometry.shape(region.geometry))
        for code, region in sorted(resolver.regions.items())
    ]

    def naive(point: tuple[float, float]) -> str | None:
        probe = shapely.Point(point[1], point[0])
        return next((code for code, geom in polygons if geom.contains(probe)), None)

    def ours(point: tuple[float, float]) -> str:
        return resolver.region_at(*point)

    agree = sum(_safe(ours, p) == want for p, want in zip(points, expected, strict=True))
    agree_naive = sum(naive(p) == want for p, want in zip(points, expected, strict=True))
    return {
        "cases": len(points),
        "ours": summary(timed(ours, points)),
        "naive": summary(timed(naive, points, 1)),
        "accuracy": {"ours": agree / len(points), "naive": agree_naive / len(points)},
    }


def main() -> dict[str, Any]:
    """Measure, print a table, return the figures."""
    started = time.perf_counter()
    get_resolver.cache_clear()
    resolver = get_resolver()
    load_ms = (time.perf_counter() - started) * 1000
    results: dict[str, Any] = {
        "load_ms": round(load_ms, 1),
        "municipality": bench_names(resolver),
        "postal_code": bench_postal(resolver),
        "point": bench_points(resolver),
        "mixed": bench_mixed(resolver),
    }
    print(f"data loaded in {load_ms:.0f} ms")
    print(
        f"{'what':<13}{'cases':>7}{'p50 µs':>9}{'p95 µs':>9}{'naive p50':>11}"
        f"{'speed-up':>10}{'target':>8}{'acc.':>8}{'naive acc.':>12}"
    )
    for what in ("municipality", "postal_code", "point", "mixed"):
        r = results[what]
        r["speedup_p50"] = round(r["naive"]["p50_us"] / r["ours"]["p50_us"], 1)
        r["meets_target"] = r["ours"]["p50_us"] < TARGETS_US[what]
        print(
            f"{what:<13}{r['cases']:>7}{r['ours']['p50_us']:>9.1f}{r['ours']['p95_us']:>9.1f}"
            f"{r['naive']['p50_us']:>11.1f}{r['speedup_p50']:>9.1f}x"
            f"{'<' + str(int(TARGETS_US[what])):>8}{r['accuracy']['ours']:>8.2%}"
            f"{r['accuracy']['naive']:>12.2%}"
        )
    mixed = results["mixed"]
    print(f"mixed input: {mixed['answered_ok']} answered ok, {mixed['confident_wrong']} wrong")
    return results


if __name__ == "__main__":
    main()
