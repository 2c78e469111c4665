"""One HTTP attempt to deliver one event. No database here: a claimed `Job` goes in, an
`AttemptResult` comes out, whatever the receiver does."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.dispatcher.outcomes import (
    Kind,
    exception_kind,
    retry_after_seconds,
    status_error,
    status_kind,
)
from app.dispatcher.signing import signed_headers
from app.dispatcher.urls import Resolver, UnsafeAddress, resolve_public
from app.models.states import AttemptOutcome, Channel

log = logging.getLogger(__name__)

EXCERPT_BYTES = 1024
USER_AGENT = "trouve-ton-x-dispatcher/1"
# What httpx.AsyncClient sent by default, kept when sending through the bare transport.
_COMMON_HEADERS = {"user-agent": USER_AGENT, "accept": "*/*", "accept-encoding": "gzip, deflate"}


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed event, with what is needed to send it."""

    event_id: uuid.UUID
    webhook_id: str
    attempt: int
    endpoint_id: uuid.UUID
    url: str
    secret: str = field(repr=False)  # the endpoint's signing secret: kept out of logs
    body: bytes
    # Set when the URL may not be called (a production rule): the attempt fails without sending.
    refused: str | None = None
    # Production: resolve the host at this attempt, check every address, connect to a checked
    # one (DNS rebinding cannot slip an internal address in between the check and the call).
    pin: bool = False
    # What the business layer is told once the event is delivered (`on_delivered`).
    event_type: str = ""
    subject_id: uuid.UUID | None = None
    # The job could not even be prepared (a bug, a corrupt row): its attempt is a crash.
    crashed: bool = False
    # The request that enqueued the event, sent as `X-Request-ID`.
    request_id: str | None = None
    # "webhook" (POST to `url`) or "email" (`url` is the SMTP server's origin; `body` the
    # stored message data, rendered when sent).
    channel: Channel = Channel.WEBHOOK


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt produced; becomes one `delivery_attempt` row."""

    job: Job
    started_at: datetime
    duration_ms: int
    outcome: AttemptOutcome
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None
    # The attempt ended in an error of the dispatcher's own, not the receiver's: counted
    # towards parking the event (`store.PARK_AFTER`).
    crashed: bool = False
    # What happened, in a word (`outcomes.Kind`): for metrics, logs and the retry decision.
    kind: Kind = "other"
    # Seconds the receiver asked to wait (429/503 `Retry-After`, bounded), if it did.
    retry_after: float | None = None
    # Trying again cannot help (an SMTP server refused the address): failed at once.
    permanent: bool = False


def crash_result(job: Job, started_at: datetime, exc: BaseException) -> AttemptResult:
    """The failed attempt recorded when sending `job` raised something unexpected."""
    error = _short(clean_text(f"internal error while sending: {type(exc).__name__}: {exc}"))
    return AttemptResult(
        job, started_at, 0, AttemptOutcome.FAILURE, error=error, crashed=True, kind="crash"
    )


Connection = httpx.AsyncBaseTransport | httpx.AsyncClient
_PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy")


def make_transport(*, tls: ssl.SSLContext | None = None, timeout: float = 10.0) -> Connection:
    """One of the dispatcher's connections, holding a single connection (see
    `ConnectionPool`). Pass one shared `tls` context to many: loading the CA bundle costs tens
    of milliseconds each time.

    Normally httpx's transport: it never follows redirects and skips the client's per-request
    layers (auth, redirects, cookies, hooks), about a fifth of the CPU of a delivery. Where the
    environment names a proxy (`HTTPS_PROXY`, `ALL_PROXY`… with `NO_PROXY`), an
    `httpx.AsyncClient` that honours it, redirects off, instead."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    verify = tls if tls is not None else True
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES):
        return httpx.AsyncClient(
            verify=verify,
            limits=limits,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=True,
        )
    return httpx.AsyncHTTPTransport(verify=verify, limits=limits)


