"""Encryption of personal fields at rest, with key rotation.

`TTX_SECRET_KEY` holds one or more secrets separated by commas, newest first. New data is
encrypted with the newest; data encrypted with an older one still decrypts, and
`rotate()` re-encrypts it with the newest (`ttx rotate-keys`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


def _secrets(secret_key: SecretStr) -> list[str]:
    # The one place the key ring is read out of its SecretStr.
    secrets = [s.strip() for s in secret_key.get_secret_value().split(",") if s.strip()]
    if not secrets:
        raise ValueError("TTX_SECRET_KEY is empty")
    return secrets


def newest_secret(secret_key: SecretStr) -> bytes:
    """The newest secret of the ring, as bytes: the key of digests that must stay stable."""
    return _secrets(secret_key)[0].encode()


def derived_keys(secret_key: SecretStr, purpose: bytes) -> list[bytes]:
    """One HMAC key per secret of the ring, newest first, each for one `purpose` only
    (signed links, CSRF tokens): a link signed with an older secret still verifies."""
    return [hmac.new(s.encode(), purpose, hashlib.sha256).digest() for s in _secrets(secret_key)]


@lru_cache(maxsize=8)
def _cipher(secret_key: SecretStr) -> MultiFernet:
    return MultiFernet([Fernet(_derive(s)) for s in _secrets(secret_key)])


def _derive(secret: str) -> bytes:
    # Any string is accepted as a secret; Fernet wants 32 url-safe base64 bytes.
    return base64.urlsafe_b64encode(hashlib.sha256(b"ttx-fields:" + secret.encode()).digest())


def encrypt_json(
    secret_key: SecretStr, value: Any, default: Callable[[Any], Any] | None = None
) -> str:
    """Encrypt a JSON-serialisable value (`default` as for json.dumps); the token is ASCII."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default).encode()
    return _cipher(secret_key).encrypt(data).decode()


def decrypt_json(secret_key: SecretStr, token: str) -> Any:
    """Decrypt a token made by `encrypt_json` with any of the configured keys."""
    try:
        return json.loads(_cipher(secret_key).decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError("personal data cannot be decrypted with the configured keys") from exc


def rotate(secret_key: SecretStr, token: str) -> str:
    """Re-encrypt a token with the newest key."""
    return _cipher(secret_key).rotate(token.encode()).decode()
