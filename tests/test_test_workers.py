"""What each pytest-xdist worker gets of its own (tests/conftest.py, tests/helpers/db.py)."""

from __future__ import annotations

import pytest

from tests.helpers.db import (
    redis_url_for_worker,
    throwaway_database_name,
    worker_index,
    worker_name,
)


def test_redis_database_per_worker() -> None:
    url = "redis://127.0.0.1:6379/15"
    assert [redis_url_for_worker(url, i) for i in range(3)] == [
        "redis://127.0.0.1:6379/15",
        "redis://127.0.0.1:6379/14",
        "redis://127.0.0.1:6379/13",
    ]
    assert redis_url_for_worker("redis://127.0.0.1:6379/0", 1) == "redis://127.0.0.1:6379/15"
    assert redis_url_for_worker("redis://127.0.0.1:6379", 1) == "redis://127.0.0.1:6379/14"
    assert redis_url_for_worker("redis://127.0.0.1:6379/", 0) == "redis://127.0.0.1:6379/15"


def test_worker_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert (worker_name(), worker_index()) == ("main", 0)
    assert throwaway_database_name().startswith("ttx_test_main_")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert (worker_name(), worker_index()) == ("gw3", 3)
    first, second = throwaway_database_name(), throwaway_database_name()
    assert first.startswith("ttx_test_gw3_") and first != second
