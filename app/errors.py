"""Domain errors carry their HTTP status; one handler renders RFC 9457 problem documents."""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://trouvetonx.example.org/problems/"


class AppError(Exception):
    """Base of every error a client can cause. Rendered as `application/problem+json`."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra

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
