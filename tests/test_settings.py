from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_production_refuses_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="TTX_SECRET_KEY"):
        Settings(env="production")


def test_production_accepts_real_secret() -> None:
    assert Settings(env="production", secret_key="s3cr3t-" + "x" * 30).env == "production"


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTX_DATABASE_URL", "sqlite:///./elsewhere.db")
    assert Settings().database_url == "sqlite:///./elsewhere.db"


def test_telemetry_is_off_unless_asked_for() -> None:
    from app.main import create_app

    off = create_app(Settings(database_url="sqlite://"), embedded_dispatcher=False)
    assert not any(off._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
    on = create_app(Settings(database_url="sqlite://", telemetry=True), embedded_dispatcher=False)
    assert all(on._telemetry[signal] for signal in ("tracing", "metrics", "logs"))
