"""Domain errors carry their HTTP status; one handler renders RFC 9457 problem documents."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from app.i18n import Lang, gettext

PROBLEM_BASE = "https://trouvetonx.example.org/problems/"


class AppError(Exception):
    """Base of every error a client can cause. Rendered as `application/problem+json`."""

    status = 400
    title = "Bad request"
    slug = "bad-request"
    title_key: ClassVar[str | None] = None  # the title in the catalogues, when it is there

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra
        self.key: str | None = None
        self.params: dict[str, Any] = {}

    @classmethod
    def said(cls, key: str, /, *, params: dict[str, Any] | None = None, **kwargs: Any) -> Self:
        """The error with its message from the catalogues: `detail` in French, and in any
        language through `detail_in`. A parameter that is a `Said` key is translated too."""
        error = cls(_say(key, "fr", params or {}), **kwargs)
        error.key, error.params = key, dict(params or {})
        return error

    def detail_in(self, lang: Lang) -> str:
        return _say(self.key, lang, self.params) if self.key else self.detail

    def title_in(self, lang: Lang) -> str:
        return gettext(self.title_key, lang) if self.title_key else self.title

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class Said(str):
    """A message parameter that is itself a catalogue key (`geo.province.K`)."""


def _say(key: str, lang: Lang, params: dict[str, Any]) -> str:
    filled = {k: gettext(v, lang) if isinstance(v, Said) else v for k, v in params.items()}
    return gettext(key, lang, **filled)


class InvalidInput(AppError):
    status = 422
    title = "Invalid input"
    slug = "invalid-input"


class NotFound(AppError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(AppError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class Unauthorized(AppError):
    status = 401
    title = "Unauthorized"
    slug = "unauthorized"


class Forbidden(AppError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class PayloadTooLarge(AppError):
    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class TooManyRequests(AppError):
    status = 429
    title = "Too many requests"
    slug = "too-many-requests"


class Unavailable(AppError):
    status = 503
    title = "Service unavailable"
    slug = "unavailable"


def field_error(loc: list[str | int], msg: str, **ctx: Any) -> dict[str, Any]:
    """One entry of a problem document's `errors` list."""
    return {"loc": loc, "msg": msg, **ctx}
