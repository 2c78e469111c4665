"""E-mail as a delivery channel (DESIGN §13): an event whose `channel` is `email` holds one
message's data (template, language, recipient, context), sealed at rest; the worker renders
it when it sends it and hands it to the SMTP server of `TTX_SMTP_URL`. The SMTP server is one
origin, like a webhook receiver: the same slots, attempts, retries and replay."""

from __future__ import annotations

import json
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.dispatcher.delivery import AttemptResult, Job
from app.dispatcher.outcomes import KINDS, Kind
from app.i18n import Lang
from app.mail import MailError, build_message, compose, parse_smtp_url
from app.mail.smtp import SmtpTarget, deliver
from app.models.states import AttemptOutcome
from app.settings import Settings

# The stand-in endpoint id of the SMTP server, for the per-endpoint slots (`fairness.Slots`).
_NAMESPACE = uuid.UUID("5e1f0c3a-6d55-4d3c-9a58-1d6f8a0b7e21")


def mail_data(*, to: str, template: str, lang: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The `data` of an e-mail event: `enqueue(…, channel="email", data=mail_data(…))`. The
    context holds only what the message shows."""
    return {"to": to, "template": template, "lang": lang, "context": dict(context)}


@dataclass(frozen=True, slots=True)
class MailRoute:
    """Where this worker sends e-mail, or why it cannot (`refused`)."""

    origin: str
    target: SmtpTarget | None = None
    sender: str = ""
    timeout: float = 10.0
    tls_context: ssl.SSLContext | None = field(default=None, repr=False)
    refused: str | None = None

    @property
    def endpoint_id(self) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, self.origin)

    @classmethod
    def from_settings(
        cls, settings: Settings, tls_context: ssl.SSLContext | None = None
    ) -> MailRoute:
        if not settings.smtp_url:
            return cls("smtp://unset", refused="e-mail is off on this worker (TTX_SMTP_URL unset)")
        target = parse_smtp_url(settings.smtp_url.get_secret_value())
        return cls(
            target.origin, target, settings.mail_from, settings.smtp_timeout_seconds, tls_context
        )


def message_of(body: bytes, sender: str) -> tuple[str, Any]:
    """The recipient and the MIME message of a stored e-mail event body."""
    data = json.loads(body)["data"]
    lang: Lang = "en" if data.get("lang") == "en" else "fr"
    rendered = compose(str(data["template"]), lang, dict(data.get("context") or {}))
    message = build_message(
        sender=sender,
        to=str(data["to"]),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        lang=lang,
    )
    return str(data["to"]), message


async def attempt_mail(route: MailRoute, job: Job, *, now: Callable[[], datetime]) -> AttemptResult:
    """Render and send one e-mail event once; never raises for the server's sake."""
    started_at, clock = now(), time.perf_counter()

    def result(
        outcome: AttemptOutcome, kind: Kind, error: str | None = None, **extra: Any
    ) -> AttemptResult:
        duration_ms = int((time.perf_counter() - clock) * 1000)
        done = AttemptResult(job, started_at, duration_ms, AttemptOutcome.FAILURE, error=error)
        return replace(done, outcome=outcome, kind=kind, **extra)

    if job.refused or route.target is None:
        return result(AttemptOutcome.FAILURE, "bad_url", f"refused: {job.refused or route.refused}")
    _, message = message_of(job.body, route.sender)
    try:
        await deliver(route.target, message, timeout=route.timeout, tls_context=route.tls_context)
    except MailError as exc:
        kind: Kind = next((k for k in KINDS if k == exc.kind), "other")
        return result(
            AttemptOutcome.FAILURE,
            kind,
            str(exc)[:480],
            status_code=exc.code,
            permanent=not exc.transient,
        )
    return result(AttemptOutcome.SUCCESS, "success", status_code=250)
