"""The read-mostly directory, held in memory and brought up to date by its change log.

Public reads and matching never go through the database per request: they read a
`Directory`, an immutable snapshot. A background thread (`DirectoryIndex.start`, from the
app's lifespan) polls `directory_state` every `directory_refresh_seconds`; when the version
moved it reads the `directory_change` rows since its own version, reads those centres again,
and swaps in a new snapshot that shares everything else with the previous one (or rebuilds in
full when the log no longer reaches back). Requests only read the current reference, so they
never wait on a refresh. A write on this process brings the snapshot up to date before its
response is sent (`app.deps.get_session`), so its client's next request sees it.
"""

from __future__ import annotations

import bisect
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.geo import GeoError, get_resolver
from app.geo.text import tokens
from app.hsds import HsdsCatalogue
from app.matching import CentreProfile, MatchIndex
from app.matching.overlay import Overlay
from app.services.centres import to_public
from app.services.directory_rows import (
    CentreRecord,
    iter_active_centres,
    load_centres,
    read_changes,
    state_version,
)
from app.services.matching import profile_of
from app.taxonomy import LANGUAGES

log = logging.getLogger("ttx.directory")


def search_words(text: str) -> str:
    """What `q=` compares: the resolver's folding (accents, case, hyphens and spaces alike,
    `St`/`Ste` as `Saint`/`Sainte`), words joined by one space.

    Folded a whitespace-separated piece at a time, the last pieces seen kept: spaces separate
    words either way, and a directory's descriptions repeat the same words, so building the
    search text of 100,000 centres folds each word once rather than every character of them."""
    return " ".join([word for piece in text.split() for word in _piece_words(piece)])


@lru_cache(maxsize=1 << 16)
def _piece_words(piece: str) -> tuple[str, ...]:
    return tokens(piece)


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


def _order(entry: Entry) -> tuple[str, str]:
    return entry.name.casefold(), entry.ref


Loader = Callable[[], list[CentreRecord]]


class Directory:
    """An immutable snapshot of the active directory at one version.

    `entries` are sorted by name (then ref); `match_index` ranks the same centres. A snapshot
    made by `changed` shares its unchanged entries, maps and index columns with the previous
    one: an edit costs what changed, not the directory's size.

    Held per centre: its `Entry` (code sets shared between centres, the folded search text,
    the public JSON and GeoJSON features serialised), its matching profile and columns,
    and its place in `by_id` and `by_ref`: about 3.8 KB of RSS at 100,000 centres
    (docs/scale.md). No ORM object is kept. The HSDS catalogue is built from the database on
    first use, once per snapshot (a full read at every first HSDS request after an edit)."""

    def __init__(
        self,
        version: int,
        entries: Sequence[Entry],
        match_index: MatchIndex,
        region_counts: dict[str, int],
        loader: Loader | None = None,
        *,
        by_id: Overlay[str, Entry] | None = None,
        by_ref: Overlay[str, Entry] | None = None,
    ) -> None:
        self.version = version
        self.entries = entries
        # Shared with the snapshots `changed` makes: an edit copies the changes, not the maps.
        self.by_id = Overlay({e.id: e for e in entries}) if by_id is None else by_id
        self.by_ref = Overlay({e.ref: e for e in entries}) if by_ref is None else by_ref
        self.match_index = match_index
        self.region_counts = region_counts
        self._load = loader

    @classmethod
    def build(
        cls, version: int, centres: Iterable[CentreRecord], loader: Loader | None = None
    ) -> Directory:
        """The snapshot of these centres (the inactive ones are left out).

        One pass: each centre's entry and profile are made as it comes, so `centres` may be
        read a chunk at a time (`iter_active_centres`) and each record freed once used; at
        100,000 centres holding every record at once leaves the allocator with hundreds of
        megabytes it keeps."""
        entries: list[Entry] = []

        def profiles() -> Iterator[CentreProfile]:
            for centre in centres:
                if centre.active:
                    entries.append(_entry(centre))
                    yield profile_of(centre)  # type: ignore[arg-type]

        index = MatchIndex(profiles())  # consumes them one by one
        entries.sort(key=_order)
        counts = Counter(code for e in entries for code in e.regions)
        return cls(version, entries, index, dict(counts), loader)

    def changed(
        self, version: int, centres: Sequence[CentreRecord], gone: Iterable[str] = ()
    ) -> Directory:
        """This snapshot with `centres` read anew (an inactive one leaves) and the centres
        of `gone` (ids) removed; what is unchanged is shared."""
        drop = {*gone, *(str(c.id) for c in centres)}
        added = [_entry(c) for c in centres if c.active]
        entries = list(self.entries)
        counts = Counter(self.region_counts)
        left: list[Entry] = []
        for centre_id in drop:
            old = self.by_id.get(centre_id)
            if old is not None:
                at = bisect.bisect_left(entries, _order(old), key=_order)
                del entries[at]
                left.append(old)
                counts.subtract(old.regions)
        for entry in added:
            bisect.insort(entries, entry, key=_order)
            counts.update(entry.regions)
        by_id = self.by_id.changed({e.id: e for e in added}, drop)
        by_ref = self.by_ref.changed({e.ref: e for e in added}, [e.ref for e in left])
        put = [profile_of(c) for c in centres if c.active]  # type: ignore[arg-type]
        index = self.match_index.changed(put, drop - {p.id for p in put})
        counted = {k: n for k, n in counts.items() if n > 0}
        return Directory(version, entries, index, counted, self._load, by_id=by_id, by_ref=by_ref)

    @cached_property
    def hsds(self) -> HsdsCatalogue:
        """The directory as Open Referral HSDS records: built from the database on first use,
        once per snapshot."""
        return HsdsCatalogue(self.centres_by_name)

    @cached_property
    def centres_by_name(self) -> list[CentreRecord]:
        """The active centres read from the database, in the order of `entries`."""
        by_id = {str(c.id): c for c in (self._load() if self._load else [])}
        return [by_id[e.id] for e in self.entries if e.id in by_id]

    @cached_property
    def languages(self) -> frozenset[str]:
        """The languages some centre speaks."""
        return frozenset(code for e in self.entries for code in e.languages)

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


