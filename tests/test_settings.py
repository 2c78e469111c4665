from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.helpers.factories import STRONG_KEY


def test_production_refuses_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="TTX_SECRET_KEY"):
        Settings(env="production")


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (",", "is empty"),
        ("a", "shorter than 32"),
        ("CHANGE-ME", "shorter than 32"),
        ("Change-Me-" + "Qx7pL2vR9sT4wZ8yN3bK6mJ1", "placeholder"),
        ("ThisIsMyProductionSecretValue2026!!", "placeholder"),
        ("ab" * 20, "distinct"),
        (STRONG_KEY + ", ", "empty key 2"),
        (STRONG_KEY + ",short", "key 2 is shorter"),
    ],
)
def test_production_refuses_weak_secrets(secret: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Settings(env="production", secret_key=secret)


def test_development_keeps_the_placeholder() -> None:
    assert Settings(env="development").secret_key.get_secret_value() == "change-me"


def test_production_accepts_real_secret() -> None:
    assert Settings(env="production", secret_key=STRONG_KEY).env == "production"


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTX_DATABASE_URL", "sqlite:///./elsewhere.db")
    assert Settings().database_url.get_secret_value() == "sqlite:///./elsewhere.db"


def test_telemetry_is_off_unless_asked_for() -> None:
    from app.main import create_app

    off = create_app(Settings(database_url="sqlite://"), embedded_dispatcher=False)
    assert not any(off._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
    on = create_app(Settings(database_url="sqlite://", telemetry=True), embedded_dispatcher=False)
    assert all(on._telemetry[signal] for signal in ("tracing", "metrics", "logs"))


SECRETS = {
    "secret_key": STRONG_KEY,
    "database_url": "postgresql+psycopg://ttx:db-Pw-4417@127.0.0.1:5432/ttx",
    "redis_url": "redis://:redis-Pw-4417@127.0.0.1:6379/0",
    "smtp_url": "smtps://mailer:smtp-Pw-4417@mail.example.org",
    "metrics_token": "metrics-Tk-4417-abcdef",
}


def test_secrets_stay_out_of_reprs_and_dumps() -> None:
    settings = Settings(**SECRETS)  # type: ignore[arg-type]
    shown = repr(settings) + str(settings) + str(settings.model_dump()) + settings.model_dump_json()
    for name, value in SECRETS.items():
        assert value not in shown, name
        assert getattr(settings, name).get_secret_value() == value


@pytest.mark.parametrize(
    "bad",
    [
        {"env": "production", "secret_key": "short-but-Secret-4417"},
        {"smtp_url": "smtp://mailer:smtp-Pw-4417@mail.example.org/a-path"},
        {"metrics_token": "Tk-4417"},
    ],
)
def test_a_refused_secret_is_not_echoed(bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**bad)  # type: ignore[arg-type]
    words = str(refused.value)  # what a failed start prints
    assert "4417" not in words
    assert "TTX_" in words or "metrics_token" in words


def test_a_secret_from_the_environment_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTX_SMTP_URL", SECRETS["smtp_url"])
    settings = Settings()
    assert settings.mail_enabled
    assert SECRETS["smtp_url"] not in repr(settings)
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value() == SECRETS["smtp_url"]


def test_an_empty_smtp_url_turns_mail_off() -> None:
    assert Settings(smtp_url="").smtp_url is None  # type: ignore[arg-type]
