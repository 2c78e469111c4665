"""The SMTP server to send through, read from `TTX_SMTP_URL`, and one send with `aiosmtplib`.

    smtp://host[:port]                 plain SMTP (port 25), no TLS: a local relay or catcher
    smtp+starttls://user:pass@host     SMTP upgraded with STARTTLS, required (port 587)
    smtps://user:pass@host             SMTP inside TLS from the first byte (port 465)

User name and password are percent-decoded (`%40` for `@`). Nothing else is accepted: no
path, query or fragment."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal
from urllib.parse import unquote, urlsplit

import aiosmtplib

Security = Literal["none", "starttls", "tls"]
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


class MailError(Exception):
    """A message could not be handed to the SMTP server. `transient` says whether trying again
    later may succeed (the server is down, busy, or answered 4xx); `code` is the SMTP reply
    code when the server gave one."""

    def __init__(
        self, words: str, *, transient: bool, code: int | None = None, kind: str = "other"
    ) -> None:
        super().__init__(words)
        self.transient = transient
        self.code = code
        # In a word, as the dispatcher counts outcomes: refused, timeout, tls, deferred (4xx),
        # rejected (5xx), other.
        self.kind = kind


class MailNotConfigured(MailError):
    """`TTX_SMTP_URL` is not set: e-mail is off."""

    def __init__(self) -> None:
        super().__init__("e-mail is off: TTX_SMTP_URL is not set", transient=False, kind="other")


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where and how to connect; `origin` (scheme, host, port) is the unit of fairness."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        scheme = {"none": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        return f"{scheme}://{self.host}:{self.port}"


def smtp_url_problem(url: str) -> str | None:
    """Why `url` is not a usable `TTX_SMTP_URL`, or None."""
    try:
        parse_smtp_url(url)
    except ValueError as exc:
        return str(exc)
    return None


def parse_smtp_url(url: str) -> SmtpTarget:
    """The target an `smtp://`, `smtp+starttls://` or `smtps://` URL names (ValueError if
    none)."""
    if not url.isascii() or not url.isprintable() or " " in url:
        raise ValueError("the SMTP URL must be printable ASCII without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"the SMTP URL does not parse ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError("the SMTP URL must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ValueError("the SMTP URL names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("the SMTP URL takes no path, query or fragment")
    if port == 0:
        raise ValueError("the SMTP URL's port must be 1–65535")
    security, default_port = _SCHEMES[scheme]
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpTarget(parts.hostname, port or default_port, security, user, password)


async def deliver(
    target: SmtpTarget,
    message: EmailMessage,
    *,
    timeout: float = 10.0,
    tls_context: ssl.SSLContext | None = None,
) -> None:
    """Hand `message` to the server once (MailError when it is not accepted, with
    `transient` set for what is worth retrying). Certificates are verified against the
    system's authorities unless `tls_context` says otherwise."""
    try:
        errors, _ = await aiosmtplib.send(
            message,
            hostname=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.security == "tls",
            start_tls=target.security == "starttls",
            timeout=timeout,
            tls_context=tls_context,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:  # every recipient refused
        first = exc.recipients[0]
        raise _replied(first.code, first.message) from None
    except aiosmtplib.SMTPResponseException as exc:
        raise MailError(
            _reply(exc.code, exc.message), transient=exc.code < 500, code=exc.code
        ) from None
    except aiosmtplib.SMTPTimeoutError as exc:
        raise MailError(f"timeout: {exc}", transient=True, kind="timeout") from None
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:  # connect, TLS, AUTH…
        raise _unreached(exc) from None
    if errors:  # some recipients were refused, the others accepted
        code, text = next(iter(errors.values()))
        raise _replied(code, text)


_PLAIN_WORDS = {
    "refused": "connection refused: nothing accepts connections at the SMTP server's address",
    "timeout": "timeout: the SMTP server did not answer in time",
    "tls": "TLS: the SMTP server's certificate or handshake was not accepted",
}


def _unreached(exc: BaseException) -> MailError:
    kind = _connect_kind(exc)
    head = _PLAIN_WORDS.get(kind, "the SMTP server could not be reached")
    return MailError(f"{head} ({_words(exc)})"[:480], transient=True, kind=kind)


def _replied(code: int, text: str) -> MailError:
    transient = code < 500
    kind = "deferred" if transient else "rejected"
    return MailError(_reply(code, text), transient=transient, code=code, kind=kind)


def _connect_kind(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return "tls"
        if isinstance(seen, ConnectionRefusedError):
            return "refused"
        if isinstance(seen, TimeoutError):
            return "timeout"
        seen = seen.__cause__ or seen.__context__
    words = str(exc).lower()
    if "certificate" in words or "ssl" in words or "tls" in words:
        return "tls"
    if "refused" in words:
        return "refused"
    return "other"


def _reply(code: int, text: str) -> str:
    return f"SMTP {code}: {' '.join(str(text).split())}"[:480]


def _words(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:480]
