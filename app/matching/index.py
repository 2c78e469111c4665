"""The in-memory matching index: built once, patched per directory change, queried per request.

An index is immutable, so one instance can serve concurrent requests; when the directory
changes, `changed` makes a new one from the few centres that changed (their columns built
alone, the others' copied as arrays) and the caller swaps the reference.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from app.matching.columns import Columns, build_columns, patch_columns
from app.matching.eligibility import eligible_rows, ineligibility
from app.matching.explain import Explainer
from app.matching.geometry import FloatArray
from app.matching.model import (
    CentreProfile,
    MatchOutcome,
    RankedCentre,
    Reason,
    Situation,
    UnknownCentre,
)
from app.matching.overlay import Overlay
from app.matching.policy import POLICY, Policy
from app.matching.scoring import (
    Rows,
    Scored,
    behind_local,
    best_shown,
    need_weights,
    read_needs,
    score_rows,
)


@dataclass(frozen=True, eq=False, slots=True)
class LoadVector:
    """Load ratios (open referrals / weekly capacity), aligned with one index's centres.

    Build it with `MatchIndex.load_vector` when the counts change, and reuse it across
    requests instead of passing a mapping each time (which costs a pass over the mapping).
    """

    ratio: FloatArray
    index_id: int
    room: FloatArray  # the load component: 1 - min(ratio, 1)


Load = Mapping[str, int] | LoadVector | None


def _shared_sets(profiles: Iterable[CentreProfile]) -> tuple[CentreProfile, ...]:
    """The profiles, with equal code sets made one object.

    Directories repeat the same few sets ({"fr"}, {"in_person"}, ...); sharing them keeps
    about 0.7 KB per centre instead of 1.9 KB, which matters for a long-lived index.
    """
    pool: dict[frozenset[str], frozenset[str]] = {}
    one = pool.setdefault
    return tuple(
        replace(
            p,
            regions_served=one(p.regions_served, p.regions_served),
            languages=one(p.languages, p.languages),
            modes=one(p.modes, p.modes),
            specialties=one(p.specialties, p.specialties),
            client_groups=one(p.client_groups, p.client_groups),
        )
        for p in profiles
    )


class MatchIndex:
    """Ranks the centres of one directory version for any situation."""

    def __init__(self, profiles: Iterable[CentreProfile], policy: Policy = POLICY) -> None:
        """Lay out `profiles` as columns; ranking then never walks the centres one by one."""
        self._profiles = _shared_sets(profiles)
        rows: dict[str, int] = {}
        for row, profile in enumerate(self._profiles):
            if rows.setdefault(profile.id, row) != row:
                raise ValueError(f"duplicate centre id {profile.id!r}")
        self._row = Overlay(rows)  # shared with the versions `changed` makes
        # (ref, id) of every centre, sorted: where a centre put in by `changed` goes.
        self._keys = sorted((p.ref, p.id) for p in self._profiles)
        rank = np.empty(len(self._keys), dtype=np.float64)
        rank[[rows[centre_id] for _, centre_id in self._keys]] = np.arange(len(self._keys))
        self._cols = build_columns(self._profiles, rank)
        self.policy = policy

    def changed(self, profiles: Iterable[CentreProfile], removed: Iterable[str] = ()) -> MatchIndex:
        """This index with `profiles` put in (new, or in place of the same id) and the centres
        of `removed` (ids) taken out; the others are unchanged.

        Only the centres put in are laid out anew; every other column is copied as an array
        (a removed centre's row takes the last row), so an edit costs milliseconds at 100,000
        centres where a rebuild costs seconds. Ranking gives what `MatchIndex` of the same
        profiles gives (tests/matching/test_matching_changes.py)."""
        fresh = tuple(_shared_sets({p.id: p for p in profiles}.values()))
        put = {p.id for p in fresh}
        gone = [c for c in dict.fromkeys(removed) if c in self._row and c not in put]
        if len(fresh) + len(gone) > max(64, len(self) // 2):  # mostly new: build it whole
            kept = [p for p in self._profiles if p.id not in put and p.id not in set(gone)]
            return MatchIndex(kept + list(fresh), self.policy)
        old = self._cols
        profiles_now, keys, base = list(self._profiles), list(self._keys), self._row
        rows: dict[str, int] = {}  # the rows that moved or came in
        new = [p for p in fresh if p.id not in base]
        take = np.arange(old.size + len(new), dtype=np.intp)

        def forget(profile: CentreProfile) -> None:
            del keys[bisect.bisect_left(keys, (profile.ref, profile.id))]

        for j, profile in enumerate(fresh):
            at = base.get(profile.id)
            if at is None:
                at = rows[profile.id] = len(profiles_now)
                profiles_now.append(profile)
            else:
                forget(profiles_now[at])
                profiles_now[at] = profile
            take[at] = old.size + j
        size = len(profiles_now)
        for centre_id in gone:
            at = rows.pop(centre_id, None)
            if at is None:
                at = base[centre_id]
            forget(profiles_now[at])
            size -= 1
            if at != size:  # the last row fills the hole
                moved = profiles_now[at] = profiles_now[size]
                rows[moved.id] = at
                take[at] = take[size]
            profiles_now.pop()
        take = take[:size]
        row = base.changed(rows, gone)
        for profile in fresh:
            bisect.insort(keys, (profile.ref, profile.id))
        rank = np.concatenate([old.ref_rank, np.full(len(fresh), np.nan)])[take]
        _place_ranks(rank, keys, row, [(p.ref, p.id) for p in fresh])
        cols = patch_columns(old, build_columns(fresh), take, rank)
        return MatchIndex._made(tuple(profiles_now), row, keys, cols, self.policy)

    @classmethod
    def _made(
        cls,
        profiles: tuple[CentreProfile, ...],
        row: Overlay[str, int],
        keys: list[tuple[str, str]],
        cols: Columns,
        policy: Policy,
    ) -> MatchIndex:
        index = cls.__new__(cls)
        index._profiles, index._row, index._keys, index._cols = profiles, row, keys, cols
        index.policy = policy
        return index

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, centre_id: object) -> bool:
        return centre_id in self._row

    @property
    def profiles(self) -> tuple[CentreProfile, ...]:
        """The indexed profiles, in the order given."""
        return self._profiles

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays (profiles themselves not included)."""
        return self._cols.nbytes

    def profile(self, centre_id: str) -> CentreProfile:
        """The profile of a centre in this index; raises UnknownCentre otherwise."""
        try:
            return self._profiles[self._row[centre_id]]
        except KeyError:
            raise UnknownCentre(centre_id) from None

    def load_vector(self, open_referrals: Mapping[str, int]) -> LoadVector:
        """Load ratios from open referrals per centre id; a centre with no capacity is full."""
        counts = np.zeros(len(self._profiles), dtype=np.float64)
        for centre_id, count in open_referrals.items():
            row = self._row.get(centre_id)
            if row is not None:
                counts[row] = count
        capacity = self._cols.capacity
        ratio = np.divide(counts, capacity, out=np.ones_like(counts), where=capacity > 0)
        return LoadVector(ratio, id(self), 1.0 - np.minimum(ratio, 1.0))

    def count_changed(
        self, vector: LoadVector, centre_id: str, open_referrals: Mapping[str, int]
    ) -> LoadVector:
        """`vector` with one centre's count taken anew from `open_referrals` (the others
        unchanged): what `load_vector(open_referrals)` gives, in two array copies."""
        self._check_own(vector)
        row = self._row.get(centre_id)
        if row is None:
            return vector
        ratio, room = vector.ratio.copy(), vector.room.copy()
        capacity = float(self._cols.capacity[row])
        ratio[row] = open_referrals.get(centre_id, 0) / capacity if capacity > 0 else 1.0
        room[row] = 1.0 - min(float(ratio[row]), 1.0)
        return LoadVector(ratio, id(self), room)

    def _load_vector(self, load: Load) -> LoadVector | None:
        if load is None:
            return None
        if isinstance(load, LoadVector):
            self._check_own(load)
            return load
        return self.load_vector(load)

    def _check_own(self, vector: LoadVector) -> None:
        if vector.index_id != id(self):
            raise ValueError("this load vector was built for another index")

    def rank(
        self, situation: Situation, load: Load = None, exclude: Collection[str] = ()
    ) -> MatchOutcome:
        """Eligible centres for `situation`, best first, at most `situation.limit` of them.

        `load` gives open referrals per centre id (or a prepared LoadVector) and adds the
        load component; `exclude` holds centre ids already tried for this request. Equal
        scores are ordered by distance, then by ref, so the answer never depends on the
        order of the profiles.
        """
        if situation.limit < 1:
            raise ValueError("limit must be at least 1")
        policy = self.policy
        excluded_rows = [self._row[c] for c in exclude if c in self._row]
        eligible, excluded = eligible_rows(
            self._cols, situation, excluded_rows, by_age=policy.age_defines_groups
        )
        rows = np.flatnonzero(eligible)
        detected = read_needs(situation, policy)
        outcome = MatchOutcome(policy.version, [], rows.size, len(self), excluded, detected)
        if rows.size == 0:
            return outcome
        vector = self._load_vector(load)
        weights = need_weights(situation, policy, detected)
        room = None if vector is None else vector.room
        scored = score_rows(self._cols, rows, situation, weights, room, policy)
        behind = behind_local(self._cols, rows, situation, weights) if policy.local_first else None
        best, shown = best_shown(scored, self._cols.ref_rank.take(rows), situation.limit, behind)
        ratio = None if vector is None else vector.ratio
        local = None if behind is None else (~behind[best]).tolist()
        outcome.results.extend(
            self._results(rows[best], shown, scored, situation, weights, ratio, local)
        )
        return outcome

    def _results(
        self,
        chosen: Rows,
        shown: list[list[float]],
        scored: Scored,
        s: Situation,
        weights: dict[str, float],
        ratio: FloatArray | None,
        local: list[bool] | None,
    ) -> list[RankedCentre]:
        # `shown` holds each chosen row's components, score and distance as shown.
        ratios = [None] * len(shown) if ratio is None else ratio[chosen].tolist()
        explain = Explainer(s, weights, self.policy)
        results = []
        for i, row in enumerate(chosen.tolist()):
            profile = self._profiles[row]
            *components, score, km = shown[i]
            distance_km = km if profile.points else None  # without location: infinity
            results.append(
                RankedCentre(
                    rank=i + 1,
                    centre_id=profile.id,
                    ref=profile.ref,
                    name=profile.name,
                    score=score,
                    distance_km=distance_km,
                    components=dict(zip(scored.names, components, strict=True)),
                    reasons=explain(
                        profile, distance_km, ratios[i], local is not None and local[i]
                    ),
                )
            )
        return results

    def explain_ineligible(
        self, centre_id: str, situation: Situation, exclude: Collection[str] = ()
    ) -> list[Reason]:
        """Why a centre cannot be offered to `situation` (empty when it is eligible).

        Every broken rule is listed, not only the first, so the answer is complete.
        Raises UnknownCentre when the id is not in the index.
        """
        profile = self.profile(centre_id)
        return ineligibility(
            profile,
            situation,
            already_referred=centre_id in exclude,
            by_age=self.policy.age_defines_groups,
        )

    def is_eligible(
        self, centre_id: str, situation: Situation, exclude: Collection[str] = ()
    ) -> bool:
        """True when the centre may be offered to `situation`."""
        return not self.explain_ineligible(centre_id, situation, exclude)


def _place_ranks(
    rank: FloatArray,
    keys: list[tuple[str, str]],
    row: Mapping[str, int],
    put: Iterable[tuple[str, str]],
) -> None:
    """Give the centres put in (their keys in `put`, their `rank` NaN) a rank between their
    neighbours' in `keys` order, so the tie-break order holds without renumbering every
    centre; when floats run out between two neighbours, renumber all (0, 1, 2...)."""
    at = sorted(bisect.bisect_left(keys, key) for key in put)
    start = 0
    while start < len(at):
        end = start  # a run of consecutive places
        while end + 1 < len(at) and at[end + 1] == at[end] + 1:
            end += 1
        first, last, count = at[start], at[end], end - start + 1
        low = float(rank[row[keys[first - 1][1]]]) if first > 0 else None
        high = float(rank[row[keys[last + 1][1]]]) if last + 1 < len(keys) else None
        if low is None:
            low = (high if high is not None else float(count + 1)) - count - 1
        if high is None:
            high = low + count + 1
        step = (high - low) / (count + 1)
        values = [low + step * (n + 1) for n in range(count)]
        if not all(a < b for a, b in zip([low, *values], [*values, high], strict=True)):
            rank[[row[centre_id] for _, centre_id in keys]] = np.arange(len(keys))
            return
        for n, value in enumerate(values):
            rank[row[keys[first + n][1]]] = value
        start = end + 1
