"""Headers every answer carries, and the CORS policy.

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and `Content-Security-Policy:
  frame-ancestors 'none'` (no page of ours may be framed: clickjacking), `Referrer-Policy:
  no-referrer` (a referral's URL never leaks to another site).
- `Cache-Control: no-store` unless the route chose its own policy: answers hold personal data
  (an inbox, a person's status, a staff look-up) and no shared cache may keep them.
- `Strict-Transport-Security` in production (the service is served over HTTPS there).
- CORS only for the origins listed in `TTX_CORS_ORIGINS` (default none: browsers on other
  sites cannot read our answers; server-to-server partners are not affected).

A route that sets one of these headers itself (an HTML page with its own CSP, a public read
with `Cache-Control: public`) keeps its own."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from app.settings import Settings

HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def default_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"frame-ancestors 'none'"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    ]
    if settings.env == "production":
        headers.append(HSTS)
    return headers


def cors_origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


class CORSPolicy(CORSMiddleware):
    """CORS for the origins of `TTX_CORS_ORIGINS` (added only when some are listed)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        super().__init__(
            app,
            allow_origins=cors_origins(settings),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Accept-Language"],
            expose_headers=["Retry-After", "Location"],
            max_age=600,
        )
