"""Ranking quality on the evaluation set: the policy against the previous one and two
baselines, all measured in the same run.

Runs every case of bench/evaluation (the 2026.2 set, and the cases added for 2026.3 around
free text, age-defined groups and rural regions, written before 2026.3 was tuned) over the
demo directory, and reports hit@1 (the first centre offered is an acceptable first) and
NDCG@3 (graded gain of the top three) for:
- the current policy (app.matching.POLICY);
- the previous policy (POLICY_2026_2: taxonomy synonyms, no age-defined groups, no local-first);
- "nearest eligible": the same hard rules, then distance alone;
- "nearest listed": every active centre by distance, no rule at all.

    python -m bench bench_matching_quality
"""

from __future__ import annotations

from typing import Any

from app.matching import POLICY, POLICY_2026_2
from bench.evaluation.cases import CASES as CASES_2026_2
from bench.evaluation.cases_2026_3 import CASES_2026_3
from bench.evaluation.harness import CASES, NEAREST_ELIGIBLE, evaluate, nearest_listed, ranked_by

RANKERS = {
    f"policy {POLICY.version}": ranked_by(POLICY),
    f"policy {POLICY_2026_2.version}": ranked_by(POLICY_2026_2),
    "nearest eligible": ranked_by(NEAREST_ELIGIBLE),
    "nearest listed": nearest_listed,
}
SETS = {"all": CASES, "set 2026.2": CASES_2026_2, "added for 2026.3": CASES_2026_3}


def main() -> dict[str, Any]:
    """Score every ranking on every set, print a table, and return the figures."""
    figures: dict[str, Any] = {}
    print(f"{'ranking':<20}" + "".join(f"{name + f' ({len(c)})':>26}" for name, c in SETS.items()))
    print(f"{'':<20}" + f"{'hit@1':>13}{'NDCG@3':>13}" * len(SETS))
    for name, ranker in RANKERS.items():
        row = {label: evaluate(ranker, cases) for label, cases in SETS.items()}
        cells = "".join(f"{f.hit_at_1:>13.3f}{f.ndcg_at_3:>13.3f}" for f in row.values())
        print(f"{name:<20}{cells}")
        figures[name] = {
            label: {"cases": f.cases, "hit_at_1": round(f.hit_at_1, 4),
                    "ndcg_at_3": round(f.ndcg_at_3, 4), "forbidden_in_top_3": f.forbidden_shown,
                    "misses": list(f.misses)}
            for label, f in row.items()
        }  # fmt: skip
    for miss in figures[f"policy {POLICY.version}"]["all"]["misses"]:
        print(f"  policy miss: {miss}")
    return {"policy_version": POLICY.version, "rankings": figures}


if __name__ == "__main__":
    main()
