"""Soft criteria: the score of each eligible centre, and the deterministic order of the best.

Each component is in 0..1; the score is their weighted mean over the components that apply
to the situation (no need stated: no specialty component; no remote centre from another
region eligible: no region component), so scores stay comparable across situations while
the ranking is unchanged by components that are equal for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from app.matching.columns import BoolArray, Columns
from app.matching.geometry import FloatArray, km_from_dot, unit_vector
from app.matching.model import Situation
from app.matching.needs import DetectedNeed, detect_needs
from app.matching.policy import RELATED, Policy
from app.matching.text import interpret_need_text as interpret_with_taxonomy

Rows = npt.NDArray[np.intp]

SCORE_STEPS = 10_000  # scores are shown with 4 decimals, and ranked on what is shown


@dataclass(frozen=True, slots=True)
class Scored:
    """Scores of the eligible rows, aligned with them.

    One table holds the applied components, then the score, then the distance: the best rows
    are then picked out of it in one step."""

    names: tuple[str, ...]  # the components that applied, in COMPONENTS order
    table: FloatArray  # (len(names) + 2, rows)

    @property
    def components(self) -> FloatArray:
        """(len(names), rows): one line per applied component."""
        lines: FloatArray = self.table[:-2]
        return lines

    @property
    def score(self) -> FloatArray:
        """The weighted mean of the components, per row."""
        line: FloatArray = self.table[-2]
        return line

    @property
    def distance_km(self) -> FloatArray:
        """Distance to the nearest location, per row; inf for a centre with no location."""
        line: FloatArray = self.table[-1]
        return line

    def component(self, name: str) -> FloatArray:
        """The values of one applied component, aligned with the rows."""
        line: FloatArray = self.table[self.names.index(name)]
        return line


def read_needs(s: Situation, policy: Policy) -> tuple[DetectedNeed, ...]:
    """The needs `policy` reads in the person's own words (cached by text)."""
    if policy.need_reader == "taxonomy":
        found = interpret_with_taxonomy(s.need_text)
        return tuple(DetectedNeed(code, strength, ()) for code, strength in found.items())
    return detect_needs(s.need_text)


def need_weights(
    s: Situation, policy: Policy, detected: tuple[DetectedNeed, ...]
) -> dict[str, float]:
    """Weight of each needed specialty: 1 when ticked, text strength × factor when read."""
    weights = dict.fromkeys(s.needs, 1.0)
    for need in detected:
        text_weight = need.strength * policy.text_need_factor
        weights[need.code] = max(weights.get(need.code, 0.0), text_weight)
    return weights


def _any_of(table: dict[str, BoolArray], codes: frozenset[str], rows: Rows) -> BoolArray:
    found = np.zeros(rows.shape[0], dtype=np.bool_)
    for code in codes:
        line = table.get(code)
        if line is not None:
            found |= line.take(rows)
    return found


def wanted_services(weights: dict[str, float]) -> frozenset[str]:
    """The needs, and the services related to them (policy.RELATED)."""
    wanted = set(weights)
    for code in weights:
        wanted |= RELATED.get(code, frozenset())
    return frozenset(wanted)


def behind_local(
    cols: Columns, rows: Rows, s: Situation, weights: dict[str, float]
) -> BoolArray | None:
    """The rows to rank after the local fits, or None when there is nothing to reorder.

    A local fit serves the person's region, offers a need or a related service (any centre,
    when no need is stated) and a mode the person accepts. When there is one, every other
    row comes after it: a centre from elsewhere, eligible only through remote help, comes
    first only when no centre of the region offers anything asked for."""
    if not s.accepts_remote:
        return None  # every eligible centre serves the region
    in_region = cols.pick(cols.region, s.region_code).take(rows)
    if in_region.all():
        return None
    local = in_region
    if weights:
        local = local & _any_of(cols.specialty, wanted_services(weights), rows)
    if s.modes:
        local = local & _any_of(cols.mode, s.modes, rows)
    if not local.any():
        return None
    behind: BoolArray = ~local
    return behind


def distances_km(cols: Columns, rows: Rows, s: Situation) -> FloatArray:
    """Distance from the person to each row's nearest location."""
    dot = unit_vector(s.lat, s.lon) @ cols.unit
    if cols.multi_location:
        dot = np.maximum.reduceat(dot, cols.loc_start)
    km = km_from_dot(dot[rows])
    return km if cols.all_have_points else np.where(cols.has_points[rows], km, np.inf)


def _terms(
    gather: list[int], line_of: dict[str, int], weights: dict[str, float], total: float
) -> list[tuple[int, float]]:
    """(position in `gather`, weight / total) for each weighted code some centre has; the
    code's line of the flags is appended to `gather`."""
    found = []
    for code, weight in weights.items():
        line = line_of.get(code)
        if line is not None:
            found.append((len(gather), weight / total))
            gather.append(line)
    return found


