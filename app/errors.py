"""Domain errors carry their HTTP status and a stable code; one handler renders RFC 9457
problem documents in the reader's language (French first, English by `Accept-Language`).

    raise NotFound("centre_not_found", centre_id=str(centre_id))

The first argument is a code: `problems.<code>` in the `problems` catalogue is the detail, its
`{placeholders}` filled from the keyword arguments, which also become members of the problem
document (so clients read `centre_id` instead of parsing text). The title comes from the class
(`problems.title.<slug>`). Field errors (`errors`) are made by `field_error(loc, code, …)` and
rendered in the same language; their messages are `validation.<code>` or `problems.<code>`.
A first argument that is not a code (a sentence) is shown as is: `tests/test_problems.py`
fails when code in `app/` does that.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.i18n import DEFAULT_LANG, Lang, catalogue, gettext

PROBLEM_BASE = "https://trouvetonx.example.org/problems/"
# Members a problem document defines itself: extension members never overwrite them.
RESERVED = frozenset({"type", "title", "status", "detail", "instance", "code", "errors"})


class AppError(Exception):
    """Base of every error a client can cause. Rendered as `application/problem+json`."""

    status = 400
    slug = "bad-request"
    code = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        /,
        *,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ):
        given = code or self.code
        self.key: str | None = f"problems.{given}" if _known(f"problems.{given}") else None
        self.code = given if self.key else type(self).code
        self.literal = None if self.key else given
        self.errors = errors
        self.extra = {k: plain(v) for k, v in extra.items() if k not in RESERVED}
        self.params = extra
        super().__init__(self.text("en"))

    @property
    def detail(self) -> str:
        """The detail in French (the default language)."""
        return self.text(DEFAULT_LANG)

    def text(self, lang: Lang) -> str:
        if self.key is None:
            return self.literal or self.title_in(lang)
        try:
            return gettext(self.key, lang, **self.params)
        except (KeyError, IndexError, ValueError):  # a value the text names was not given
            return gettext(self.key, lang)

    def title_in(self, lang: Lang) -> str:
        return gettext(f"problems.title.{self.slug.replace('-', '_')}", lang)

    def to_problem(self, instance: str | None = None, lang: Lang = DEFAULT_LANG) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title_in(lang),
            "status": self.status,
            "detail": self.text(lang),
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = render_errors(self.errors, lang)
        body.update(self.extra)
        return body


class InvalidInput(AppError):
    status = 422
    slug = "invalid-input"
    code = "invalid_input"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    code = "not_found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    code = "conflict"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    code = "forbidden"


class Gone(AppError):
    status = 410
    slug = "gone"
    code = "gone"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    code = "unsupported_media_type"


class TooManyRequests(AppError):
    status = 429
    slug = "too-many-requests"
    code = "too_many_requests"


class Unavailable(AppError):
    status = 503
    slug = "unavailable"
    code = "unavailable"


def _known(key: str) -> bool:
    return key in catalogue(DEFAULT_LANG)


def plain(value: Any) -> Any:
    """A value a JSON encoder takes: identifiers and other objects become their text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def field_error(loc: list[str | int], code: str, /, **params: Any) -> dict[str, Any]:
    """One entry of a problem document's `errors` list: where, a stable code (`type`), and
    the values its message names. Its `msg` is written when the document is rendered."""
    return {"loc": list(loc), "type": code, "ctx": params}


def message(code: str, lang: Lang, params: dict[str, Any], fallback: str = "") -> str:
    """The text of a field error: `validation.<code>`, else `problems.<code>`, else
    `fallback` (a library's English message) in English and a general sentence in French."""
    for key in (f"validation.{code}", f"problems.{code}"):
        if _known(key):
            try:
                return gettext(key, lang, **params)
            except (KeyError, IndexError, ValueError):  # a library's context lacks a name
                break
    if lang == "en" and fallback:
        return fallback.removeprefix("Value error, ")
    return gettext("validation.invalid", lang)


def _pattern_hint(loc: Any) -> str | None:
    names = [p for p in (loc or []) if isinstance(p, str)]
    key = f"validation.pattern_{names[-1]}" if names else ""
    return key if names and _known(key) else None


def render_errors(errors: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """`errors` as the client reads them: `msg` in `lang`, every other member kept."""
    out = []
    for entry in errors:
        params = entry.get("ctx") or {}
        item = {k: plain(v) for k, v in entry.items() if k not in ("ctx", "msg")}
        code = str(entry.get("type") or "invalid")
        if "fr" in entry and "en" in entry:  # already in both languages (match reasons)
            item["msg"] = entry[lang]
        elif code == "string_pattern_mismatch" and _pattern_hint(entry.get("loc")):
            # A pattern says nothing to a person: the field's own hint says what to type.
            item["msg"] = gettext(_pattern_hint(entry.get("loc")) or "", lang)
        else:
            item["msg"] = message(code, lang, params, str(entry.get("msg") or ""))
        item.setdefault("type", code)
        out.append(item)
    return out


def pydantic_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's error entries as field errors: where, the code (`type`) and its context
    (raw input and exception objects left out), for `render_errors`."""
    out = []
    for e in errors:
        ctx = {k: plain(v) for k, v in (e.get("ctx") or {}).items() if k != "error"}
        item = {"loc": list(e.get("loc", ())), "type": e.get("type"), "ctx": ctx}
        item["msg"] = str(e.get("msg", ""))
        out.append(item)
    return out
