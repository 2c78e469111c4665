"""E-mail: settings, composition from templates, and sending through SMTP (`aiosmtplib`).

    from app.mail import compose, send_mail
    message = compose("signin", "fr", {"link": link, "minutes": 15})
    await send_mail(settings, "accueil@example.org", message.subject, message.text,
                    message.html, lang="fr")

`send_mail(settings, to, subject, text, html=None, *, lang=None, headers=None)` hands one
message to the server of `TTX_SMTP_URL` now, from `TTX_MAIL_FROM`, and returns its
`Message-ID`; `send_mail_sync` does the same from synchronous code (not from inside a running
event loop). Both raise `MailError` (`.transient`: worth retrying later; `.code`: the SMTP
reply) and `MailNotConfigured` (a `MailError`) when `TTX_SMTP_URL` is unset. Links in
messages start with `TTX_PUBLIC_URL`: build them with `public_link(settings, path)`.

Messages about a referral go through the dispatcher's outbox (retries, attempts, replay);
`send_mail` is for what is sent while someone waits (a sign-in link).
"""

from __future__ import annotations

import asyncio
import ssl

from app.i18n import Lang
from app.mail.compose import Rendered, build_message, compose, valid_address
from app.mail.smtp import (
    MailError,
    MailNotConfigured,
    SmtpTarget,
    deliver,
    parse_smtp_url,
    smtp_url_problem,
)
from app.settings import Settings


def smtp_target(settings: Settings) -> SmtpTarget:
    """The server of `TTX_SMTP_URL` (MailNotConfigured when it is unset)."""
    if not settings.smtp_url:
        raise MailNotConfigured()
    return parse_smtp_url(settings.smtp_url.get_secret_value())


async def send_mail(
    settings: Settings,
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    lang: Lang | None = None,
    headers: dict[str, str] | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> str:
    """Send one message now (plain text, with `html` as its alternative); return its
    Message-ID. Raises MailError when the server does not take it."""
    target = smtp_target(settings)
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(valid_address(a) for a in recipients):
        raise MailError("not a valid recipient address", transient=False)
    message = build_message(
        sender=settings.mail_from,
        to=recipients,
        subject=subject,
        text=text,
        html=html,
        lang=lang,
        headers=headers,
    )
    await deliver(target, message, timeout=settings.smtp_timeout_seconds, tls_context=tls_context)
    return str(message["Message-ID"])


def send_mail_sync(
    settings: Settings,
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
    **options: object,
) -> str:
    """`send_mail` for synchronous code (a `def` route runs in a worker thread)."""
    return asyncio.run(send_mail(settings, to, subject, text, html, **options))  # type: ignore[arg-type]


def public_link(settings: Settings, path: str) -> str:
    """An absolute link for a message: `TTX_PUBLIC_URL` followed by `path` (`/…`)."""
    return settings.public_url.rstrip("/") + "/" + path.lstrip("/")


__all__ = [
    "MailError",
    "MailNotConfigured",
    "Rendered",
    "SmtpTarget",
    "build_message",
    "compose",
    "deliver",
    "parse_smtp_url",
    "public_link",
    "send_mail",
    "send_mail_sync",
    "smtp_target",
    "smtp_url_problem",
    "valid_address",
]
