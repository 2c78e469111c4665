"""The link of a centre's e-mail notice: an unguessable token bound to one referral and its
centre, that stops working when the referral is answered or expires (DESIGN §13).

    <referral id, 32 hex digits>.<HMAC-SHA256 of "referral-link|id|centre|expiry", base64url>

The token is signed, not stored: any replica checks it, and a changed character, another
referral's id, another centre or another expiry fails. Keys come from `TTX_SECRET_KEY`
(every key of a rotation is accepted; the newest signs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from datetime import datetime
from typing import Final

from sqlmodel import Session

from app.crypto import derived_keys
from app.db import utcnow
from app.errors import Gone, NotFound
from app.i18n import Lang
from app.models import Referral
from app.models.states import OPEN_REFERRAL
from app.settings import Settings

_FORM: Final = re.compile(r"[0-9a-f]{32}\.[A-Za-z0-9_-]{43}")
PATHS: Final[dict[Lang, str]] = {"fr": "/boite/demande/{token}", "en": "/en/inbox/request/{token}"}
OPEN: Final = OPEN_REFERRAL


def _keys(settings: Settings) -> list[bytes]:
    return derived_keys(settings.secret_key, b"ttx-referral-links-v1")


def _mac(key: bytes, referral_id: uuid.UUID, centre_id: uuid.UUID, expires_at: datetime) -> str:
    message = f"referral-link|{referral_id}|{centre_id}|{int(expires_at.timestamp())}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_for(
    settings: Settings, referral_id: uuid.UUID, centre_id: uuid.UUID, expires_at: datetime
) -> str:
    return f"{referral_id.hex}.{_mac(_keys(settings)[0], referral_id, centre_id, expires_at)}"


def path(token: str, lang: Lang) -> str:
    return PATHS[lang].format(token=token)


def referral_of(
    session: Session, settings: Settings, token: str, *, usable: bool = True
) -> Referral:
    """The referral a token names. 404 for anything forged or unknown; 410 once the referral
    is answered, withdrawn or past its deadline (unless `usable` is False: the caller wants
    the referral whatever its state, e.g. to say it was already answered)."""
    if not isinstance(token, str) or not _FORM.fullmatch(token):
        raise NotFound("referral_link_unknown")
    head, _, mac = token.partition(".")
    referral = session.get(Referral, uuid.UUID(hex=head))
    if referral is None or not any(
        hmac.compare_digest(mac, _mac(key, referral.id, referral.centre_id, referral.expires_at))
        for key in _keys(settings)
    ):
        raise NotFound("referral_link_unknown")
    if usable and referral.state not in OPEN:
        raise Gone("referral_link_closed", state=referral.state)
    if usable and referral.expires_at <= utcnow():
        raise Gone("referral_link_expired")
    return referral
