"""Engine, session and the column types shared by the models."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from pydantic_core import to_json
from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine

from app.settings import Settings, get_settings

log = logging.getLogger("ttx.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps on every backend (SQLite stores no zone: we store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A `StrEnum` stored as its text (app.models.states): written from a member or its text
    (an unknown text is a ValueError before any SQL), read back as a member."""

    impl = String
    cache_ok = True

    def __init__(self, states: type[E], length: int = 10) -> None:
        super().__init__(length)
        self.states = states

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.states(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.states(value)


JSONType = JSON().with_variant(JSONB(), "postgresql")


SQLITE_BUSY_SECONDS = 30


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url.get_secret_value()
    if url.startswith("sqlite"):
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
        pool: dict[str, Any] = {}  # in memory: one connection per thread, no pool to size
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            connect_args["factory"] = _writer_connection(_write_lock(os.path.abspath(path)))
            pool = {"pool_size": settings.db_sessions, "max_overflow": 10}
        engine = create_engine(url, connect_args=connect_args, json_serializer=json_text, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # More connections than request sessions (app.deps.SessionGate): the dispatcher, the
    # sweeper and short reads outside a request's session never wait behind the requests.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_sessions,
        max_overflow=20,
        json_serializer=json_text,
    )


def json_text(value: Any) -> str:
    """JSON columns' serialiser: pydantic-core's, three times as fast as `json.dumps` on a
    submission's ranking (its reasons in two languages); UTF-8 kept as is, not escaped."""
    return to_json(value).decode()


# SQLite lets one transaction write at a time; the others wait in its busy handler, which
# sleeps in steps of up to 100 ms and wakes late (p99 of concurrent submissions: 1.5 s). Writers
# of this process queue on a lock instead and start the moment the previous one ends; other
# processes (a separate `ttx worker`) still meet the busy handler.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "CREATE", "DROP", "ALTER")
_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(path: str) -> threading.Lock:
    with _write_locks_guard:
        return _write_locks.setdefault(path, threading.Lock())


def _writer_connection(lock: threading.Lock) -> type[sqlite3.Connection]:
    """A sqlite3 connection class that takes `lock` before its transaction's first write and
    gives it back when the transaction ends (commit, rollback or close)."""

    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
            self.connection.before(sql)  # type: ignore[attr-defined]
            return super().execute(sql, parameters)

        def executemany(self, sql: str, parameters: Any, /) -> Cursor:
            self.connection.before(sql)  # type: ignore[attr-defined]
            return super().executemany(sql, parameters)

    class Connection(sqlite3.Connection):
        writing = False

        def cursor(self, factory: Any = None) -> Any:
            return super().cursor(factory or Cursor)

        def before(self, sql: str) -> None:
            if not self.writing and sql.lstrip()[:6].upper() in _WRITES:
                if not lock.acquire(timeout=SQLITE_BUSY_SECONDS):
                    raise sqlite3.OperationalError("database is locked by a writer of this process")
                self.writing = True

        def done(self) -> None:
            if self.writing:
                self.writing = False
                lock.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.done()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.done()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.done()

    return Connection


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def insert_rows(session: Session, model: type[SQLModel], *rows: dict[str, Any]) -> None:
    """INSERT `rows` into `model`'s table in the session's transaction, through Core.

    For the hot write paths (a submission writes six rows, a delivery batch dozens): no
    instances, no unit-of-work bookkeeping, no flush of other pending objects first, so insert
    parents before children. Every column without a default must be given, with the same keys
    in every row; Python-side defaults still apply."""
    table = model.__table__  # type: ignore[attr-defined]
    session.execute(table.insert(), rows[0] if len(rows) == 1 else list(rows))


def bulk_insert(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT many rows at once in the session's transaction, under the driver.

    For a directory import's hundreds of thousands of rows: `COPY … FROM STDIN` on PostgreSQL,
    the sqlite3 cursor's `executemany` on SQLite, with each value converted by its column's
    own bind processor (so what is stored is what `insert_rows` stores) and the columns'
    Python-side defaults applied. SQLAlchemy's per-row parameter handling is what it goes
    round: with it, PostgreSQL took 2,377 centres/s for the bare rows of a 50,000-centre file;
    the whole import (reading, validation, placing) now runs at 3,551/s (bench_import).
    tests/test_db_bulk.py checks that both ways store the same values.
    Every row has the keys of the first; an error is raised as SQLAlchemy's (IntegrityError…)
    and fails the transaction as usual."""
    if not rows:
        return
    session.flush()
    connection = session.connection()
    dialect = connection.dialect
    table = model.__table__  # type: ignore[attr-defined]
    given = list(rows[0])
    defaults = [c for c in table.columns if c.name not in rows[0] and _python_default(c)]
    names = given + [c.name for c in defaults]
    processors = [table.c[n].type.bind_processor(dialect) for n in names]

    def values(row: dict[str, Any]) -> list[Any]:
        out = [row[n] for n in given] + [_default_value(c) for c in defaults]
        return [v if p is None or v is None else p(v) for v, p in zip(out, processors, strict=True)]

    driver: Any = connection.connection.driver_connection
    quote = dialect.identifier_preparer.quote
    into = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, names))})"
    driver_error = dialect.loaded_dbapi.Error
    try:
        if dialect.name == "postgresql":
            with driver.cursor() as cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
        else:
            marks = ", ".join("?" for _ in names)  # names come from the table, not the input
            statement = f"INSERT INTO {into} VALUES ({marks})"  # noqa: S608  # nosec B608
            cursor = driver.cursor()
            try:
                cursor.executemany(statement, [values(row) for row in rows])
            finally:
                cursor.close()
    except driver_error as exc:
        lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, None)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            None, None, exc, driver_error, connection_invalidated=lost, dialect=dialect
        ) from exc


def _python_default(column: Any) -> bool:
    default = column.default
    return default is not None and bool(default.is_scalar or default.is_callable)


def _default_value(column: Any) -> Any:
    default = column.default
    return default.arg(None) if default.is_callable else default.arg


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """Send the block's statements to PostgreSQL together (psycopg's pipeline mode): one
    round trip for a run of INSERTs instead of one each. Only for statements whose results
    are not read inside the block. An error surfaces at the latest when the block ends, as
    SQLAlchemy's error for it (IntegrityError…), and fails the transaction as usual.
    Elsewhere (SQLite), statements run one by one."""
    connection = session.connection()
    pipeline = getattr(connection.connection.driver_connection, "pipeline", None)
    if connection.dialect.name != "postgresql" or pipeline is None:
        yield
        return
    dialect = connection.dialect
    driver_error = dialect.loaded_dbapi.Error
    try:
        with pipeline():
            yield
    except driver_error as exc:  # raised by the pipeline itself, outside SQLAlchemy's wrapping
        lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, None)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            None, None, exc, driver_error, connection_invalidated=lost, dialect=dialect
        ) from exc


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings())


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction outside a request (CLI, dispatcher, sweeper): committed when the block
    ends, rolled back on error. Requests use `app.deps.get_session`, the same shape."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            rollback(session)
            raise
        else:
            session.commit()


def on_rollback(session: Session, action: Callable[[], object]) -> None:
    """Run `action` once the session's transaction is rolled back (by `rollback`): to undo
    what was done outside it for it, such as an idempotency claim made in a transaction of
    its own. On SQLite it runs after the write lock was given back."""
    session.info.setdefault("on_rollback", []).append(action)


def rollback(session: Session) -> None:
    """Roll back, then run the session's `on_rollback` actions (a failing one is logged, so
    that the error that caused the rollback is the one reported)."""
    try:
        session.rollback()
    finally:
        for action in session.info.pop("on_rollback", ()):
            try:
                action()
            except Exception:
                log.exception("an action after a rollback failed")
