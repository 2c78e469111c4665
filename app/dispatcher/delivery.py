"""One HTTP attempt to deliver one event. No database here: a claimed `Job` goes in, an
`AttemptResult` comes out, whatever the receiver does."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.dispatcher.signing import signed_headers
from app.dispatcher.urls import Resolver, UnsafeAddress, resolve_public

log = logging.getLogger(__name__)

EXCERPT_BYTES = 1024
USER_AGENT = "trouve-ton-x-dispatcher/1"
Outcome = Literal["success", "failure", "gone"]


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed event, with what is needed to send it."""

    event_id: uuid.UUID
    webhook_id: str
    attempt: int
    endpoint_id: uuid.UUID
    url: str
    secret: str
    body: bytes
    # Set when the URL may not be called (a production rule): the attempt fails without sending.
    refused: str | None = None
    # Production: resolve the host at this attempt, check every address, connect to a checked
    # one (DNS rebinding cannot slip an internal address in between the check and the call).
    pin: bool = False
    # What the business layer is told once the event is delivered (`on_delivered`).
    event_type: str = ""
    subject_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt produced; becomes one `delivery_attempt` row."""

    job: Job
    started_at: datetime
    duration_ms: int
    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None


def make_transport(*, tls: ssl.SSLContext | None = None) -> httpx.AsyncBaseTransport:
    """One of the dispatcher's connections: httpx's transport, holding a single connection
    (see `ConnectionPool`). Pass one shared `tls` context to many: loading the CA bundle costs
    tens of milliseconds each time.

    The worker sends through transports rather than `httpx.AsyncClient`: a transport never
    follows redirects, and it skips the client's per-request layers (auth, redirects,
    cookies, hooks), about a fifth of the CPU of a delivery."""
    return httpx.AsyncHTTPTransport(
        verify=tls if tls is not None else True,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


class ConnectionPool:
    """Single-connection transports lent to one attempt at a time, preferring one already
    connected to the receiver's origin.

    httpx's own pool slows down as its connection count grows (measured here: 64 connections
    in one client deliver several times less than 64 one-connection clients), so each attempt
    gets a transport of its own; the in-flight bound of the worker bounds their number.
    """

    def __init__(self, factory: Callable[[], httpx.AsyncBaseTransport], size: int) -> None:
        self._factory = factory
        self._size = size
        self._idle: dict[str, list[httpx.AsyncBaseTransport]] = {}
        self._all: list[httpx.AsyncBaseTransport] = []

    def acquire(self, origin: str) -> httpx.AsyncBaseTransport:
        """A transport for `origin`: one already connected there, a new one, or any idle one."""
        same = self._idle.get(origin)
        if same:
            return same.pop()
        if len(self._all) < self._size or not any(self._idle.values()):
            transport = self._factory()
            self._all.append(transport)
            return transport
        other = next(clients for clients in self._idle.values() if clients)
        return other.pop()  # its old connection is closed when it connects elsewhere

    def release(self, origin: str, transport: httpx.AsyncBaseTransport) -> None:
        self._idle.setdefault(origin, []).append(transport)

    async def aclose(self) -> None:
        await asyncio.gather(*(transport.aclose() for transport in set(self._all)))
        self._all.clear()
        self._idle.clear()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def attempt_delivery(
    transport: httpx.AsyncBaseTransport,
    job: Job,
    *,
    timeout_seconds: float,
    now: Callable[[], datetime],
    resolver: Resolver | None = None,
) -> AttemptResult:
    """POST the signed body once and classify the answer. Never raises for the receiver's sake:
    2xx is a success, 410 means the endpoint is gone, anything else (3xx included, since
    redirects are not followed) is a failure to retry."""
    started_at, clock = now(), time.perf_counter()

    def result(
        outcome: Outcome, code: int | None = None, error: str | None = None, text: str | None = None
    ) -> AttemptResult:
        duration_ms = int((time.perf_counter() - clock) * 1000)
        return AttemptResult(job, started_at, duration_ms, outcome, code, error, text)

    if job.refused:
        return result("failure", error=f"refused: {job.refused}")
    try:
        # httpx's timeouts bound each phase; this bounds the whole exchange (slow-drip bodies).
        async with asyncio.timeout(timeout_seconds):
            status, excerpt = await _post(transport, job, timeout_seconds, resolver)
    except UnsafeAddress as exc:
        return result("failure", error=_short(f"refused: {exc}"))
    except TimeoutError:
        return result("failure", error=f"timeout: no complete answer within {timeout_seconds:g} s")
    except httpx.TimeoutException as exc:
        return result("failure", error=f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return result("failure", error=_short(f"{type(exc).__name__}: {exc}"))
    return result(_classify(status), status, _status_error(status), excerpt)


async def _post(
    transport: httpx.AsyncBaseTransport, job: Job, timeout: float, resolver: Resolver | None
) -> tuple[int, str | None]:
    headers = signed_headers(job.secret, job.webhook_id, job.body)
    headers["user-agent"] = USER_AGENT
    url = job.url
    # httpx's timeouts, phase by phase, as a client would pass them to its transport.
    extensions: dict[str, object] = {
        "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    }
    if job.pin:
        url, headers["host"], extensions["sni_hostname"] = await _pinned(job.url, resolver)
    request = httpx.Request("POST", url, content=job.body, headers=headers, extensions=extensions)
    response = await transport.handle_async_request(request)
    try:
        return response.status_code, await _excerpt(response)
    finally:
        await response.aclose()


async def _pinned(url: str, resolver: Resolver | None) -> tuple[str, str, str]:
    """The URL rewritten to a checked address of its host, the Host header to send, and the
    name TLS must verify the certificate against."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await resolve_public(host, port, resolver=resolver)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return urlunsplit(parts._replace(netloc=netloc)), parts.netloc.rsplit("@", 1)[-1], host


async def _excerpt(response: httpx.Response) -> str | None:
    """The start of the body, for staff; never the whole of what a receiver chooses to send."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= EXCERPT_BYTES:
            break
    raw = b"".join(chunks)[:EXCERPT_BYTES]
    return raw.decode("utf-8", errors="replace") if raw else None


def _classify(status: int) -> Outcome:
    if 200 <= status < 300:
        return "success"
    return "gone" if status == 410 else "failure"


def _status_error(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    if status == 410:
        return "HTTP 410 Gone: endpoint disabled"
    return f"HTTP {status}"


def _short(text: str, limit: int = 480) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
