"""The directory as columns: one numpy array per attribute, one boolean line per code.

Built once per directory version; a query then picks ready-made arrays instead of walking
centres. Per-code lines cost one byte per centre and code (about 10 MB at 100,000 centres)
and make most eligibility tests a lookup rather than a computation. They are the lines of
one matrix, so that scoring gathers every code a query needs in one step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from app.matching.geometry import FloatArray, unit_vectors
from app.matching.model import CentreProfile

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

NO_AGE_MIN = -1
NO_AGE_MAX = 10_000


@dataclass(frozen=True, eq=False, slots=True)
class Columns:
    """Column-wise copy of the profiles, in the same order."""

    size: int
    active: BoolArray
    intake_open: BoolArray
    available: BoolArray  # active and intake open: the rules that do not depend on the person
    available_count: int
    unavailable: dict[str, int]  # centres failing those rules, counted as in RULE_ORDER
    remote: BoolArray
    serves_everyone: BoolArray
    # (codes, centres): one line per code of each kind below; the tables are its lines.
    flags: BoolArray
    lines: dict[str, dict[str, int]]  # kind -> code -> line of `flags`
    region: dict[str, BoolArray]
    language: dict[str, BoolArray]
    specialty: dict[str, BoolArray]
    client_group: dict[str, BoolArray]
    mode: dict[str, BoolArray]
    age_min: IntArray
    age_max: IntArray
    capacity: FloatArray
    unit: FloatArray  # (3, locations) unit vectors; a centre without location has zeros
    loc_start: npt.NDArray[np.intp]  # first row of each centre in `unit`
    multi_location: bool  # some centre has several locations: distances need a per-centre min
    has_points: BoolArray
    all_have_points: bool
    ref_rank: FloatArray  # increasing in (ref, id) order (the final tie-break); not always whole
    none: BoolArray  # all False, for codes no centre has
    # Masks derived from the columns for one facet of a situation (see eligibility).
    memo: dict[tuple[object, ...], object] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays, in bytes (the tables are views of `flags`)."""
        return sum(int(getattr(self, name).nbytes) for name in _ARRAY_FIELDS)

    def pick(self, table: dict[str, BoolArray], code: str) -> BoolArray:
        """The boolean array of `code` in `table`, all False when no centre has it."""
        return table.get(code, self.none)


_ARRAY_FIELDS = (
    "active", "intake_open", "available", "remote", "serves_everyone", "flags", "age_min",
    "age_max", "capacity", "unit", "loc_start", "has_points", "ref_rank", "none",
)  # fmt: skip


def _flags(profiles: Sequence[CentreProfile], test: Callable[[CentreProfile], bool]) -> BoolArray:
    return np.fromiter((test(p) for p in profiles), dtype=np.bool_, count=len(profiles))


_KINDS: dict[str, Callable[[CentreProfile], frozenset[str]]] = {
    "region": lambda p: p.regions_served,
    "language": lambda p: p.languages,
    "specialty": lambda p: p.specialties,
    "client_group": lambda p: p.client_groups,
    "mode": lambda p: p.modes,
}


def _code_lines(profiles: Sequence[CentreProfile]) -> tuple[BoolArray, dict[str, dict[str, int]]]:
    """The code matrix, and the line of each code by kind."""
    members: list[list[int]] = []
    lines: dict[str, dict[str, int]] = {}
    for kind, codes_of in _KINDS.items():
        rows_of: dict[str, list[int]] = defaultdict(list)
        for i, profile in enumerate(profiles):
            for code in codes_of(profile):
                rows_of[code].append(i)
        lines[kind] = {code: len(members) + n for n, code in enumerate(sorted(rows_of))}
        members.extend(rows_of[code] for code in sorted(rows_of))
    flags = np.zeros((len(members), len(profiles)), dtype=np.bool_)
    for line, rows in enumerate(members):
        flags[line, rows] = True
    return flags, lines


def _ints(values: list[int | None], default: int) -> IntArray:
    return np.array([default if v is None else v for v in values], dtype=np.int64)


def _locations(profiles: Sequence[CentreProfile]) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    starts = np.zeros(len(profiles), dtype=np.intp)
    lats: list[float] = []
    lons: list[float] = []
    empty_rows: list[int] = []
    for i, profile in enumerate(profiles):
        starts[i] = len(lats)
        points = profile.points or ((0.0, 0.0),)
        if not profile.points:
            empty_rows.append(len(lats))
        lats.extend(p[0] for p in points)
        lons.extend(p[1] for p in points)
    # Stored as (3, locations): the product with one point is then a single fast BLAS pass.
    unit = np.ascontiguousarray(unit_vectors(lats, lons).reshape(-1, 3).T)
    # A zero vector has dot 0 with everything: a quarter of the Earth away, flagged by has_points.
    unit[:, empty_rows] = 0.0
    return unit, starts


def ref_ranks(profiles: Sequence[CentreProfile]) -> FloatArray:
    """Each profile's place in (ref, id) order, as a float (the final tie-break)."""
    order = sorted(range(len(profiles)), key=lambda i: (profiles[i].ref, profiles[i].id))
    rank = np.empty(len(profiles), dtype=np.float64)
    rank[order] = np.arange(len(profiles), dtype=np.float64)
    return rank


