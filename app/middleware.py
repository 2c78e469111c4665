"""ASGI middleware: refuse oversized bodies and undecodable URLs before any handler runs."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, PayloadTooLarge


class BadEncoding(AppError):
    status = 400
    title = "Bad encoding"
    slug = "bad-encoding"


class BodyLimit:
    """Answer 413 when a body is larger than allowed, whether announced or streamed."""

    def __init__(self, app: ASGIApp, *, default: int, overrides: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.overrides = overrides

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.overrides.get(scope["path"], self.default)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(send, limit)
            return
        received = 0

        async def guarded() -> Message:
            # A streamed body with no length: count it and stop reading past the limit.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the body is larger than {limit} bytes")
            return message

        await self.app(scope, guarded, send)


class UrlGuard:
    """Answer 400 when the path or query string is not UTF-8 or holds NUL, and ask browsers
    never to sniff a response into HTML.

    The router would otherwise decode bad bytes to U+FFFD and carry on with altered text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-content-type-options", b"nosniff")]
            await send(message)

        # Servers hand over the path as received (`raw_path`, percent-encoded) beside its decoding.
        for part, raw in (
            ("path", scope.get("raw_path") or b""),
            ("query string", scope["query_string"]),
        ):
            reason = _undecodable(raw)
            if reason:
                await _send_problem(send_nosniff, BadEncoding(f"the {part} {reason}"))
                return
        await self.app(scope, receive, send_nosniff)


def _undecodable(raw: bytes) -> str | None:
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        return "holds a NUL character"
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return "is not valid UTF-8 once percent-decoded"
    return None


async def _refuse(send: Send, limit: int) -> None:
    await _send_problem(send, PayloadTooLarge(f"the body is larger than {limit} bytes"))


async def _send_problem(send: Send, error: AppError) -> None:
    body = json.dumps(error.to_problem(), separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
