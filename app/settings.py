"""Typed settings, read once from `TTX_*` environment variables."""

from __future__ import annotations

import ipaddress
from email.utils import parseaddr
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER = "change-me"
# Words that mark a value someone meant to replace, in any case and spelling.
_PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "placeholder", "secret", "password",
                      "example", "xxxx", "todo", "replace", "default", "1234")  # fmt: skip
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 12


def weak_secret(value: str) -> str | None:
    """Why a comma-separated list of keys is not fit for production, or None.

    Each key needs 32 characters or more, at least 12 distinct ones (a length and entropy
    floor: `secrets.token_urlsafe(32)` gives 43 characters of some 30 distinct), and none of
    the words people put in a value they meant to replace."""
    keys = [k.strip() for k in value.split(",")]
    if not any(keys):
        return "is empty"
    for n, key in enumerate(keys, start=1):
        where = f"key {n}" if len(keys) > 1 else "the key"
        if not key:
            return f"has an empty {where}"
        if len(key) < SECRET_MIN_LENGTH:
            return f"{where} is shorter than {SECRET_MIN_LENGTH} characters"
        if len(set(key)) < SECRET_MIN_DISTINCT:
            return f"{where} has fewer than {SECRET_MIN_DISTINCT} distinct characters"
        folded = key.lower()
        if any(word in folded for word in _PLACEHOLDER_WORDS):
            return f"{where} looks like a placeholder"
    return None


class Settings(BaseSettings):
    """Every knob of the service. Tests build their own instance instead of the cached one."""

    # A refused value is not echoed in the error: it may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="TTX_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    env: Literal["development", "production"] = "development"
    # A server's URL may carry its password: every such setting is a `SecretStr`, shown as
    # `**********` in a repr or a log line, and read with `.get_secret_value()` where used.
    database_url: SecretStr = SecretStr("sqlite:///./ttx.db")
    # Encrypts personal fields at rest. Comma-separated, newest first, so keys can be rotated.
    secret_key: SecretStr = SecretStr(PLACEHOLDER)
    embedded_dispatcher: bool = True
    directory_refresh_seconds: float = Field(default=5.0, ge=0.1)
    # Requests holding a database session at once (app.deps.SessionGate); the others wait their
    # turn. Kept below FastAPI's 40 worker threads; the connection pool is sized above it.
    db_sessions: int = Field(default=10, ge=1, le=30)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    max_import_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    acceptance_delay_hours: float = Field(default=48.0, gt=0)
    max_referrals_per_consultation: int = Field(default=3, ge=1, le=10)
    # Attempts in flight per receiver origin (scheme, host, port) in each dispatcher, and per
    # endpoint: a small inbox server (listen backlog 5) gets its requests promptly, and one
    # slow or dead receiver only ever holds its own slots.
    delivery_per_origin: int = Field(default=4, ge=1, le=64)
    delivery_per_endpoint: int | None = Field(default=None, ge=1, le=64)
    # GET /metrics: open in development; with a token, only with `Authorization: Bearer …`;
    # in production off (404) until a token is set.
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    # `ttx worker` serves its own metrics on this port (127.0.0.1 unless told), when set.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    # Logs: JSON lines in production, readable text in development, unless told.
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    retention_days: int = Field(default=365, ge=1)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    redis_url: SecretStr | None = None
    rate_limit_public: str = "20/minute"
    rate_limit_partner: str = "600/minute"
    # A centre's own tools poll its inbox: generous for a loop once a second, not for a flood.
    rate_limit_centre: str = "120/minute"
    rate_limit_admin: str = "1200/minute"
    geocoder: Literal["off", "nominatim"] = "off"
    # FastAPI's native OpenTelemetry (traces, metrics and logs to the globally configured
    # providers). Off unless asked for: spans could carry what people submit.
    telemetry: bool = False
    geocoder_user_agent: str = "trouve-ton-x"
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (CIDRs or addresses,
    # comma-separated). None by default: the client address is the TCP peer's.
    trusted_proxies: str = ""
    # Origins allowed to call the API from a browser (CORS), comma-separated. None by default.
    cors_origins: str = ""
    # /docs and /openapi.json: served in development; in production only when set to true.
    public_docs: bool | None = None
    # Bounds on each request head, enforced by the server before the app sees it (431).
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    max_headers: int = Field(default=100, ge=10, le=1000)
    # E-mail (app/mail, docs/email.md): off while TTX_SMTP_URL is unset. `smtp://host:port`,
    # `smtp+starttls://user:pass@host` or `smtps://user:pass@host`.
    smtp_url: SecretStr | None = None
    mail_from: str = "Trouve ton X <no-reply@trouvetonx.example.org>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The base of every link a message carries (the site as people reach it).
    public_url: str = "http://127.0.0.1:8000"

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(
                        f"TTX_TRUSTED_PROXIES: {part!r} is not an address or a CIDR network"
                    ) from None
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_parses(cls, value: SecretStr | None) -> SecretStr | None:
        from app.mail.smtp import smtp_url_problem

        if value is not None and value.get_secret_value():
            problem = smtp_url_problem(value.get_secret_value())
            if problem:
                raise ValueError(f"TTX_SMTP_URL: {problem}")
            return value
        return None

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_site(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError("TTX_PUBLIC_URL must be http(s)://host[:port][/path]")
        return value.rstrip("/")

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_an_address(cls, value: str) -> str:
        from app.mail.compose import valid_address

        if not valid_address(parseaddr(value)[1]) or "\n" in value or "\r" in value:
            raise ValueError("TTX_MAIL_FROM must be an address, optionally `Name <address>`")
        return value

    @property
    def mail_enabled(self) -> bool:
        return self.smtp_url is not None

    @property
    def logs_as(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.env == "production" else "text"

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Settings:
        if self.env == "production":
            problem = weak_secret(self.secret_key.get_secret_value())
            if problem:
                raise ValueError(f"TTX_SECRET_KEY {problem} (TTX_ENV=production)")
            if self.smtp_url and not self.public_url.startswith("https://"):
                raise ValueError("TTX_PUBLIC_URL must be https:// when e-mail is on in production")
        return self

    @property
    def docs_enabled(self) -> bool:
        return self.env == "development" if self.public_docs is None else self.public_docs

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.get_secret_value().startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
