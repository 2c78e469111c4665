"""The resolver: postal codes, FSAs, municipality names or codes, and points → places.

Everything is offline and in memory; `get_resolver()` loads data/ once, on first use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from app.errors import NotFound
from app.geo.catalogue import (
    fsa_place,
    fsa_region_candidates,
    locality_places,
    municipality_places,
)
from app.geo.data import (
    DEFAULT_DATA_DIR,
    Fsa,
    Locality,
    Municipality,
    Region,
    load_fsas,
    load_localities,
    load_municipalities,
    load_regions,
)
from app.geo.distance import great_circle_km
from app.geo.names import Match, NameIndex
from app.geo.places import Ambiguous, GeoError, NotResolved, OutsideQuebec, Place, ResolveResult
from app.geo.postal import PostalCode, parse_postal_code
from app.geo.regions import RegionIndex
from app.geo.text import split_qualifiers

MAX_QUERY_LENGTH = 200
MIN_CONFIDENCE = 0.7  # below this, a guess is offered as a candidate, never as the answer
# Structured lookups remembered per resolver: people type the same few hundred towns and
# postal areas, and a fuzzy name match costs more than ranking the centres. Places are
# immutable; errors (ambiguous, not found) are not remembered and are worked out each time.
PLACE_CACHE_SIZE = 4096
_MUNICIPALITY_CODE = re.compile(r"\d{5}")
_T = TypeVar("_T")


class Resolver:
    """Resolves what people type or send into places. Read-only after construction."""

    def __init__(
        self,
        municipalities: Sequence[Municipality],
        fsas: Sequence[Fsa],
        regions: Sequence[Region],
        localities: Sequence[Locality] = (),
    ) -> None:
        self.municipalities = list(municipalities)
        self.by_code = {m.code: m for m in self.municipalities}
        self.localities = [loc for loc in localities if loc.kind != "alias"]
        towns = municipality_places(self.municipalities, (loc.name for loc in self.localities))
        self._place_by_code = {p.municipality_code: p for p in towns}
        # Index-aligned with the name index's targets: the municipalities, then the localities.
        self._places = towns + locality_places(self.localities, self._place_by_code)
        self.regions = {r.code: r for r in regions}
        self.region_index = RegionIndex(regions)
        self.names = NameIndex(self.municipalities, regions, localities)
        names_fr = {r.code: r.name_fr for r in regions}
        names_en = {r.code: r.name_en for r in regions}
        self.fsas = {f.fsa: f for f in fsas}
        self._fsa_places = {f.fsa: fsa_place(f, self.by_code) for f in fsas if not f.ambiguous}
        self._fsa_choices = {
            f.fsa: fsa_region_candidates(f, self.by_code, names_fr, names_en)
            for f in fsas
            if f.ambiguous
        }
        # Keyed on the text exactly as given, so an answer never depends on what came before.
        self._one_cached = lru_cache(maxsize=PLACE_CACHE_SIZE)(self._one_uncached)

    @classmethod
    def from_dir(cls, data_dir: Path = DEFAULT_DATA_DIR) -> Resolver:
        """Load the data files of `data_dir` (the project's data/ by default)."""
        return cls(
            load_municipalities(data_dir),
            load_fsas(data_dir),
            load_regions(data_dir),
            load_localities(data_dir),
        )

    # --- free text -------------------------------------------------------------------------

    def resolve(self, q: str) -> ResolveResult:
        """Postal code, FSA, municipality name (fuzzy, qualified) or 5-digit municipality code.

        Raises OutsideQuebec for a postal code of another province and NotResolved when
        nothing matches; an ambiguous input comes back with `status="ambiguous"`.
        """
        text = q.strip()
        if not text or len(text) > MAX_QUERY_LENGTH:
            raise NotResolved("location_query_empty", query=q)
        postal = parse_postal_code(text)
        if postal is not None:
            return self._resolve_postal(q, postal)
        if _MUNICIPALITY_CODE.fullmatch(text):
            place = self.municipality_by_code(text)
            if place is None:
                raise NotResolved("municipality_code_unknown", query=q, code_given=text)
            return ResolveResult(q, place)
        return self._resolve_name(q, text)

    def _resolve_postal(self, q: str, postal: PostalCode) -> ResolveResult:
        if not postal.in_quebec:
            raise OutsideQuebec(
                "postal_code_outside_quebec",
                query=q,
                postal_code=postal.text,
                province=postal.province,
            )
        if postal.fsa in self._fsa_choices:
            return ResolveResult(q, None, list(self._fsa_choices[postal.fsa]), "ambiguous")
        place = self._fsa_places.get(postal.fsa)
        if place is None:
            raise NotResolved("fsa_unknown", query=q, fsa=postal.fsa)
        if postal.ldu:
            tail, tail_en = (
                place.label[len(postal.fsa) :],
                (place.label_en or "")[len(postal.fsa) :],
            )
            place = replace(
                place,
                label=postal.text + tail,
                label_en=postal.text + tail_en if tail_en else None,
                kind="postal_code",
            )
        return ResolveResult(q, place)

    def _resolve_name(self, q: str, text: str) -> ResolveResult:
        name, qualifiers = split_qualifiers(text)
        matches = self.names.match(name)
        if not matches:
            raise NotResolved("place_not_found", query=q, text=text)
        postal = None
        contradicted = False
        for qualifier in qualifiers:
            if parse_postal_code(qualifier) is not None:
                postal = qualifier  # "Saint-Donat, J0T 2C0": the postal code tells which
                continue
            allowed = self.names.qualifier_filter(qualifier)
            if allowed is None:
                continue  # not a place name: a street, a note
            targets = self.names.targets
            kept = [m for m in matches if targets[m.index].municipality in allowed]
            # A hint that rules every match out is never ignored: the answer is not sure.
            contradicted = contradicted or not kept
            if kept and len(kept) < len(matches) and all(m.confidence >= 0.97 for m in kept):
                # The hint settles a name written right (`Saint-Roch (ville de Québec)`); it
                # never turns a guess into an answer.
                kept = [replace(m, sure=True) for m in kept]
            matches = kept or matches
        result = self._decide(q, matches)
        if postal is not None:
            result = self._with_postal_hint(result, postal)
        if contradicted and result.best is not None:
            return ResolveResult(q, None, [result.best, *result.candidates], "ambiguous")
        return result

    def _with_postal_hint(self, result: ResolveResult, postal_code: str) -> ResolveResult:
        """The homonym a postal code designates; not sure when it names another region."""
        if result.best is None:
            picked = self._pick(result.candidates, postal_code, None, None)
            if picked is None:
                return result
            others = [c for c in result.candidates if c is not picked]
            return ResolveResult(result.query, picked, others)
        fsa = self._known_fsa(postal_code)
        if fsa is not None and result.best.region_code not in fsa.regions:
            return ResolveResult(result.query, None, [result.best, *result.candidates], "ambiguous")
        return result

    def _decide(self, q: str, matches: list[Match]) -> ResolveResult:
        first = matches[0]
        homonyms = [m for m in matches if m.confidence == first.confidence and m.key == first.key]
        places = [self._with_confidence(m) for m in matches]
        spans_regions = len({self._places[m.index].region_code for m in homonyms}) > 1
        if spans_regions or not first.sure or first.confidence < MIN_CONFIDENCE:
            return ResolveResult(q, None, places, "ambiguous")
        return ResolveResult(q, places[0], places[1:])

    def _with_confidence(self, match: Match) -> Place:
        place = self._places[match.index]
        return place if match.confidence == 1.0 else replace(place, confidence=match.confidence)

    # --- structured input ------------------------------------------------------------------

    def place(
        self,
        *,
        postal_code: str | None = None,
        municipality: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> Place:
        """One place for a structured location, or an error that says why not.

        A point wins (region by polygon) and takes the municipality's name when one is given
        and lies near it. Without a point, an urban postal code in the municipality's region
        gives the finer position; otherwise the municipality does. A municipality name shared
        by places in several regions is told apart by the point or the postal code given with
        it. A postal code whose FSA is not in the reference gives way to the point or the
        municipality. Raises Ambiguous (with candidates), OutsideQuebec or NotResolved; the
        error's `field` says which input was at fault.
        """
        if lat is not None or lon is not None:
            fsa = self._known_fsa(postal_code) if postal_code else None  # malformed: an error
            point = self._point_place(lat, lon, municipality)
            if postal_code and fsa is not None and point.municipality_code is None:
                return self._named_by_postal(point, postal_code)
            return point
        if municipality and postal_code:
            town = self.town(municipality, postal_code=postal_code)
            return self._combine(town, postal_code)
        if postal_code:
            return _at_field("postal_code", self._one, postal_code, postal=True)
        if municipality:
            return self.town(municipality)
        raise NotResolved("location_required")

    def town(
        self,
        municipality: str,
        *,
        postal_code: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> Place:
        """The municipality or locality a location names. Homonyms in several regions
        (`Saint-Donat`) are told apart by the point, else the postal code, given with it; a
        name known only "close in letters" stays an error whatever the hints."""
        try:
            return _at_field("municipality", self._one, municipality)
        except Ambiguous as exc:
            picked = self._pick(exc.candidates, postal_code, lat, lon)
            if picked is None:
                raise
            return picked

    def _pick(
        self,
        candidates: Sequence[Place],
        postal_code: str | None,
        lat: float | None,
        lon: float | None,
    ) -> Place | None:
        """The one homonym that the point or postal code designates, or None."""
        named = [c for c in candidates if c.confidence >= MIN_CONFIDENCE]
        if lat is not None and lon is not None:
            near = [c for c in named if _within(self._distance(c, lat, lon))]
            return near[0] if len(near) == 1 else None
        fsa = self._known_fsa(postal_code) if postal_code else None
        if fsa is None:
            return None
        # Whose town hall has this FSA, else which are in its regions: one, or no answer.
        by_town = [c for c in named if c.municipality_code in fsa.municipalities]
        by_region = [c for c in named if c.region_code in fsa.regions]
        for kept in (by_town, by_region):
            if len(kept) == 1:
                return kept[0]
        return None

    def _known_fsa(self, postal_code: str) -> Fsa | None:
        """The FSA of a postal code, None when the reference does not list it; an error for
        text that is not a postal code, or one of another province."""
        parsed = parse_postal_code(postal_code)
        if parsed is None:
            raise NotResolved("postal_code_invalid", query=postal_code, field="postal_code")
        if not parsed.in_quebec:
            raise OutsideQuebec(
                "postal_code_outside_quebec",
                query=postal_code,
                postal_code=parsed.text,
                province=parsed.province,
                field="postal_code",
            )
        return self.fsas.get(parsed.fsa)

    def _one(self, text: str, *, postal: bool = False) -> Place:
        return self._one_cached(text, postal)

    def _one_uncached(self, text: str, postal: bool) -> Place:
        if postal and parse_postal_code(text) is None:
            raise NotResolved("postal_code_invalid", query=text)
        result = self.resolve(text)
        if result.best is None:
            if all(c.confidence < MIN_CONFIDENCE for c in result.candidates):
                raise Ambiguous("place_not_sure", candidates=result.candidates, query=text)
            raise Ambiguous(
                "place_ambiguous",
                candidates=result.candidates,
                query=text,
                **self._ask_municipality(text),
            )
        return result.best

    def _combine(self, town: Place, postal_code: str) -> Place:
        fsa = self._known_fsa(postal_code)
        if fsa is None:
            return town  # an FSA the reference does not list yet: the municipality settles
        try:
            near = self._one(postal_code, postal=True)
        except Ambiguous:
            return town  # the municipality settles which region
        parsed = parse_postal_code(postal_code)
        if parsed is None or fsa.rural or near.region_code != town.region_code:
            return town
        return replace(
            near,
            label=f"{parsed.text}, {town.label}",
            label_en=None,
            municipality=town.municipality,
            municipality_code=town.municipality_code,
        )

    def _named_by_postal(self, point: Place, postal_code: str) -> Place:
        """A point with the municipality of its postal code, when the code names one there."""
        try:
            named = self._one(postal_code, postal=True)
        except GeoError:
            return point
        if named.municipality_code is None or named.region_code != point.region_code:
            return point
        return replace(
            point, municipality=named.municipality, municipality_code=named.municipality_code
        )

    def _point_place(self, lat: float | None, lon: float | None, municipality: str | None) -> Place:
        if lat is None or lon is None:
            raise GeoError("lat_lon_pair", field="lat" if lat is None else "lon")
        region = _at_field("lat", self.region_at, lat, lon)
        point = Place(
            f"{lat:.5f}, {lon:.5f}", lat, lon, region, None, None, "point", 1.0, (region,)
        )
        if not municipality:
            return point
        town = self.town(municipality, lat=lat, lon=lon)
        _at_field("municipality", self.check_point_near, town, lat, lon)
        return replace(
            point, municipality=town.municipality, municipality_code=town.municipality_code
        )

    def _ask_municipality(self, text: str) -> dict[str, Any]:
        """For an FSA spanning regions: the municipalities to choose from."""
        postal = parse_postal_code(text)
        fsa = self.fsas.get(postal.fsa) if postal else None
        if fsa is None:
            return {}
        towns = [self._place_by_code[c] for c in fsa.municipalities]
        return {"municipalities": [{"code": t.municipality_code, "name": t.label} for t in towns]}

    # --- points, codes, regions ------------------------------------------------------------

    def region_at(self, lat: float, lon: float) -> str:
        """Region code of a point; OutsideQuebec when it is not in (or just off) Québec."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also false for NaN
            raise GeoError("lat_lon_range")
        found = self.region_index.locate(lat, lon)
        if found is None:
            raise OutsideQuebec("point_outside_quebec", point=f"{lat:.5f}, {lon:.5f}")
        return found[0]

    def check_point_near(
        self, municipality_place: Place, lat: float, lon: float, max_km: float = 30.0
    ) -> None:
        """Raise GeoError when (lat, lon) is too far from the stated municipality.

        Distance is measured from the municipality's own point (also when `municipality_place`
        is a postal code qualified by its municipality); large territories get more room, up
        to the diameter of a disc of their area.
        """
        km, allowed = self._distance(municipality_place, lat, lon, max_km)
        if km > allowed:
            raise GeoError(
                "point_far_from_municipality",
                point=f"{lat:.5f}, {lon:.5f}",
                place=municipality_place.label,
                distance_km=round(km, 1),
                max_km=round(allowed, 1),
            )

    def _distance(
        self, place: Place, lat: float, lon: float, max_km: float = 30.0
    ) -> tuple[float, float]:
        """(km from the place's municipality to the point, km accepted)."""
        allowed, origin = max_km, (place.lat, place.lon)
        town = self.by_code.get(place.municipality_code or "")
        if town is not None:
            allowed = max(max_km, 2.0 * math.sqrt(town.area_km2 / math.pi))
            origin = (town.lat, town.lon)
        return great_circle_km(*origin, lat, lon), allowed

    def municipality_by_code(self, code: str) -> Place | None:
        """The municipality with this official 5-digit code, or None."""
        return self._place_by_code.get(code.strip())

    def region_geometry(self, code: str) -> dict[str, Any]:
        """GeoJSON geometry of a region; app.errors.NotFound for an unknown code."""
        region = self.regions.get(code)
        if region is None:
            raise NotFound("region_not_found", region_code=code)
        return region.geometry


def _within(distance: tuple[float, float]) -> bool:
    km, allowed = distance
    return km <= allowed


def _at_field(field: str, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Call `fn`; a GeoError it raises names `field` (the input at fault) unless it does."""
    try:
        return fn(*args, **kwargs)
    except GeoError as exc:
        exc.extra.setdefault("field", field)
        raise


@lru_cache(maxsize=4)
def get_resolver(data_dir: Path | None = None) -> Resolver:
    """The shared resolver over `data_dir` (the project's data/ by default), loaded once."""
    return Resolver.from_dir(data_dir or DEFAULT_DATA_DIR)
