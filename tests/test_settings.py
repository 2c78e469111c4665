from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.factories import STRONG_KEY


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
    assert Settings(env="development").secret_key == "change-me"


def test_production_accepts_real_secret() -> None:
    assert Settings(env="production", secret_key=STRONG_KEY).env == "production"


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTX_DATABASE_URL", "sqlite:///./elsewhere.db")
    assert Settings().database_url == "sqlite:///./elsewhere.db"


def test_telemetry_is_off_unless_asked_for() -> None:
    from app.main import create_app

    off = create_app(Settings(database_url="sqlite://"), embedded_dispatcher=False)
    assert not any(off._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
    on = create_app(Settings(database_url="sqlite://", telemetry=True), embedded_dispatcher=False)
    assert all(on._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
