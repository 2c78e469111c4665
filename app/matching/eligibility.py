"""Hard rules: a centre that breaks one is never offered, whatever its score.

The rules exist twice, on purpose: vectorised over all centres for ranking, and for one
centre to explain a refusal in words. A test checks that both always agree.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from app.matching import reasons
from app.matching.columns import BoolArray, Columns
from app.matching.model import CentreProfile, Reason, Situation

# The order in which exclusions are counted: a centre failing several rules counts once,
# under the first. Rules that do not depend on the person come first.
RULE_ORDER = (
    "inactive",
    "intake_paused",
    "already_referred",
    "out_of_region",
    "language_not_offered",
    "age_out_of_range",
    "client_group_restricted",
)


def _situational(
    cols: Columns, s: Situation, excluded_rows: list[int]
) -> Iterator[tuple[str, BoolArray]]:
    """(rule, rows that pass it) for each rule that constrains this situation."""
    if excluded_rows:
        ok = np.ones(cols.size, dtype=np.bool_)
        ok[excluded_rows] = False
        yield "already_referred", ok
    in_region = cols.pick(cols.region, s.region_code)
    yield "out_of_region", (in_region | cols.remote) if s.accepts_remote else in_region
    if s.language is not None:
        yield "language_not_offered", cols.pick(cols.language, s.language)
    if s.age is not None:
        yield "age_out_of_range", (cols.age_min <= s.age) & (cols.age_max >= s.age)
    ok = cols.serves_everyone
    for group in s.client_groups:
        ok = ok | cols.pick(cols.client_group, group)
    yield "client_group_restricted", ok


def eligible_rows(
    cols: Columns, s: Situation, excluded_rows: list[int]
) -> tuple[BoolArray, dict[str, int]]:
    """Which centres pass every rule, and how many were excluded under each rule."""
    counts = dict(cols.unavailable)
    remaining, left = cols.available, cols.available_count
    for rule, ok in _situational(cols, s, excluded_rows):
        remaining = remaining & ok
        still = int(np.count_nonzero(remaining))
        if still < left:
            counts[rule], left = left - still, still
    return remaining, counts


def _age_ok(profile: CentreProfile, age: int | None) -> bool:
    if age is None:
        return True
    too_young = profile.age_min is not None and age < profile.age_min
    too_old = profile.age_max is not None and age > profile.age_max
    return not (too_young or too_old)


def ineligibility(profile: CentreProfile, s: Situation, *, already_referred: bool) -> list[Reason]:
    """Every rule `profile` breaks for `s`, in RULE_ORDER, as reasons (empty: eligible)."""
    found: list[Reason] = []
    if not profile.active:
        found.append(reasons.INACTIVE)
    if not profile.intake_open:
        found.append(reasons.INTAKE_PAUSED)
    if already_referred:
        found.append(reasons.ALREADY_REFERRED)
    offers_remote = "remote" in profile.modes
    if s.region_code not in profile.regions_served and not (offers_remote and s.accepts_remote):
        found.append(reasons.out_of_region(s.region_code, offers_remote))
    if s.language is not None and s.language not in profile.languages:
        found.append(reasons.language_not_offered(s.language))
    if not _age_ok(profile, s.age):
        found.append(reasons.age_out_of_range(profile.age_min, profile.age_max))
    if not profile.serves_everyone and not (profile.client_groups & s.client_groups):
        found.append(reasons.client_group_restricted(profile.client_groups))
    return found
