"""A person's situation as the search form and the request form carry it, read and checked.

The same field names are used in both languages (`q`, `needs`, `groups`, `language`, `modes`,
`age`, `text`), so a results URL keeps its meaning when the language is switched. Unknown
codes are dropped: they come only from edited URLs. What is wrong comes back as form errors
(a field and a sentence in the page's language), never as an exception."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.datastructures import ImmutableMultiDict

from app.geo import Ambiguous, GeoError, OutsideQuebec, Place
from app.geo.postal import parse_postal_code
from app.i18n import Lang, gettext
from app.schemas.intake import LocationQuery, MatchRequest
from app.services.matching import locate
from app.taxonomy import (
    CLIENT_GROUP_CODES,
    LANGUAGE_CODES,
    MODE_CODES,
    REGION_BY_CODE,
    REGION_CODES,
    SPECIALTY_CODES,
)

MAX_PLACE: Final = 120
MAX_TEXT: Final = 500
AGE_RANGE: Final = (15, 100)


# A query string or a form: one name, any number of values.
MultiMapping = ImmutableMultiDict[str, Any]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: the field's id (the error summary links to it) and what
    to do about it."""

    field: str
    text: str


@dataclass(slots=True)
class Criteria:
    """The situation as typed (strings kept as given, so the form can show them again)."""

    q: str = ""
    needs: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    language: str = ""
    modes: list[str] = field(default_factory=list)
    age: str = ""
    text: str = ""
    region: str = ""

    @classmethod
    def read(cls, data: MultiMapping) -> Criteria:
        """From a query string or a form (hostile input tolerated: sizes capped, unknown
        codes dropped, repeated codes once)."""
        return cls(
            q=_text(data.get("q"), 300),
            needs=_codes(data.getlist("needs"), SPECIALTY_CODES),
            groups=_codes(data.getlist("groups"), CLIENT_GROUP_CODES),
            language=_text(data.get("language"), 10)
            if data.get("language") in LANGUAGE_CODES
            else "",
            modes=_codes(data.getlist("modes"), MODE_CODES),
            age=_text(data.get("age"), 10),
            text=_text(data.get("text"), 2000),
            region=_text(data.get("region"), 2) if data.get("region") in REGION_CODES else "",
        )

    def query(self) -> dict[str, Any]:
        """The query string that carries this situation (for links and hidden fields)."""
        return {
            "q": self.q,
            "needs": self.needs,
            "groups": self.groups,
            "language": self.language,
            "modes": self.modes,
            "age": self.age,
            "text": self.text,
        }

    @property
    def asked(self) -> bool:
        """Whether a search was made (a place given), rather than the empty form shown."""
        return bool(self.q.strip())


@dataclass(slots=True)
class Checked:
    """A situation checked: the match request and its place when valid, else the errors (and,
    for an ambiguous place, the places to choose from)."""

    request: MatchRequest | None = None
    place: Place | None = None
    errors: list[FieldError] = field(default_factory=list)
    candidates: list[dict[str, str]] = field(default_factory=list)


def check(criteria: Criteria, lang: Lang, *, limit: int = 10) -> Checked:
    """Validate and resolve the situation: the same rules as `POST /v1/matches`."""
    out = Checked()
    q = criteria.q.strip()
    age: int | None = None
    if not q:
        out.errors.append(FieldError("q", gettext("web.criteria.q_missing", lang)))
    elif len(q) > MAX_PLACE:
        out.errors.append(FieldError("q", gettext("web.criteria.q_long", lang, n=MAX_PLACE)))
    if criteria.age.strip():
        try:
            age = int(criteria.age.strip())
        except ValueError:
            age = None
        if age is None or not AGE_RANGE[0] <= age <= AGE_RANGE[1]:
            out.errors.append(
                FieldError("age", gettext("web.criteria.age_invalid", lang, low=15, high=100))
            )
    if len(criteria.text) > MAX_TEXT:
        out.errors.append(FieldError("text", gettext("web.criteria.text_long", lang, n=MAX_TEXT)))
    if out.errors:
        return out
    location = (
        LocationQuery(postal_code=q) if parse_postal_code(q) else LocationQuery(municipality=q)
    )
    try:
        out.place = locate(location)
    except GeoError as exc:
        out.errors.append(FieldError("q", _geo_message(exc, q, lang)))
        if isinstance(exc, Ambiguous):
            out.candidates = [_candidate(c, lang) for c in exc.candidates[:8]]
        return out
    out.request = MatchRequest(
        location=location,
        client_groups=criteria.groups,
        needs=criteria.needs,
        need_text=criteria.text.strip() or None,
        language=criteria.language or None,
        modes=criteria.modes,
        age=age,
        limit=limit,
    )
    return out


def _geo_message(exc: GeoError, q: str, lang: Lang) -> str:
    if isinstance(exc, OutsideQuebec):
        return gettext("web.criteria.q_outside", lang, q=q)
    if isinstance(exc, Ambiguous):
        return gettext("web.criteria.q_ambiguous", lang, q=q)
    return gettext("web.criteria.q_unknown", lang, q=q)


def _candidate(place: Place, lang: Lang) -> dict[str, str]:
    region = REGION_BY_CODE.get(place.region_code)
    region_name = (region.en if lang == "en" else region.fr) if region else place.region_code
    name = place.municipality or place.label
    return {"q": f"{name}, {region_name}", "label": f"{name} ({region_name})"}


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _codes(values: list[Any], allowed: frozenset[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values[:50]:
        if isinstance(value, str) and value in allowed:
            seen[value] = None
    return list(seen)


def hidden_pairs(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A query mapping as (name, value) pairs, for hidden fields that carry it along."""
    return [
        (k, str(item))
        for k, v in values.items()
        for item in (v if isinstance(v, list | tuple) else [v])
        if item not in (None, "")
    ]
