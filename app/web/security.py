"""CSRF tokens for the forms, and the headers every page carries.

CSRF: a random value in a cookie (`ttx_csrf`, HttpOnly, SameSite=Lax) and, in each form, an
HMAC of it under a key derived from `TTX_SECRET_KEY`; a POST must carry both, matching, and
(when the browser says where it comes from) an `Origin` of this site. Stateless, so any replica
checks any form."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from app.crypto import derived_keys
from app.errors import AppError
from app.settings import Settings

CSRF_COOKIE: Final = "ttx_csrf"
CSRF_FIELD: Final = "csrf_token"
# Scripts, styles and images from this site only; no inline script or style; no frames; forms
# post here only. Nothing is loaded from another site (DESIGN §12).
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class CsrfFailed(AppError):
    status = 403
    slug = "csrf"
    code = "csrf"


def _key(settings: Settings) -> bytes:
    return derived_keys(settings.secret_key, b"ttx-web-csrf-v1")[0]


def _token_for(settings: Settings, cookie: str) -> str:
    return hmac.new(_key(settings), cookie.encode(), hashlib.sha256).hexdigest()


class Csrf:
    """The CSRF state of one request: the cookie it came with, or a new one to set."""

    def __init__(self, request: Request) -> None:
        self.settings: Settings = request.app.state.settings
        existing = request.cookies.get(CSRF_COOKIE, "")
        self.is_new = not (16 <= len(existing) <= 100 and existing.isascii())
        self.cookie = secrets.token_urlsafe(32) if self.is_new else existing
        self.secure = request.url.scheme == "https"
        self.used = False

    def token(self) -> str:
        self.used = True
        return _token_for(self.settings, self.cookie)

    def set_cookie(self, response: Response) -> None:
        if self.is_new and self.used:
            response.set_cookie(
                CSRF_COOKIE,
                self.cookie,
                httponly=True,
                samesite="lax",
                secure=self.secure,
                path="/",
            )


async def form_of(request: Request, *, max_files: int = 0) -> FormData:
    """The POSTed form, once its CSRF token and origin are checked (403 otherwise).
    `max_files`: file fields accepted (an upload form)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin != _origin_of(request):
        raise CsrfFailed("csrf_other_site")
    form = await request.form(max_files=max_files, max_fields=200)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD)
    settings: Settings = request.app.state.settings
    if not cookie or not isinstance(sent, str):
        raise CsrfFailed("csrf_missing")
    if not hmac.compare_digest(_token_for(settings, cookie), sent):
        raise CsrfFailed("csrf_mismatch")
    return form


def _origin_of(request: Request) -> str:
    url = request.url
    default = {"http": 80, "https": 443}.get(url.scheme)
    port = f":{url.port}" if url.port and url.port != default else ""
    return f"{url.scheme}://{url.hostname}{port}"


def _link_key(settings: Settings) -> bytes:
    return derived_keys(settings.secret_key, b"ttx-web-links-v1")[0]


def sign(settings: Settings, *parts: str) -> str:
    """A signature over `parts`, for links whose content must not be edited (a confirmation)."""
    message = "\x1f".join(parts).encode()
    return hmac.new(_link_key(settings), message, hashlib.sha256).hexdigest()[:32]


def signed(settings: Settings, signature: str, *parts: str) -> bool:
    return hmac.compare_digest(sign(settings, *parts), signature)
