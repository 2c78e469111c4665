"""Messages from templates: a subject, a plain-text body and an HTML alternative, in French
or English, rendered from `app/mail/templates/<name>.txt` and `<name>.html` with the `mail`
catalogue (`app/i18n/locales/*/LC_MESSAGES/mail.po`).

A template receives `_` (the catalogue in the message's language), `lang`, and the context;
the subject is the catalogue entry `mail.<name>.subject`. Templates get only what the message
shows: compose from data that holds no more personal information than the message needs."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import cache, partial
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.i18n import Lang, gettext

TEMPLATES: Final = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready to address: its subject and both bodies."""

    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    # HTML parts are escaped; plain-text parts are text, where escaping would show `&amp;`.
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"], default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def compose(name: str, lang: Lang, context: dict[str, Any] | None = None) -> Rendered:
    """Render the message `name` (`signin`, `referral_notice`, …) in `lang`."""
    # `en(…)`: the English twin, for the messages written in both languages (a centre's).
    page = {"lang": lang, "_": partial(_text, lang), "en": partial(_text, "en"), **(context or {})}
    subject = _one_line(gettext(f"mail.{name}.subject", lang, **(context or {})))
    text = _environment().get_template(f"{name}.txt").render(page)
    html = _environment().get_template(f"{name}.html").render(page | {"subject": subject})
    return Rendered(subject, _tidy(text), html)


def build_message(
    *,
    sender: str,
    to: str | list[str],
    subject: str,
    text: str,
    html: str | None = None,
    lang: Lang | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A MIME message: `text/plain`, with `html` as its `multipart/alternative` twin when
    given. `Message-ID` and `Date` are set; `headers` are added (no line breaks allowed)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join([to] if isinstance(to, str) else to)
    message["Subject"] = _one_line(subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    for name, value in (headers or {}).items():
        message[name] = _one_line(value)
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    if lang:  # after the content: setting it clears every Content-* header
        message["Content-Language"] = lang
    return message


def valid_address(value: str) -> bool:
    """Whether `value` is one plain address (`name@example.org`) that a message may be sent
    to: no display name, no comment, no line break, an at-sign with a dotted domain."""
    if not value or len(value) > 254 or not value.isprintable() or value != value.strip():
        return False
    if any(c in value for c in ' <>(),;:"[]\\'):
        return False
    local, at, domain = value.rpartition("@")
    if not at or not local or len(local) > 64 or "." not in domain:
        return False
    try:
        ascii_domain = domain.encode("idna").decode() if not domain.isascii() else domain
    except UnicodeError:
        return False
    if not _DOMAIN.fullmatch(ascii_domain):
        return False
    try:
        Address(addr_spec=value)
    except (ValueError, IndexError, UnicodeError):
        return False
    return True


_DOMAIN = re.compile(
    r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+"
)


def _text(lang: Lang, key: str, /, **params: object) -> str:
    return gettext(key, lang, **params)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _tidy(text: str) -> str:
    # Templates leave runs of blank lines where blocks are skipped; a message keeps one.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
