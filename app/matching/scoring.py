"""Soft criteria: the score of each eligible centre, and the deterministic order of the best.

Each component is in 0..1; the score is their weighted mean over the components that apply
to the situation (no need stated: no specialty component; no remote centre from another
region eligible: no region component), so scores stay comparable across situations while
the ranking is unchanged by components that are equal for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from app.matching.columns import BoolArray, Columns
from app.matching.geometry import FloatArray, km_from_dot, unit_vector
from app.matching.model import Situation
from app.matching.needs import DetectedNeed, detect_needs
from app.matching.policy import COMPONENTS, RELATED, Policy
from app.matching.text import interpret_need_text as interpret_with_taxonomy

Rows = npt.NDArray[np.intp]

# Sort key layout (smaller is better): local fit first (policy.local_first), score steps,
# then distance, then ref order.
SCORE_STEPS = 10_000  # scores are shown with 4 decimals, and ranked on what is shown
# Distance in tenths of km, as shown: equal scores at equal shown distances go by ref, so
# the order can be explained from the figures a person sees. Capped at 26,214 km, beyond any
# distance on Earth (20,015 km).
_DIST_BITS = 18
REF_BITS = 20  # up to ~1 million centres
_DIST_CAP = float((1 << _DIST_BITS) - 1)


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
    dot = unit_vector(s.lat, s.lon).dot(cols.unit)  # .dot: less dispatch than @ for one row
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


# Below this many eligible centres a full sort is cheaper than a partition and a sort.
_SMALL = 512
# Scales of the lines of a score table as shown, by its height: 4 decimals for components
# and the score, 0.1 km for the distance (the last line). A column, to broadcast over rows.
_SHOWN_SCALES = tuple(
    np.array([float(SCORE_STEPS)] * (height - 1) + [10.0])[:, None]
    for height in range(len(COMPONENTS) + 3)
)
# The sort key of a row from its score steps and distance steps (then + ref rank): exact in a
# float64, since score steps (< 2**15 with _BEHIND), distance steps and ref rank fit in 53 bits.
_KEY = np.array([-float(1 << (_DIST_BITS + REF_BITS)), float(1 << REF_BITS)])
_BEHIND = float((SCORE_STEPS + 1) << (_DIST_BITS + REF_BITS))


def best_shown(
    scored: Scored, ref_rank: FloatArray, limit: int, behind: BoolArray | None = None
) -> tuple[Rows, list[list[float]]]:
    """Positions of the `limit` best rows (the rows not `behind` first, then score desc, then
    distance asc, then ref asc), and
    their table columns as shown: components and score to 4 decimals, distance to 0.1 km
    (capped: a row without location shows the cap, not infinity).

    Rows are ordered on the figures shown, so the order can be explained from what a person
    sees. rint(x * 1e4) / 1e4 is what np.round does, without its overhead; the table is
    rounded once, for the order and for the figures. `ref_rank` is each row's place in ref
    order, as floats."""
    scale = _SHOWN_SCALES[scored.table.shape[0]]
    steps = np.multiply(scored.table, scale)
    np.rint(steps, out=steps)  # whole numbers: score steps, tenths of km
    np.minimum(steps[-1], _DIST_CAP, out=steps[-1])
    key = _KEY.dot(steps[-2:])
    np.add(key, ref_rank, out=key)
    if behind is not None:  # past every score: still exact in a float64 (< 2**53)
        key[behind] += _BEHIND
    # Methods rather than np.argsort(...): the functions add a Python wrapper per call.
    if key.shape[0] <= _SMALL or limit >= key.shape[0]:
        best = key.argsort()[:limit]  # keys are unique (ref_rank is): the same order
    else:
        top = key.argpartition(limit - 1)[:limit]
        best = top[key[top].argsort()]
    shown = steps.take(best, axis=1)  # cheaper than [:, best]
    np.divide(shown, scale, out=shown)
    return best, shown.T.tolist()
