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

from app.matching.columns import Columns, IntArray
from app.matching.geometry import FloatArray, km_from_dot, unit_vector
from app.matching.model import Situation
from app.matching.policy import COMPONENTS, Policy
from app.matching.text import interpret_need_text

Rows = npt.NDArray[np.intp]
Line = FloatArray | npt.NDArray[np.bool_]  # a component's values, flags read as 0 or 1
CodeTable = dict[str, npt.NDArray[np.bool_]]

# Sort key layout (int64, smaller is better): score steps, then distance, then ref order.
SCORE_STEPS = 10_000  # scores are shown with 4 decimals, and ranked on what is shown
# Distance in tenths of km, as shown: equal scores at equal shown distances go by ref, so
# the order can be explained from the figures a person sees. Capped beyond any Earth distance.
_DIST_BITS = 22
REF_BITS = 22  # up to ~4 million centres
_DIST_CAP = (1 << _DIST_BITS) - 1


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


def need_weights(s: Situation, policy: Policy) -> dict[str, float]:
    """Weight of each needed specialty: 1 when ticked, text strength × factor when read."""
    weights = dict.fromkeys(s.needs, 1.0)
    for code, strength in interpret_need_text(s.need_text).items():
        weights[code] = max(weights.get(code, 0.0), strength * policy.text_need_factor)
    return weights


def distances_km(cols: Columns, rows: Rows, s: Situation) -> FloatArray:
    """Distance from the person to each row's nearest location."""
    dot = unit_vector(s.lat, s.lon).dot(cols.unit)  # .dot: less dispatch than @ for one row
    if cols.multi_location:
        dot = np.maximum.reduceat(dot, cols.loc_start)
    km = km_from_dot(dot[rows])
    return km if cols.all_have_points else np.where(cols.has_points[rows], km, np.inf)


def _share(table: CodeTable, rows: Rows, weights: dict[str, float]) -> FloatArray:
    """Weighted share of the codes in `weights` that each row has.

    Divided by at least 1, so that needs only guessed from free text (weights below 1)
    cannot reach the full score: an uncertain reading counts for less.
    """
    denominator = max(1.0, sum(weights.values()))
    acc: FloatArray | None = None
    for code, weight in weights.items():
        flags = table.get(code)
        if flags is None:
            continue
        term = np.multiply(flags[rows], weight / denominator, dtype=np.float64)
        acc = term if acc is None else np.add(acc, term, out=acc)
    return np.zeros(rows.shape[0]) if acc is None else acc


def _any_of(table: CodeTable, rows: Rows, codes: frozenset[str]) -> Line:
    """True for rows that have at least one of `codes`."""
    hit: npt.NDArray[np.bool_] | None = None
    for code in codes:
        flags = table.get(code)
        if flags is None:
            continue
        hit = flags[rows] if hit is None else np.logical_or(hit, flags[rows], out=hit)
    return np.zeros(rows.shape[0]) if hit is None else hit


def _components(
    cols: Columns,
    rows: Rows,
    s: Situation,
    weights: dict[str, float],
    km: FloatArray,
    room: FloatArray | None,
    policy: Policy,
) -> dict[str, Line]:
    found: dict[str, Line] = {}
    if weights:
        found["specialty"] = _share(cols.specialty, rows, weights)
    groups = s.specific_groups
    if groups:
        found["client_group"] = _share(cols.client_group, rows, dict.fromkeys(groups, 1.0))
    serves = cols.pick(cols.region, s.region_code)[rows]
    # Only remote centres from elsewhere can lack it; when none is eligible it is 1 for all,
    # tells nothing, and is left out so that scores read as before.
    if np.count_nonzero(serves) < serves.shape[0]:  # not all: cheaper than .all()
        found["region"] = serves
    scale = policy.distance_scale_km
    near = np.divide(scale, np.add(km, scale))  # 1 / (1 + km / scale)
    # Someone who only wants remote help does not travel: distance then says nothing.
    found["distance"] = np.where(cols.remote[rows], 1.0, near) if s.remote_only else near
    if s.modes:
        found["mode"] = _any_of(cols.mode, rows, s.modes)
    if room is not None:
        found["load"] = room[rows]
    return found


@lru_cache(maxsize=128)
def _mean_weights(policy: Policy, names: tuple[str, ...]) -> FloatArray:
    """The weights of the applied components, summing to 1 (a few dozen sets at most)."""
    applied = np.array([policy.weight(name) for name in names])
    weights: FloatArray = applied / applied.sum()
    return weights


def score_rows(
    cols: Columns,
    rows: Rows,
    s: Situation,
    weights: dict[str, float],
    room: FloatArray | None,
    policy: Policy,
) -> Scored:
    """Score the eligible `rows` for situation `s`, given its need weights, under `policy`.

    `room` is 1 - min(load ratio, 1) for every centre of the index, None to leave load out."""
    km = distances_km(cols, rows, s)
    found = _components(cols, rows, s, weights, km, room, policy)
    names = tuple(found)
    table = np.empty((len(names) + 2, rows.shape[0]), dtype=np.float64)
    for line, values in enumerate(found.values()):
        table[line] = values
    _mean_weights(policy, names).dot(table[:-2], out=table[-2])
    table[-1] = km
    return Scored(names, table)


# Below this many eligible centres a full sort is cheaper than a partition and a sort.
_SMALL = 512
# Scales of the lines of a score table as shown, by its height: 4 decimals for components
# and the score, 0.1 km for the distance (the last line). A column, to broadcast over rows.
_SHOWN_SCALES = tuple(
    np.array([float(SCORE_STEPS)] * (height - 1) + [10.0])[:, None]
    for height in range(len(COMPONENTS) + 3)
)


def best_shown(scored: Scored, ref_rank: IntArray, limit: int) -> tuple[Rows, list[list[float]]]:
    """Positions of the `limit` best rows (score desc, then distance asc, then ref asc), and
    their table columns as shown: components and score to 4 decimals, distance to 0.1 km.

    Rows are ordered on the figures shown, so the order can be explained from what a person
    sees. rint(x * 1e4) / 1e4 is what np.round does, without its overhead; the table is
    rounded once, for the order and for the figures."""
    scale = _SHOWN_SCALES[scored.table.shape[0]]
    steps = np.multiply(scored.table, scale)
    np.rint(steps, out=steps)  # whole numbers: score steps, tenths of km
    dist = np.minimum(steps[-1], _DIST_CAP).astype(np.int64)
    score = steps[-2].astype(np.int64)
    key = ((SCORE_STEPS - score) << (_DIST_BITS + REF_BITS)) | (dist << REF_BITS) | ref_rank
    # Methods rather than np.argsort(...): the functions add a Python wrapper per call.
    if key.shape[0] <= _SMALL or limit >= key.shape[0]:
        best = key.argsort()[:limit]  # keys are unique (ref_rank is): the same order
    else:
        top = key.argpartition(limit - 1)[:limit]
        best = top[key[top].argsort()]
    shown = steps.take(best, axis=1)  # cheaper than [:, best]
    np.divide(shown, scale, out=shown)
    return best, shown.T.tolist()
