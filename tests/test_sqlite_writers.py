"""SQLite: writers of one process queue on a lock (taken at the first write of a transaction,
given back when it ends) instead of sleeping in SQLite's busy handler."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

import app.db
from app.db import make_engine
from app.settings import Settings
from tests.helpers.waiting import blocked_in, wait_until


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def insert_in_thread(engine: Engine, n: int, log: list[str]) -> threading.Thread:
    def run() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            log.append(f"wrote {n}")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_a_second_writer_waits_for_the_first_transaction_to_end(
    sqlite_engine: Engine, ending: str
) -> None:
    log: list[str] = []
    lock = app.db._write_lock(str(sqlite_engine.url.database))
    first = sqlite_engine.connect()
    first.begin()
    first.execute(text("SELECT count(*) FROM t"))
    assert not lock.locked()  # reading takes nothing
    first.execute(text("INSERT INTO t VALUES (1)"))
    assert lock.locked()
    second = insert_in_thread(sqlite_engine, 2, log)
    # The second writer reaches the lock and waits there: queued, not failed.
    assert wait_until(lambda: blocked_in(second, "before", "app/db.py"), 10)
    assert log == [] and second.is_alive()
    # Readers are not held up by a writer.
    with sqlite_engine.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    log.append(ending)
    getattr(first, ending)()
    second.join(5)
    assert log == [ending, "wrote 2"]
    assert not lock.locked()
    with sqlite_engine.connect() as conn:
        rows = sorted(conn.execute(text("SELECT n FROM t")).scalars())
    assert rows == ([1, 2] if ending == "commit" else [2])


def test_many_concurrent_writers_all_succeed(sqlite_engine: Engine) -> None:
    # A regression check: SQLite's busy wait alone passes it too, only more slowly.
    log: list[str] = []
    threads = [insert_in_thread(sqlite_engine, n, log) for n in range(40)]
    for thread in threads:
        thread.join(30)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 40


def test_a_writer_that_waits_too_long_gets_a_clear_error(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two write transactions open in one thread can never both proceed: the second fails
    # after the busy delay (shortened here) rather than waiting for ever.
    monkeypatch.setattr(app.db, "SQLITE_BUSY_SECONDS", 0.2)
    with sqlite_engine.connect() as first:
        first.begin()
        first.execute(text("INSERT INTO t VALUES (1)"))
        with (
            sqlite_engine.connect() as second,
            pytest.raises(OperationalError, match="locked by a writer of this process"),
        ):
            second.execute(text("INSERT INTO t VALUES (2)"))
        first.commit()
    with sqlite_engine.begin() as conn:  # the lock was given back
        conn.execute(text("INSERT INTO t VALUES (3)"))
