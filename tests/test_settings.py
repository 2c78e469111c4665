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
