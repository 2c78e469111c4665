"""ASGI middleware: refuse oversized bodies and undecodable URLs before any handler runs, and
add the security headers of `app.security` to every answer."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.errors import AppError, PayloadTooLarge
from app.i18n import Lang


class BadEncoding(AppError):
    status = 400
    slug = "bad-encoding"
    code = "bad_encoding"


class RequestGuard:
    """Answer 400 when the path or query string is not UTF-8 or holds NUL, 413 when a body is
    larger than allowed (announced or streamed), and ask browsers never to sniff a response
    into HTML.

    One middleware rather than two: every request crosses it, and each layer costs a call
    and a closure. The router would otherwise decode bad bytes to U+FFFD and carry on with
    altered text."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        overrides: dict[str, int],
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.overrides = overrides
        # Added to every answer unless the route set the same header (app.security).
        self.headers = headers if headers is not None else [(b"x-content-type-options", b"nosniff")]
        self._names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = message["headers"]
                names = {name.lower() for name, _ in own} & self._names
                extra = [h for h in self.headers if h[0] not in names] if names else self.headers
                message["headers"] = [*own, *extra]
            await send(message)

        # Servers hand over the path as received (`raw_path`, percent-encoded) beside its decoding.
        for part, raw in (
            ("path", scope.get("raw_path") or b""),
            ("query", scope["query_string"]),
        ):
            reason = _undecodable(raw)
            if reason:
                lang = negotiate(_header(scope["headers"], b"accept-language"))
                code = f"{reason}_{part}"  # nul_path, not_utf8_query…
                await _send_problem(send_nosniff, BadEncoding(code), lang)
                return
        limit = self.overrides.get(scope["path"], self.default)
        length = _header(scope["headers"], b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(send_nosniff, limit, _header(scope["headers"], b"accept-language"))
            return
        received = 0

        async def guarded() -> Message:
            # A streamed body with no length: count it and stop reading past the limit.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, str(limit))  # app.problems says it in words
            return message

        await self.app(scope, guarded, send_nosniff)


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> bytes | None:
    # The last one wins, as it did with a dict of the headers.
    found = None
    for name, value in headers:
        if name == wanted:
            found = value
    return found


def _undecodable(raw: bytes) -> str | None:
    """The problem's code prefix: `nul` or `not_utf8`, or None when the bytes are fine."""
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        return "nul"
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return "not_utf8"
    return None


async def _refuse(send: Send, limit: int, accept_language: bytes | None) -> None:
    lang = negotiate(accept_language)
    await _send_problem(send, PayloadTooLarge("body_too_large", limit=limit), lang)


def negotiate(accept_language: bytes | None) -> Lang:
    return i18n.negotiate(accept_language.decode("latin-1") if accept_language else None)


async def _send_problem(send: Send, error: AppError, lang: Lang) -> None:
    body = json.dumps(error.to_problem(lang=lang), separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"content-language", lang.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