class ConnectionPool:
    """Single-connection transports lent to one attempt at a time, preferring one already
    connected to the receiver's origin.

    httpx's own pool slows down as its connection count grows (measured here: 64 connections
    in one client deliver several times less than 64 one-connection clients), so each attempt
    gets a transport of its own; the in-flight bound of the worker bounds their number.

    A transport is never lent to another origin: in production requests go to the checked
    IP address, and httpcore would reuse a connection to the same address for another host
    name (shared hosting), whose certificate would then never be checked. When every
    transport is made and none is idle for this origin, an idle one is replaced by a new one.
    """

    def __init__(self, factory: Callable[[], Connection], size: int) -> None:
        self._factory = factory
        self._size = size
        self._idle: dict[str, list[Connection]] = {}
        self._all: list[Connection] = []

    def acquire(self, origin: str) -> tuple[Connection, Connection | None, bool]:
        """A transport for `origin` (one already used there, else a new one), the idle
        transport it replaces, if any, for the caller to close, and whether it was reused."""
        same = self._idle.get(origin)
        if same:
            return same.pop(), None, True
        fresh = self._factory()
        if len(self._all) < self._size or not any(self._idle.values()):
            self._all.append(fresh)
            return fresh, None, False
        replaced = next(idle for idle in self._idle.values() if idle).pop()
        self._all.remove(replaced)
        self._all.append(fresh)
        return fresh, replaced, False

    async def renew(self, transport: Connection) -> Connection:
        """Close `transport` (its connection went stale) and return a new one in its place."""
        fresh = self._factory()
        if fresh is transport:  # one shared transport (tests' MockTransport): keep it
            return transport
        if transport in self._all:
            self._all.remove(transport)
        self._all.append(fresh)
        await transport.aclose()
        return fresh

    def release(self, origin: str, transport: Connection) -> None:
        self._idle.setdefault(origin, []).append(transport)

    async def aclose(self) -> None:
        await asyncio.gather(*(transport.aclose() for transport in set(self._all)))
        self._all.clear()
        self._idle.clear()


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of `url`, the unit of connection reuse and of fairness; a URL
    that cannot be split is its own origin."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


async def attempt_delivery(
    transport: Connection,
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
        outcome: AttemptOutcome,
        code: int | None = None,
        error: str | None = None,
        text: str | None = None,
    ) -> AttemptResult:
        duration_ms = int((time.perf_counter() - clock) * 1000)
        return AttemptResult(job, started_at, duration_ms, outcome, code, error, text)

    if job.refused:
        failed = result(AttemptOutcome.FAILURE, error=_short(clean_text(f"refused: {job.refused}")))
        return replace(failed, crashed=job.crashed, kind="crash" if job.crashed else "bad_url")
    try:
        # httpx's timeouts bound each phase; this bounds the whole exchange (slow-drip bodies).
        async with asyncio.timeout(timeout_seconds):
            status, excerpt, wait = await _post(transport, job, timeout_seconds, resolver)
    except UnsafeAddress as exc:
        failed = result(AttemptOutcome.FAILURE, error=_short(clean_text(f"refused: {exc}")))
        return replace(failed, kind="bad_url")
    except Exception as exc:  # whatever it is, it concerns this event only, never the loop
        kind, words = exception_kind(exc, timeout=timeout_seconds)
        if kind == "crash":  # a bug of ours, or of a library
            log.exception("delivery of %s raised", job.webhook_id)
        failed = result(AttemptOutcome.FAILURE, error=_short(clean_text(words)))
        return replace(failed, kind=kind, crashed=kind == "crash")
    kind = status_kind(status)
    retry_after = retry_after_seconds(wait, now=started_at) if kind == "throttled" else None
    outcome = AttemptOutcome(kind) if kind in ("success", "gone") else AttemptOutcome.FAILURE
    done = result(outcome, status, status_error(status, retry_after), clean_text(excerpt))
    return replace(done, kind=kind, retry_after=retry_after)


async def _post(
    transport: Connection, job: Job, timeout: float, resolver: Resolver | None
) -> tuple[int, str | None, str | None]:
    headers = signed_headers(job.secret, job.webhook_id, job.body)
    headers.update(_COMMON_HEADERS)
    if job.request_id:
        headers["x-request-id"] = job.request_id
    url = job.url
    # httpx's timeouts, phase by phase, as a client would pass them to its transport.
    extensions: dict[str, object] = {
        "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    }
    if job.pin:
        url, headers["host"], extensions["sni_hostname"] = await _pinned(job.url, resolver)
    request = httpx.Request("POST", url, content=job.body, headers=headers, extensions=extensions)
    if isinstance(transport, httpx.AsyncClient):
        response = await transport.send(request, stream=True)
    else:
        response = await transport.handle_async_request(request)
    try:
        retry_after = response.headers.get("retry-after")
        return response.status_code, await _excerpt(response), retry_after
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


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))
_CONTROL[127] = None


def clean_text(text: str | None) -> str | None:
    """`text` without NUL and other control characters (kept: tab and line breaks), which a
    receiver may send and PostgreSQL refuses in a text column."""
    return None if text is None else text.translate(_CONTROL)


def _short(text: str | None, limit: int = 480) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"
