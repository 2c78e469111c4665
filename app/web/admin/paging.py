"""Pages of a long list: `?page=N` (from 1), a fixed size, previous and next links."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request

MAX_PAGE = 2000


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int = 0

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    def with_total(self, total: int) -> Page:
        return replace(self, total=total)

    def query(self, request: Request, number: int) -> dict[str, Any]:
        """The current query with another page number (for the links)."""
        kept = {k: v for k, v in request.query_params.items() if k != "page"}
        return {**kept, "page": str(number)}


def page_of(request: Request, size: int) -> Page:
    raw = request.query_params.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 else 1
    return Page(min(max(number, 1), MAX_PAGE), size)
