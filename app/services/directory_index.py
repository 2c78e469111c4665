"""The read-mostly directory, held in memory and rebuilt when the directory changes.

Public reads and matching never go through the ORM per request: they read this index. A write
on this process invalidates it at once (the session scope calls `invalidate()` after a commit
that changed the directory); other replicas notice the `directory_state` version within
`directory_refresh_seconds`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.geo import GeoError, get_resolver
from app.geo.text import tokens
from app.hsds import HsdsCatalogue
from app.matching import MatchIndex
from app.models import Centre, DirectoryState
from app.services.centres import CENTRE_LOADS, to_public
from app.taxonomy import LANGUAGES


def search_words(text: str) -> str:
    """What `q=` compares: the resolver's folding (accents, case, hyphens and spaces alike,
    `St`/`Ste` as `Saint`/`Sainte`), words joined by one space."""
    return " ".join(tokens(text))


# `espagnol`, `Spanish`: a language named in French or English finds the centres speaking it.
LANGUAGE_WORDS = {search_words(name): t.code for t in LANGUAGES for name in (t.fr, t.en)}


def place_named(q: str) -> tuple[str, str] | None:
    """(municipality code, its words) when `q` is a place the resolver knows for sure
    (`Sherbroke`, `Sainte-Foy`); None otherwise."""
    try:
        result = get_resolver().resolve(q)
    except GeoError:
        return None
    best = result.best
    if best is None or best.municipality_code is None:
        return None
    return best.municipality_code, search_words(best.municipality or "")


@dataclass(frozen=True, slots=True)
class Entry:
    """One active centre, with its public JSON already serialised and its filter keys."""

    id: str
    ref: str
    name: str
    regions: frozenset[str]
    specialties: frozenset[str]
    client_groups: frozenset[str]
    languages: frozenset[str]
    municipality_codes: frozenset[str]
    search_text: str
    public_json: bytes
    feature_json: bytes


class Directory:
    """An immutable snapshot of the active directory at one version."""

    def __init__(self, version: int, centres: list[Centre]) -> None:
        self.version = version
        self.centres = centres
        self.entries = [
            _entry(c) for c in sorted(centres, key=lambda c: (c.name.casefold(), c.ref))
        ]
        self.by_id = {e.id: e for e in self.entries}
        self.by_ref = {e.ref: e for e in self.entries}

    @cached_property
    def region_counts(self) -> dict[str, int]:
        return dict(Counter(code for e in self.entries for code in e.regions))

    @cached_property
    def match_index(self) -> MatchIndex:
        from app.services.matching import build_index

        return build_index(self.centres)

    @cached_property
    def hsds(self) -> HsdsCatalogue:
        """The directory as Open Referral HSDS records (built on first use)."""
        return HsdsCatalogue(self.centres_by_name)

    @cached_property
    def centres_by_name(self) -> list[Centre]:
        by_id = {str(c.id): c for c in self.centres}
        return [by_id[e.id] for e in self.entries]

    @cached_property
    def geojson(self) -> bytes:
        features = b",".join(e.feature_json for e in self.entries if e.feature_json)
        return b'{"type":"FeatureCollection","features":[' + features + b"]}"

    def search(
        self,
        *,
        region: str | None = None,
        specialty: str | None = None,
        client_group: str | None = None,
        language: str | None = None,
        q: str | None = None,
    ) -> list[Entry]:
        """Filter the snapshot; every given filter must hold.

        `q` finds its words in a centre's name, ref, descriptions or towns (folded as the
        resolver folds them); a place the resolver knows for sure, typos included, finds the
        centres located in its municipality; a language name finds the centres speaking it.
        """
        needle = search_words(q) if q else ""
        spoken = LANGUAGE_WORDS.get(needle)
        town = place_named(q) if q and needle else None
        return [
            e
            for e in self.entries
            if (region is None or region in e.regions)
            and (specialty is None or specialty in e.specialties)
            and (client_group is None or client_group in e.client_groups)
            and (language is None or language in e.languages)
            and (
                not needle
                or needle in e.search_text
                or (spoken is not None and spoken in e.languages)
                or (
                    town is not None
                    and (town[0] in e.municipality_codes or town[1] in e.search_text)
                )
            )
        ]


def _entry(centre: Centre) -> Entry:
    public = to_public(centre)
    text = " ".join(
        [centre.name, centre.ref, centre.description_fr or "", centre.description_en or ""]
        + [loc.municipality or "" for loc in centre.locations]
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [loc.lon, loc.lat]},
            "properties": {
                "centre_id": str(centre.id), "ref": centre.ref, "name": centre.name,
                "municipality": loc.municipality, "region_code": loc.region_code,
                "intake_status": centre.intake_status,
            },
        }
        for loc in centre.locations
    ]  # fmt: skip
    return Entry(
        id=str(centre.id),
        ref=centre.ref,
        name=centre.name,
        regions=frozenset(centre.regions_served),
        specialties=frozenset(centre.specialties),
        client_groups=frozenset(centre.client_groups),
        languages=frozenset(centre.languages),
        municipality_codes=frozenset(
            loc.municipality_code for loc in centre.locations if loc.municipality_code
        ),
        search_text=search_words(text),
        public_json=public.model_dump_json().encode(),
        feature_json=",".join(json.dumps(f, ensure_ascii=False) for f in features).encode(),
    )


class DirectoryIndex:
    """Holds the current snapshot and rebuilds it when the stored version moves."""

    def __init__(self, engine: Engine, refresh_seconds: float) -> None:
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._snapshot: Directory | None = None
        self._checked_at = 0.0
        self._stale = True

    def invalidate(self) -> None:
        self._stale = True

    def peek(self) -> Directory | None:
        """The snapshot when it is fresh, else None; never blocks (for the event loop)."""
        snap = self._snapshot
        due = time.monotonic() - self._checked_at > self._refresh_seconds
        return snap if snap is not None and not self._stale and not due else None

    def get(self) -> Directory:
        """The current snapshot; at most `refresh_seconds` behind another replica's writes."""
        snap = self.peek()
        if snap is not None:
            return snap
        with self._lock:
            return self._refresh()

    def _refresh(self) -> Directory:
        with Session(self._engine) as session:
            state = session.get(DirectoryState, 1)
            version = state.version if state else 0
            snap = self._snapshot
            if snap is None or self._stale or version != snap.version:
                self._stale = False
                centres = session.scalars(
                    select(Centre).where(col(Centre.active).is_(True)).options(*CENTRE_LOADS)
                ).all()
                snap = Directory(version, list(centres))
                self._snapshot = snap
            self._checked_at = time.monotonic()
            return snap
