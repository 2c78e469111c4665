"""Ranking latency of app.matching at 100, 10,000 and 100,000 synthetic centres, on one core.

Compared in the same run with what a directory usually does: a Python loop over every
centre with geopy's great-circle distance per location and rapidfuzz WRatio of the free
text against each specialty label, then a full sort. Also reports the process memory (RSS)
with 100,000 centres loaded.

    python -m bench bench_matching      # or: python -m bench.bench_matching
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from geopy.distance import great_circle
from rapidfuzz import fuzz

from app.matching import POLICY, CentreProfile, MatchIndex, Situation
from app.matching.synthetic import iter_synthetic_profiles, synthetic_situations
from app.taxonomy import SPECIALTIES

SIZES = (100, 10_000, 100_000)
TARGET_P50_MS = {100: 0.1, 10_000: 2.0, 100_000: 10.0}
FAST_SAMPLES = {100: 3000, 10_000: 1500, 100_000: 600}
BASELINE_SAMPLES = {100: 300, 10_000: 20, 100_000: 5}
SITUATIONS = 300
LABELS = {t.code: (t.fr, t.en) for t in SPECIALTIES}


def rss_mb() -> float:
    """Current resident set size of this process, in MB (peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline_eligible(p: CentreProfile, s: Situation) -> bool:
    if not (p.active and p.intake_open):
        return False
    remote_ok = "remote" in p.modes and s.accepts_remote
    if s.region_code not in p.regions_served and not remote_ok:
        return False
    if s.language is not None and s.language not in p.languages:
        return False
    if s.age is not None and p.age_min is not None and s.age < p.age_min:
        return False
    if s.age is not None and p.age_max is not None and s.age > p.age_max:
        return False
    return p.serves_everyone or bool(p.client_groups & s.client_groups)


def baseline_rank(
    profiles: Sequence[CentreProfile], s: Situation
) -> list[tuple[float, float, str]]:
    """The straightforward ranking: per-centre Python, geopy distance, WRatio on labels."""
    origin = (s.lat, s.lon)
    ranked: list[tuple[float, float, str]] = []
    for p in profiles:
        if not _baseline_eligible(p, s):
            continue
        km = min((great_circle(origin, point).km for point in p.points), default=math.inf)
        fit = len(s.needs & p.specialties) / len(s.needs) if s.needs else 0.0
        if s.need_text:
            labels = (label for code in p.specialties for label in LABELS[code])
            fit = max(fit, max(fuzz.WRatio(s.need_text, label) for label in labels) / 100)
        groups = len(s.specific_groups & p.client_groups) / max(1, len(s.specific_groups))
        score = 0.4 * fit + 0.15 * groups + 0.25 / (1 + km / POLICY.distance_scale_km)
        ranked.append((-score, km, p.ref))
    ranked.sort()
    return ranked[: s.limit]


def _latencies_ms(
    call: Callable[[Situation], object], situations: list[Situation], n: int
) -> list[float]:
    for situation in situations[:20]:
        call(situation)  # warm caches (free-text readings, reasons) as a running server has
    gc.collect()
    samples = []
    for i in range(n):
        situation = situations[i % len(situations)]
        started = time.perf_counter()
        call(situation)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p(samples: list[float], q: float) -> float:
    return (
        statistics.quantiles(samples, n=100, method="inclusive")[q - 1]
        if len(samples) > 1
        else samples[0]
    )


def _one_size(size: int, situations: list[Situation], rss: dict[str, float]) -> dict[str, Any]:
    gc.collect()
    rss["before"] = rss_mb()
    started = time.perf_counter()
    # Generated while indexed, as a loader streams rows: only the index's copy stays alive.
    index = MatchIndex(iter_synthetic_profiles(size, seed=size))
    load_s = time.perf_counter() - started  # generating the synthetic profiles and indexing
    profiles = index.profiles
    fast = _latencies_ms(index.rank, situations, FAST_SAMPLES[size])
    # Open referrals at one centre in ten, prepared once as a server would between changes.
    load = index.load_vector({p.id: i % 7 for i, p in enumerate(profiles) if i % 10 == 0})
    loaded = _latencies_ms(lambda s: index.rank(s, load=load), situations, FAST_SAMPLES[size])
    slow = _latencies_ms(lambda s: baseline_rank(profiles, s), situations, BASELINE_SAMPLES[size])
    row: dict[str, Any] = {
        "centres": size,
        "generate_and_index_s": round(load_s, 3),
        "index_mb": round(index.nbytes / 2**20, 1),
        "p50_ms": round(_p(fast, 50), 4),
        "p99_ms": round(_p(fast, 99), 4),
        "samples": len(fast),
        "with_load_p50_ms": round(_p(loaded, 50), 4),
        "with_load_p99_ms": round(_p(loaded, 99), 4),
        "target_p50_ms": TARGET_P50_MS[size],
        "baseline_p50_ms": round(_p(slow, 50), 3),
        "baseline_p99_ms": round(_p(slow, 99), 3),
        "baseline_samples": len(slow),
    }
    row["meets_target"] = row["p50_ms"] <= row["target_p50_ms"]
    row["speedup_p50"] = round(row["baseline_p50_ms"] / row["p50_ms"], 1)
    gc.collect()
    rss["loaded"] = rss_mb()
    return row


def _pin_one_core() -> set[int] | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous)})
    return previous


def _print(rows: list[dict[str, Any]], rss: dict[str, float]) -> None:
    header = ("centres", "p50 ms", "p99 ms", "target", "ok", "base p50 ms", "base p99 ms",
              "speed-up", "+load p50", "gen+index s", "index MB")  # fmt: skip
    print(" | ".join(f"{h:>11}" for h in header))
    for r in rows:
        ok = "yes" if r["meets_target"] else "NO"
        cells = (r["centres"], r["p50_ms"], r["p99_ms"], r["target_p50_ms"], ok,
                 r["baseline_p50_ms"], r["baseline_p99_ms"], f"{r['speedup_p50']}x",
                 r["with_load_p50_ms"], r["generate_and_index_s"], r["index_mb"])  # fmt: skip
        print(" | ".join(f"{c!s:>11}" for c in cells))
    print(
        f"RSS with {max(SIZES):,} centres loaded: {rss['loaded']:.0f} MB "
        f"(process before loading them: {rss['before']:.0f} MB)"
    )


def main() -> dict[str, Any]:
    """Measure, print a table, and return the figures."""
    previous = _pin_one_core()
    try:
        situations = synthetic_situations(SITUATIONS, seed=1)
        rss: dict[str, float] = {}
        # Smallest first: the last size's figures are the process memory at full size.
        rows = [_one_size(size, situations, rss) for size in sorted(SIZES)]
    finally:
        if previous is not None:
            os.sched_setaffinity(0, previous)
    _print(rows, rss)
    return {
        "one_core": previous is not None,
        "limit": situations[0].limit,
        "policy_version": POLICY.version,
        "sizes": rows,
        "rss_mb": {name: round(value, 1) for name, value in rss.items()},
    }


if __name__ == "__main__":
    main()
