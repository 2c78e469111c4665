"""Hard rules: a centre that breaks one is never offered, whatever its score.

The rules exist twice, on purpose: vectorised over all centres for ranking, and for one
centre to explain a refusal in words. A test checks that both always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar, cast

import numpy as np

from app.matching import reasons
from app.matching.columns import NO_AGE_MAX, NO_AGE_MIN, BoolArray, Columns
from app.matching.model import CentreProfile, Reason, Situation
from app.taxonomy import AGE_DEFINED_GROUPS

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
_T = TypeVar("_T")


Rule = tuple[str, BoolArray]  # a rule's name, and which centres pass it


def _memo(cols: Columns, key: tuple[object, ...], make: Callable[[], _T]) -> _T:
    """`make()`, kept per index under `key`. The keys are facets of a situation (a region, an
    age, a set of groups) that many requests share; the memo is emptied when it would hold
    more than about 32 MB of masks (or 16 masks, for very large indexes), so its size stays
    bounded whatever the traffic. `MatchIndex.nbytes` does not count it.

    It earns its keep on small directories: without it, index.rank's p50 at 100 synthetic
    centres goes from 79 to 88-92 us (+12 %), at 10,000 from 289-298 to 300-319 us (+4 %),
    unchanged at 100,000 (one pinned core, CPU time, 300 situations, three runs each)."""
    memo = cols.memo
    found = memo.get(key)
    if found is None:
        if len(memo) >= min(4096, max(16, _MEMO_BYTES // max(cols.size, 1))):
            memo.clear()
        found = memo[key] = make()
    return cast(_T, found)


_MEMO_BYTES = 32_000_000


def _area_rules(cols: Columns, s: Situation) -> Iterator[Rule]:
    """The rules on where the person is and which language they speak."""
    in_region = cols.pick(cols.region, s.region_code)
    yield "out_of_region", (in_region | cols.remote) if s.accepts_remote else in_region
    if s.language is not None:
        yield "language_not_offered", cols.pick(cols.language, s.language)


def groups_by_age(age: int | None) -> frozenset[str]:
    """The age-defined groups (DESIGN §4) whose bounds hold `age`."""
    if age is None:
        return frozenset()
    return frozenset(
        group
        for group, (low, high) in AGE_DEFINED_GROUPS.items()
        if (low is None or age >= low) and (high is None or age <= high)
    )


def _person_rules(cols: Columns, s: Situation, by_age: bool) -> Iterator[Rule]:
    """The rules on who the person is: age and client groups (one mask per value, kept).

    With `by_age`, a person whose age is given may be served by a centre restricted to an
    age-defined group without ticking it: within the centre's own age limits when it has
    some, else within the group's bounds."""
    if s.age is not None:
        age = s.age
        yield (
            "age_out_of_range",
            _memo(cols, ("age", age), lambda: (cols.age_min <= age) & (cols.age_max >= age)),
        )
    by = s.age if by_age else None
    yield (
        "client_group_restricted",
        _memo(
            cols,
            ("groups", s.client_groups, by),
            lambda: _serves_any(cols, s.client_groups, by),
        ),
    )


def _serves_any(cols: Columns, groups: frozenset[str], age: int | None) -> BoolArray:
    """Centres that serve everyone or one of `groups`; with `age`, also those restricted to
    an age-defined group that admits that age (see admitted_by_age)."""
    ok = cols.serves_everyone
    for group in groups:
        ok = ok | cols.pick(cols.client_group, group)
    if age is not None:
        implied = groups_by_age(age)
        limited = (cols.age_min != NO_AGE_MIN) | (cols.age_max != NO_AGE_MAX)
        within = limited & (cols.age_min <= age) & (cols.age_max >= age)
        for group in AGE_DEFINED_GROUPS.keys() - groups:
            listed = cols.pick(cols.client_group, group)
            ok = ok | (listed & (~limited | within) if group in implied else listed & within)
    return ok


Passed = tuple[BoolArray, dict[str, int], int]  # centres left, counts by rule, how many left


def _apply(rules: Iterable[Rule], passed: Passed) -> Passed:
    """Narrow `passed` by each rule in turn, counting the centres each one removes."""
    remaining, counts, left = passed
    counts = dict(counts)
    for rule, ok in rules:
        remaining = remaining & ok
        still = int(np.count_nonzero(remaining))
        if still < left:
            counts[rule], left = left - still, still
    return remaining, counts, left


def eligible_rows(
    cols: Columns, s: Situation, excluded_rows: list[int], *, by_age: bool = True
) -> tuple[BoolArray, dict[str, int]]:
    """Which centres pass every rule, and how many were excluded under each rule.

    Rules are applied in RULE_ORDER. Without centres to exclude, the centres left after the
    area rules are kept per (region, remote accepted, language): many requests share them."""
    passed: Passed = (cols.available, cols.unavailable, cols.available_count)
    if excluded_rows:
        ok = np.ones(cols.size, dtype=np.bool_)
        ok[excluded_rows] = False
        passed = _apply([("already_referred", ok), *_area_rules(cols, s)], passed)
    else:
        start = passed
        passed = _memo(
            cols,
            ("area", s.region_code, s.accepts_remote, s.language),
            lambda: _apply(_area_rules(cols, s), start),
        )
    remaining, counts, _ = _apply(_person_rules(cols, s, by_age), passed)
    return remaining, counts


def _age_ok(profile: CentreProfile, age: int | None) -> bool:
    if age is None:
        return True
    too_young = profile.age_min is not None and age < profile.age_min
    too_old = profile.age_max is not None and age > profile.age_max
    return not (too_young or too_old)


def admitted_by_age(profile: CentreProfile, s: Situation) -> frozenset[str]:
    """The age-defined groups of `profile` that admit `s` by age alone, not ticked: those it
    lists when the person's age is within the centre's own limits, or, for a centre without
    limits, within the group's bounds (DESIGN §4)."""
    if s.age is None or profile.serves_everyone or not _age_ok(profile, s.age):
        return frozenset()
    listed = (profile.client_groups & AGE_DEFINED_GROUPS.keys()) - s.client_groups
    if profile.age_min is not None or profile.age_max is not None:
        return listed
    return listed & groups_by_age(s.age)


def ineligibility(
    profile: CentreProfile, s: Situation, *, already_referred: bool, by_age: bool = True
) -> list[Reason]:
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
    restricted = not profile.serves_everyone and not (profile.client_groups & s.client_groups)
    if restricted and not (by_age and admitted_by_age(profile, s)):
        found.append(reasons.client_group_restricted(profile.client_groups))
    return found