def build_columns(profiles: Sequence[CentreProfile], ref_rank: FloatArray | None = None) -> Columns:
    """Lay the profiles out as columns (one pass per attribute); `ref_rank` when the caller
    has the tie-break order already."""
    unit, loc_start = _locations(profiles)
    flags, lines = _code_lines(profiles)
    return _assemble(
        active=_flags(profiles, lambda p: p.active),
        intake_open=_flags(profiles, lambda p: p.intake_open),
        remote=_flags(profiles, lambda p: "remote" in p.modes),
        serves_everyone=_flags(profiles, lambda p: p.serves_everyone),
        flags=flags,
        lines=lines,
        age_min=_ints([p.age_min for p in profiles], NO_AGE_MIN),
        age_max=_ints([p.age_max for p in profiles], NO_AGE_MAX),
        capacity=np.array([p.weekly_capacity for p in profiles], dtype=np.float64),
        unit=unit,
        loc_start=loc_start,
        has_points=_flags(profiles, lambda p: bool(p.points)),
        ref_rank=ref_ranks(profiles) if ref_rank is None else ref_rank,
    )


def _assemble(
    *,
    active: BoolArray,
    intake_open: BoolArray,
    remote: BoolArray,
    serves_everyone: BoolArray,
    flags: BoolArray,
    lines: dict[str, dict[str, int]],
    age_min: IntArray,
    age_max: IntArray,
    capacity: FloatArray,
    unit: FloatArray,
    loc_start: npt.NDArray[np.intp],
    has_points: BoolArray,
    ref_rank: FloatArray,
) -> Columns:
    """The columns, with what derives from them (availability, counts, per-code tables)."""
    available = active & intake_open
    table = {kind: {code: flags[line] for code, line in of.items()} for kind, of in lines.items()}
    unavailable = {
        "inactive": int(np.count_nonzero(~active)),
        "intake_paused": int(np.count_nonzero(active & ~intake_open)),
    }
    return Columns(
        size=active.size,
        active=active,
        intake_open=intake_open,
        available=available,
        available_count=int(np.count_nonzero(available)),
        unavailable={rule: n for rule, n in unavailable.items() if n},
        remote=remote,
        serves_everyone=serves_everyone,
        flags=flags,
        lines=lines,
        region=table["region"],
        language=table["language"],
        specialty=table["specialty"],
        client_group=table["client_group"],
        mode=table["mode"],
        age_min=age_min,
        age_max=age_max,
        capacity=capacity,
        unit=unit,
        loc_start=loc_start,
        multi_location=unit.shape[1] > active.size,
        has_points=has_points,
        all_have_points=bool(has_points.all()),
        ref_rank=ref_rank,
        none=np.zeros(active.size, dtype=np.bool_),
    )


def patch_columns(old: Columns, fresh: Columns, take: IntArray, ref_rank: FloatArray) -> Columns:
    """Columns for a changed directory, without walking the unchanged centres.

    Row `i` of the result is row `take[i]` of `old` followed by `fresh` (the columns of the
    centres put in, built alone): `take[i] >= old.size` picks fresh row `take[i] - old.size`.
    Every array is gathered in one numpy step, so a few changed centres among 100,000 cost
    milliseconds. `ref_rank` is the new tie-break order, computed by the caller."""
    flags, lines = _merged_lines(old, fresh)

    def row(name: str) -> Any:  # the same dtype as the column
        return np.concatenate([getattr(old, name), getattr(fresh, name)])[take]

    unit, loc_start = _gathered_locations(old, fresh, take)
    return _assemble(
        active=row("active"),
        intake_open=row("intake_open"),
        remote=row("remote"),
        serves_everyone=row("serves_everyone"),
        flags=flags[:, take],
        lines=lines,
        age_min=row("age_min"),
        age_max=row("age_max"),
        capacity=row("capacity"),
        unit=unit,
        loc_start=loc_start,
        has_points=row("has_points"),
        ref_rank=ref_rank,
    )


def _merged_lines(old: Columns, fresh: Columns) -> tuple[BoolArray, dict[str, dict[str, int]]]:
    """The code matrix of `old` and `fresh` side by side (old rows, then fresh rows), on the
    union of their codes: `old`'s lines keep their numbers, codes new to it come after."""
    lines = {kind: dict(of) for kind, of in old.lines.items()}
    height = old.flags.shape[0]
    fresh_to: list[int] = [0] * fresh.flags.shape[0]
    for kind, of in fresh.lines.items():
        mine = lines[kind]
        for code, line in of.items():
            if code not in mine:
                mine[code] = height
                height += 1
            fresh_to[line] = mine[code]
    flags = np.zeros((height, old.size + fresh.size), dtype=np.bool_)
    flags[: old.flags.shape[0], : old.size] = old.flags
    if fresh_to:
        flags[fresh_to, old.size :] = fresh.flags
    return flags, lines


def _gathered_locations(
    old: Columns, fresh: Columns, take: IntArray
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """`unit` and `loc_start` for the rows of `take`: each row's run of locations, copied."""
    unit = np.concatenate([old.unit, fresh.unit], axis=1)
    starts = np.concatenate([old.loc_start, fresh.loc_start + old.unit.shape[1]])
    counts = np.diff(np.append(starts, unit.shape[1]))
    counts, starts = counts[take], starts[take]
    loc_start = np.zeros(take.size, dtype=np.intp)
    np.cumsum(counts[:-1], out=loc_start[1:])
    offsets = np.arange(int(counts.sum()), dtype=np.intp)
    gather = offsets + np.repeat(starts - loc_start, counts)
    return np.ascontiguousarray(unit[:, gather]), loc_start
