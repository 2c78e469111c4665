"""The link of a job seeker's messages to the status of their request (DESIGN §13): the
consultation's id and an HMAC of it (a key from `TTX_SECRET_KEY`), not stored, unguessable.
It works until the request is anonymised (retention, erasure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from typing import Final

from sqlmodel import Session

from app.crypto import derived_keys
from app.errors import Gone, NotFound
from app.i18n import Lang
from app.models import Consultation
from app.settings import Settings

_FORM: Final = re.compile(r"[0-9a-f]{32}\.[A-Za-z0-9_-]{43}")
PATHS: Final[dict[Lang, str]] = {"fr": "/demande/suivi/{token}", "en": "/en/request/status/{token}"}


def _keys(settings: Settings) -> list[bytes]:
    return derived_keys(settings.secret_key, b"ttx-status-links-v1")


def _mac(key: bytes, consultation_id: uuid.UUID) -> str:
    digest = hmac.new(key, f"status|{consultation_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_for(settings: Settings, consultation_id: uuid.UUID) -> str:
    return f"{consultation_id.hex}.{_mac(_keys(settings)[0], consultation_id)}"


def path(token: str, lang: Lang) -> str:
    return PATHS[lang].format(token=token)


def consultation_of(session: Session, settings: Settings, token: str) -> Consultation:
    """The request a status token names (404 forged or unknown, 410 anonymised)."""
    if not isinstance(token, str) or not _FORM.fullmatch(token):
        raise NotFound("status_link_unknown")
    head, _, mac = token.partition(".")
    consultation_id = uuid.UUID(hex=head)
    if not any(hmac.compare_digest(mac, _mac(k, consultation_id)) for k in _keys(settings)):
        raise NotFound("status_link_unknown")
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound("status_link_unknown")
    if consultation.anonymized_at is not None:
        raise Gone("status_link_gone")
    return consultation
