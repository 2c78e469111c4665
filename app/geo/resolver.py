"""The resolver: postal codes, FSAs, municipality names or codes, and points → places.

Everything is offline and in memory; `get_resolver()` loads data/ once, on first use.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

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
        self._geometry_json: dict[str, str] = {}
        self.names = NameIndex(self.municipalities, regions, localities)
        names_fr = {r.code: r.name_fr for r in regions}
        self.fsas = {f.fsa: f for f in fsas}
        self._fsa_places = {f.fsa: fsa_place(f, self.by_code) for f in fsas if not f.ambiguous}
        self._fsa_choices = {
            f.fsa: fsa_region_candidates(f, self.by_code, names_fr) for f in fsas if f.ambiguous
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
            raise NotResolved("Give a postal code, an FSA or a municipality name.", query=q)
        postal = parse_postal_code(text)
        if postal is not None:
            return self._resolve_postal(q, postal)
        if _MUNICIPALITY_CODE.fullmatch(text):
            place = self.municipality_by_code(text)
            if place is None:
                raise NotResolved(f"No Québec municipality has the code {text}.", query=q)
            return ResolveResult(q, place)
        return self._resolve_name(q, text)

    def _resolve_postal(self, q: str, postal: PostalCode) -> ResolveResult:
        if not postal.in_quebec:
            raise OutsideQuebec(
                f"{postal.text} is a postal code of {postal.province}, outside Québec.",
                query=q,
                province=postal.province,
            )
        if postal.fsa in self._fsa_choices:
            return ResolveResult(q, None, list(self._fsa_choices[postal.fsa]), "ambiguous")
        place = self._fsa_places.get(postal.fsa)
        if place is None:
            raise NotResolved(f"No Québec postal area starts with {postal.fsa}.", query=q)
        if postal.ldu:
            tail = place.label[len(postal.fsa) :]
            place = replace(place, label=postal.text + tail, kind="postal_code")
        return ResolveResult(q, place)

    def _resolve_name(self, q: str, text: str) -> ResolveResult:
        name, qualifiers = split_qualifiers(text)
        matches = self.names.match(name)
        for qualifier in qualifiers:
            allowed = self.names.qualifier_filter(qualifier)
            targets = self.names.targets
            kept = [
                m
                for m in matches
                if allowed is not None and targets[m.index].municipality in allowed
            ]
            # A qualifier that rules everything out is a mistake in the qualifier, not the name.
            matches = kept or matches
        if not matches:
            raise NotResolved(f"No Québec municipality or postal code matches {text!r}.", query=q)
        return self._decide(q, matches)

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
        gives the finer position; otherwise the municipality does. Raises Ambiguous (with
        candidates), OutsideQuebec or NotResolved.
        """
        if lat is not None or lon is not None:
            return self._point_place(lat, lon, municipality)
        if municipality and postal_code:
            return self._combine(self._one(municipality), postal_code)
        if postal_code:
            return self._one(postal_code, postal=True)
        if municipality:
            return self._one(municipality)
        raise NotResolved("Give a postal code, a municipality or a point (lat, lon).")

    def _one(self, text: str, *, postal: bool = False) -> Place:
        return self._one_cached(text, postal)

    def _one_uncached(self, text: str, postal: bool) -> Place:
        if postal and parse_postal_code(text) is None:
            raise NotResolved(f"{text!r} is not a Canadian postal code.", query=text)
        result = self.resolve(text)
        if result.best is None:
            raise Ambiguous(
                f"{text!r} matches several places: choose one, or give the municipality.",
                candidates=result.candidates,
                query=text,
                **self._ask_municipality(text),
            )
        return result.best

    def _combine(self, town: Place, postal_code: str) -> Place:
        try:
            near = self._one(postal_code, postal=True)
        except Ambiguous:
            return town  # the municipality settles which region
        parsed = parse_postal_code(postal_code)
        if parsed is None or self.fsas[parsed.fsa].rural or near.region_code != town.region_code:
            return town
        return replace(
            near,
            label=f"{parsed.text}, {town.label}",
            municipality=town.municipality,
            municipality_code=town.municipality_code,
        )

    def _point_place(self, lat: float | None, lon: float | None, municipality: str | None) -> Place:
        if lat is None or lon is None:
            raise GeoError("Give both lat and lon.")
        region = self.region_at(lat, lon)
        point = Place(
            f"{lat:.5f}, {lon:.5f}", lat, lon, region, None, None, "point", 1.0, (region,)
        )
        if not municipality:
            return point
        town = self._one(municipality)
        self.check_point_near(town, lat, lon)
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
            raise GeoError("Latitude must be within -90..90 and longitude within -180..180.")
        found = self.region_index.locate(lat, lon)
        if found is None:
            raise OutsideQuebec(f"The point ({lat:.5f}, {lon:.5f}) is outside Québec.")
        return found[0]

    def check_point_near(
        self, municipality_place: Place, lat: float, lon: float, max_km: float = 30.0
    ) -> None:
        """Raise GeoError when (lat, lon) is too far from the stated municipality.

        Distance is measured from the municipality's own point (also when `municipality_place`
        is a postal code qualified by its municipality); large territories get more room, up
        to the diameter of a disc of their area.
        """
        allowed, origin = max_km, (municipality_place.lat, municipality_place.lon)
        town = self.by_code.get(municipality_place.municipality_code or "")
        if town is not None:
            allowed = max(max_km, 2.0 * math.sqrt(town.area_km2 / math.pi))
            origin = (town.lat, town.lon)
        km = great_circle_km(*origin, lat, lon)
        if km > allowed:
            raise GeoError(
                f"The point ({lat:.5f}, {lon:.5f}) is {km:.0f} km from "
                f"{municipality_place.label}; at most {allowed:.0f} km is accepted.",
                distance_km=round(km, 1),
                max_km=round(allowed, 1),
            )

    def municipality_by_code(self, code: str) -> Place | None:
        """The municipality with this official 5-digit code, or None."""
        return self._place_by_code.get(code.strip())

    def region_geometry(self, code: str) -> dict[str, Any]:
        """GeoJSON geometry of a region; app.errors.NotFound for an unknown code."""
        region = self.regions.get(code)
        if region is None:
            raise NotFound(f"No administrative region has the code {code!r}.")
        return region.geometry

    def region_geometry_json(self, code: str) -> str:
        """The same geometry, serialised once (Nord-du-Québec alone weighs about 155 kB)."""
        cached = self._geometry_json.get(code)
        if cached is None:
            cached = json.dumps(self.region_geometry(code), separators=(",", ":"))
            self._geometry_json[code] = cached
        return cached


@lru_cache(maxsize=4)
def get_resolver(data_dir: Path | None = None) -> Resolver:
    """The shared resolver over `data_dir` (the project's data/ by default), loaded once."""
    return Resolver.from_dir(data_dir or DEFAULT_DATA_DIR)