def score_rows(
    cols: Columns,
    rows: Rows,
    s: Situation,
    weights: dict[str, float],
    room: FloatArray | None,
    policy: Policy,
) -> Scored:
    """Score the eligible `rows` for situation `s`, given its need weights, under `policy`.

    `room` is 1 - min(load ratio, 1) for every centre of the index, None to leave load out.

    The components read from codes (specialty, client group, region, mode) are one product:
    the code lines they need, gathered for the eligible rows in one step, times one small
    matrix of coefficients. A share is divided by at least 1, so that needs only guessed
    from free text (weights below 1) cannot reach the full score."""
    km = distances_km(cols, rows, s)
    lines = cols.lines
    gather: list[int] = []
    terms: dict[str, list[tuple[int, float]]] = {}
    if weights:
        terms["specialty"] = _terms(
            gather, lines["specialty"], weights, max(1.0, sum(weights.values()))
        )
    groups = s.specific_groups
    if groups:
        terms["client_group"] = _terms(
            gather, lines["client_group"], dict.fromkeys(groups, 1.0), max(1.0, len(groups))
        )
    # Only remote centres from elsewhere can lack the region; when none is eligible it is 1
    # for all, tells nothing, and is left out so that scores read as before.
    region_at = len(gather)
    region = _terms(gather, lines["region"], {s.region_code: 1.0}, 1.0) if s.accepts_remote else []
    modes = _terms(gather, lines["mode"], dict.fromkeys(s.modes, 1.0), 1.0) if s.modes else []
    flags = cols.flags.take(gather, axis=0).take(rows, axis=1)  # (codes, rows)
    if s.accepts_remote and not (region and np.count_nonzero(flags[region_at]) == rows.shape[0]):
        terms["region"] = region
    terms["distance"] = []
    if s.modes:
        terms["mode"] = modes  # any of them: the sum, capped at 1 below
    if room is not None:
        terms["load"] = []
    names = tuple(terms)
    table = np.empty((len(names) + 2, rows.shape[0]), dtype=np.float64)
    coefficients = np.zeros((len(names), len(gather)))
    for line, found in enumerate(terms.values()):
        for at, coefficient in found:
            coefficients[line, at] = coefficient
    np.dot(coefficients, flags, out=table[:-2])  # zeros for distance and load, set below
    if len(terms.get("mode", ())) > 1:
        mode = table[names.index("mode")]
        np.minimum(mode, 1.0, out=mode)
    near = table[names.index("distance")]
    scale = policy.distance_scale_km
    np.add(km, scale, out=near)
    np.divide(scale, near, out=near)  # 1 / (1 + km / scale)
    if s.remote_only:  # someone who only wants remote help does not travel
        np.copyto(near, 1.0, where=cols.remote.take(rows))
    if room is not None:
        room.take(rows, out=table[-3])
    _mean_weights(policy, names).dot(table[:-2], out=table[-2])
    table[-1] = km
    return Scored(names, table)


@lru_cache(maxsize=128)
def _mean_weights(policy: Policy, names: tuple[str, ...]) -> FloatArray:
    """The weights of the applied components, summing to 1 (a few dozen sets at most)."""
    applied = np.array([policy.weight(name) for name in names])
    weights: FloatArray = applied / applied.sum()
    return weights


# Above this many eligible centres, only those that can make the top are sorted.
_SMALL = 512


def best_shown(
    scored: Scored, ref_rank: FloatArray, limit: int, behind: BoolArray | None = None
) -> tuple[Rows, list[list[float]]]:
    """Positions of the `limit` best rows, and their table columns as shown.

    The order: the rows not `behind` first, then score descending, then distance ascending,
    then ref (`ref_rank`, each row's place in ref order). It is taken on the figures shown
    (components and score to 4 decimals, distance to 0.1 km), so that it can be explained
    from what a person sees. A row without location has an infinite distance."""
    scale = _shown_scale(scored.table.shape[0])
    steps = np.rint(scored.table * scale)  # whole numbers: score steps, tenths of km
    score, km = steps[-2], steps[-1]
    keys = [ref_rank, km, -score]  # np.lexsort sorts on the last key first
    if behind is not None:
        keys.append(behind)
    if score.size > _SMALL and limit < score.size:
        rows = _contenders(score, behind, limit)
        best = rows[np.lexsort([key[rows] for key in keys])[:limit]]
    else:
        best = np.lexsort(keys)[:limit]
    shown = steps[:, best] / scale
    return best, shown.T.tolist()


@cache
def _shown_scale(height: int) -> FloatArray:
    """A column of the scales of a score table's lines as shown: 4 decimals for the
    components and the score, 0.1 km for the distance (the last line)."""
    return np.array([float(SCORE_STEPS)] * (height - 1) + [10.0])[:, None]


def _contenders(score: FloatArray, behind: BoolArray | None, limit: int) -> Rows:
    """The rows that can be among the `limit` best: the rows ahead (not `behind`) with the
    best scores, ties included, then as many of the rows behind as may still be needed."""
    groups = (
        [np.arange(score.size)]
        if behind is None
        else [np.flatnonzero(~behind), np.flatnonzero(behind)]
    )
    picked = []
    for rows in groups:
        if rows.size > limit:
            group = score[rows]
            kth = np.partition(group, rows.size - limit)[rows.size - limit]
            rows = rows[group >= kth]
        picked.append(rows)
        limit -= rows.size
        if limit <= 0:
            break
    return np.concatenate(picked)
