"""Standard Webhooks v1 symmetric signatures (DESIGN §8). Pure functions, no I/O."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105  # a format prefix, not a secret
# Secrets printed in documentation (ours, and the Standard Webhooks specification's example):
# anyone can sign with them, so no inbox may use one.
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105  # nosec B105
PUBLISHED_SECRETS = frozenset({EXAMPLE_SECRET})
TOLERANCE_SECONDS = 5 * 60


class SignatureError(ValueError):
    """The headers are missing, too old or too new, or no signature matches."""


def generate_secret(nbytes: int = 24) -> str:
    """A new endpoint secret in the `whsec_<base64>` form that every library accepts."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key behind a `whsec_` secret; raises `ValueError` if it is not valid base64."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is `whsec_` followed by base64") from exc
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`."""
    to_sign = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, webhook_id: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers plus the content type, signed now unless told."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, webhook_id, ts, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Check a delivery as a receiver would; return its `webhook-id` or raise `SignatureError`."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts = int(stamp)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not Unix seconds") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise SignatureError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, ts, body)
    # Several signatures may be sent while a secret is rotated: any one may match.
    if any(hmac.compare_digest(expected, candidate) for candidate in signatures.split()):
        return msg_id
    raise SignatureError("no signature matches")
