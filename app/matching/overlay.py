"""A read-only mapping that a new version shares with the one it came from.

Copying a dict of 100,000 centres costs 5 to 12 ms, longer than the rest of an edit; the
directory's lookups (id -> row, id -> entry, ref -> entry) are kept instead as a base dict
shared by every version and a small dict of the changes since. The changes are folded into
a new base once they reach 1/32 of it (at least 1,024), so a lookup is at most two dict
lookups and an edit copies only the changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar, cast

K = TypeVar("K")
V = TypeVar("V")

_GONE = object()  # in the changes: the key was removed


class Overlay(Mapping[K, V], Generic[K, V]):
    """`base` with `changes` on top (a change to `_GONE` removes the key)."""

    __slots__ = ("_base", "_changes", "_len")

    def __init__(self, base: Mapping[K, V], changes: dict[K, object] | None = None) -> None:
        self._base = base if isinstance(base, dict) else dict(base)
        self._changes: dict[K, object] = changes or {}
        size = len(self._base)
        for key, value in self._changes.items():
            size += (value is not _GONE) - (key in self._base)
        self._len = size

    def __getitem__(self, key: K) -> V:
        found = self._changes.get(key, self)
        if found is self:
            return self._base[key]
        if found is _GONE:
            raise KeyError(key)
        return cast(V, found)

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        found = self._changes.get(key, self)
        if found is self:
            return self._base.get(key, default)
        return default if found is _GONE else cast(V, found)

    def __contains__(self, key: object) -> bool:
        found = self._changes.get(key, self)  # type: ignore[arg-type]
        return key in self._base if found is self else found is not _GONE

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[K]:
        changes = self._changes
        yield from (key for key in self._base if key not in changes)
        yield from (key for key, value in changes.items() if value is not _GONE)

    def changed(self, put: Mapping[K, V], gone: Iterable[K] = ()) -> Overlay[K, V]:
        """A new mapping: this one with `put` set and the keys of `gone` removed (those not
        also in `put`). This one is unchanged."""
        changes: dict[K, object] = {**self._changes, **put}
        for key in gone:
            if key not in put:
                changes[key] = _GONE
        if len(changes) > max(1024, len(self._base) // 32):
            merged = dict(self._base)
            for key, value in changes.items():
                if value is _GONE:
                    merged.pop(key, None)
                else:
                    merged[key] = cast(V, value)
            return Overlay(merged)
        return Overlay(self._base, changes)