_SETS: dict[frozenset[str], frozenset[str]] = {}


def _shared(codes: Iterable[str]) -> frozenset[str]:
    """One object for each set of codes: directories repeat the same few sets (about 200
    bytes per set and centre otherwise). The pool only grows with new combinations."""
    found = frozenset(codes)
    return _SETS.setdefault(found, found)


def _entry(centre: CentreRecord) -> Entry:
    public = to_public(centre)  # type: ignore[arg-type]
    text = " ".join(
        [centre.name, centre.ref, centre.description_fr or "", centre.description_en or ""]
        + [loc.municipality or "" for loc in centre.locations]
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [loc.lon, loc.lat]},
            "properties": {
                "centre_id": str(centre.id),
                "ref": centre.ref,
                "name": centre.name,
                "municipality": loc.municipality,
                "region_code": loc.region_code,
                "intake_status": centre.intake_status,
            },
        }
        for loc in centre.locations
    ]
    return Entry(
        id=str(centre.id),
        ref=centre.ref,
        name=centre.name,
        regions=_shared(centre.regions_served),
        specialties=_shared(centre.specialties),
        client_groups=_shared(centre.client_groups),
        languages=_shared(centre.languages),
        municipality_codes=_shared(
            loc.municipality_code for loc in centre.locations if loc.municipality_code
        ),
        search_text=search_words(text),
        public_json=public.model_dump_json().encode(),
        feature_json=",".join(json.dumps(f, ensure_ascii=False) for f in features).encode(),
    )


class DirectoryIndex:
    """Holds the current snapshot; a background thread brings it up to the database."""

    def __init__(self, engine: Engine, refresh_seconds: float) -> None:
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()  # one refresh at a time
        self._swapped = threading.Condition()
        self._snapshot: Directory | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def peek(self) -> Directory | None:
        """The current snapshot (None before the first build); never blocks."""
        return self._snapshot

    def get(self) -> Directory:
        """The current snapshot, built first when there is none yet (blocks then)."""
        snap = self._snapshot
        return snap if snap is not None else self.refresh()

    def start(self) -> None:
        """Poll the change log every `refresh_seconds` in a background thread until `stop`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="ttx-directory", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._refresh_seconds):
            try:
                self.refresh()
            except Exception:  # the refresher must outlive a database outage
                log.exception("directory refresh failed; will try again")

    def refresh(self) -> Directory:
        """Bring the snapshot up to the database and swap it in: the centres the change log
        names since the snapshot's version, or everything when the log no longer reaches
        back. Blocking: for a worker thread."""
        with self._lock:
            snap = self._snapshot
            with Session(self._engine) as session:
                changes = None if snap is None else read_changes(session, snap.version)
                if snap is None or changes is None:
                    version = state_version(session)  # read first: the centres are as new
                    chunks = iter_active_centres(session)
                    snap = Directory.build(version, chain.from_iterable(chunks), self._loader)
                elif changes[1]:
                    version, changed = changes
                    snap = snap.changed(version, load_centres(session, changed), map(str, changed))
                else:
                    return snap
            with self._swapped:
                self._snapshot = snap
                self._swapped.notify_all()
            return snap

    def wait_for(self, version: int, timeout: float) -> Directory | None:
        """The snapshot once it reached `version`, waiting up to `timeout` seconds for the
        refresher to swap it in; None if it did not (for tests and benchmarks)."""

        def reached() -> bool:
            return self._snapshot is not None and self._snapshot.version >= version

        with self._swapped:
            return self._snapshot if self._swapped.wait_for(reached, timeout) else None

    def _loader(self) -> list[CentreRecord]:
        with Session(self._engine) as session:
            return load_centres(session)
