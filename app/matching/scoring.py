"""Soft criteria: the score of each eligible centre, and the deterministic order of the best.

Each component is in 0..1; the score is their weighted mean over the components that apply
to the situation (no need stated: no specialty component; no remote centre from another
region eligible: no region component), so scores stay comparable across situations while
the ranking is unchanged by components that are equal for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.matching.columns import Columns, IntArray
from app.matching.geometry import FloatArray, km_from_dot, unit_vector
from app.matching.model import Situation
from app.matching.policy import Policy
from app.matching.text import interpret_need_text

Rows = npt.NDArray[np.intp]
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
    """Scores of the eligible rows, aligned with them."""

    score: FloatArray
    distance_km: FloatArray  # inf for a centre with no location
    names: tuple[str, ...]  # the components that applied, in COMPONENTS order
    components: FloatArray  # (len(names), rows): one line per component

    def component(self, name: str) -> FloatArray:
        """The values of one applied component, aligned with the rows."""
        line: FloatArray = self.components[self.names.index(name)]
        return line


def need_weights(s: Situation, policy: Policy) -> dict[str, float]:
    """Weight of each needed specialty: 1 when ticked, text strength × factor when read."""
    weights = dict.fromkeys(s.needs, 1.0)
    for code, strength in interpret_need_text(s.need_text).items():
        weights[code] = max(weights.get(code, 0.0), strength * policy.text_need_factor)
    return weights


def distances_km(cols: Columns, rows: Rows, s: Situation) -> FloatArray:
    """Distance from the person to each row's nearest location."""
    dot = unit_vector(s.lat, s.lon) @ cols.unit
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


def _any_of(table: CodeTable, rows: Rows, codes: frozenset[str]) -> FloatArray:
    """1.0 for rows that have at least one of `codes`, else 0.0."""
    hit: npt.NDArray[np.bool_] | None = None
    for code in codes:
        flags = table.get(code)
        if flags is None:
            continue
        hit = flags[rows] if hit is None else np.logical_or(hit, flags[rows], out=hit)
    return np.zeros(rows.shape[0]) if hit is None else hit.astype(np.float64)


def _components(
    cols: Columns,
    rows: Rows,
    s: Situation,
    weights: dict[str, float],
    km: FloatArray,
    load_ratio: FloatArray | None,
    policy: Policy,
) -> dict[str, FloatArray]:
    found: dict[str, FloatArray] = {}
    if weights:
        found["specialty"] = _share(cols.specialty, rows, weights)
    groups = s.specific_groups
    if groups:
        found["client_group"] = _share(cols.client_group, rows, dict.fromkeys(groups, 1.0))
    serves = cols.pick(cols.region, s.region_code)[rows]
    # Only remote centres from elsewhere can lack it; when none is eligible it is 1 for all,
    # tells nothing, and is left out so that scores read as before.
    if not serves.all():
        found["region"] = serves.astype(np.float64)
    near = policy.distance_scale_km / (policy.distance_scale_km + km)  # 1 / (1 + km / scale)
    # Someone who only wants remote help does not travel: distance then says nothing.
    found["distance"] = np.where(cols.remote[rows], 1.0, near) if s.remote_only else near
    if s.modes:
        found["mode"] = _any_of(cols.mode, rows, s.modes)
    if load_ratio is not None:
        found["load"] = 1.0 - np.minimum(load_ratio[rows], 1.0)
    return found


def score_rows(
    cols: Columns,
    rows: Rows,
    s: Situation,
    weights: dict[str, float],
    load_ratio: FloatArray | None,
    policy: Policy,
) -> Scored:
    """Score the eligible `rows` for situation `s`, given its need weights, under `policy`."""
    km = distances_km(cols, rows, s)
    found = _components(cols, rows, s, weights, km, load_ratio, policy)
    names = tuple(found)
    matrix = np.empty((len(names), rows.shape[0]), dtype=np.float64)
    for line, values in enumerate(found.values()):
        matrix[line] = values
    applied = np.array([policy.weight(name) for name in names])
    score = (applied / applied.sum()) @ matrix
    return Scored(score, km, names, matrix)


def best_positions(scored: Scored, ref_rank: IntArray, limit: int) -> Rows:
    """Positions of the `limit` best rows: score desc, then distance asc, then ref asc."""
    steps = np.rint(scored.score * SCORE_STEPS).astype(np.int64)
    dist = np.minimum(np.rint(scored.distance_km * 10.0), _DIST_CAP).astype(np.int64)
    key = ((SCORE_STEPS - steps) << (_DIST_BITS + REF_BITS)) | (dist << REF_BITS) | ref_rank
    if limit < key.shape[0]:
        top = np.argpartition(key, limit - 1)[:limit]
        return top[np.argsort(key[top])]
    return np.argsort(key)
