"""What happened to one attempt, in a word (`kind`) and in plain words (`error`). Pure: an
exception or an HTTP status in, a classification out; used for the stored attempt, the
retry decision and the metrics."""

from __future__ import annotations

import errno
import socket
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Literal

import httpx

Kind = Literal[
    "success",  # 2xx
    "gone",  # 410: the endpoint is disabled
    "throttled",  # 429 or 503: the receiver asked to wait (Retry-After honoured, bounded)
    "timeout",  # no complete answer in time (connect, send or read)
    "refused",  # nothing listens there (connection refused)
    "reset",  # the receiver closed or reset the connection mid-exchange
    "dns",  # the host name does not resolve
    "tls",  # the TLS handshake or the certificate failed
    "redirect",  # 3xx: redirects are not followed
    "client_error",  # another 4xx
    "server_error",  # another 5xx
    "bad_url",  # the URL may not be called (rules) or the HTTP client refuses it
    "crash",  # an error of the dispatcher's own
    "deferred",  # e-mail: the SMTP server answered 4xx (try again later)
    "rejected",  # e-mail: the SMTP server answered 5xx (never delivered: not retried)
    "other",  # anything else: a protocol error, an unusual status
]
KINDS: tuple[Kind, ...] = Kind.__args__  # type: ignore[attr-defined]
# Worth one immediate retry on a fresh connection when the connection was a reused one: the
# receiver closed its end of an idle keep-alive connection just as the request went out.
STALE_CONNECTION_KINDS = frozenset({"reset", "refused"})
RETRY_AFTER_MAX_SECONDS = 3600.0


def status_kind(status: int) -> Kind:
    if 200 <= status < 300:
        return "success"
    if status == 410:
        return "gone"
    if status in (429, 503):
        return "throttled"
    if 300 <= status < 400:
        return "redirect"
    if 400 <= status < 500:
        return "client_error"
    if 500 <= status < 600:
        return "server_error"
    return "other"


def status_error(status: int, retry_after: float | None = None) -> str | None:
    """The stored error for an answer that is not a success, or None for 2xx."""
    if 200 <= status < 300:
        return None
    words = _reason(status)
    if 300 <= status < 400:
        return f"HTTP {status}{words}: redirects are not followed"
    if status == 410:
        return "HTTP 410 Gone: endpoint disabled"
    if status in (429, 503) and retry_after is not None:
        return f"HTTP {status}{words}: the receiver asked to wait {retry_after:g} s"
    return f"HTTP {status}{words}"


def _reason(status: int) -> str:
    try:
        return " " + HTTPStatus(status).phrase
    except ValueError:
        return ""


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A `Retry-After` header (seconds or an HTTP date) as seconds from now, bounded to
    [0, RETRY_AFTER_MAX_SECONDS]; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(RETRY_AFTER_MAX_SECONDS, max(0.0, seconds))


def exception_kind(exc: BaseException, *, timeout: float) -> tuple[Kind, str]:
    """Classify what sending raised, and say it in plain words (never an empty `ReadError: `)."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout", _timeout_words(exc, timeout)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "bad_url", f"refused by the HTTP client: {exc}"
    cause = _root_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return "tls", f"TLS: the certificate was not accepted ({cause.verify_message})"
    if isinstance(cause, ssl.SSLError):
        return "tls", f"TLS: the handshake failed ({cause.reason or cause})"
    if isinstance(cause, socket.gaierror) or _mentions_dns(exc):
        return "dns", "DNS: the host name does not resolve"
    if isinstance(cause, ConnectionRefusedError) or _errno(cause) == errno.ECONNREFUSED:
        return "refused", "connection refused: nothing accepts connections at that address"
    if isinstance(cause, ConnectionResetError | BrokenPipeError) or _errno(cause) in (
        errno.ECONNRESET,
        errno.EPIPE,
    ):
        return "reset", "connection reset by the receiver"
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc) or "the receiver broke the HTTP exchange"
        if "without sending" in text or "disconnected" in text.lower():
            return "reset", "the receiver closed the connection without answering"
        return "other", f"the receiver's answer is not valid HTTP: {text}"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "reset", "the receiver closed the connection mid-exchange"
    if isinstance(exc, httpx.ConnectError):
        return "refused", f"could not connect: {exc or type(exc).__name__}"
    if isinstance(exc, httpx.HTTPError | OSError):
        return "other", f"{type(exc).__name__}: {exc or 'no detail'}"
    return "crash", f"internal error while sending: {type(exc).__name__}: {exc}"


def _timeout_words(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timeout: could not connect within {timeout:g} s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timeout: could not send the request within {timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timeout: no answer within {timeout:g} s"
    return f"timeout: no complete answer within {timeout:g} s"


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nxt = current.__cause__ or current.__context__
        if nxt is None:
            break
        current = nxt
    return current


def _errno(exc: BaseException) -> int | None:
    return exc.errno if isinstance(exc, OSError) else None


def _mentions_dns(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        words in text
        for words in (
            "name or service not known",
            "nodename nor servname",
            "name resolution",
            "no address associated",
            "getaddrinfo failed",
        )
    )
