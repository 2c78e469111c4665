"""Request dependencies: the session that commits once, the directory index, the caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from fastapi import Depends, Header, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.db import session_scope
from app.errors import Forbidden, Unavailable
from app.services.directory_index import Directory, DirectoryIndex
from app.services.keys import Principal, authenticate
from app.settings import Settings

T = TypeVar("T")


class SessionGate:
    """At most `size` requests hold a database session at once; the others wait for a slot on
    the event loop, holding no worker thread and no connection.

    FastAPI runs sync dependencies, endpoints and response validation on a pool of 40 worker
    threads, one call at a time, while a request's session keeps its connection (and, on
    SQLite, the process's write lock) from its first statement to its commit. Unbounded,
    requests waiting for a connection or for the write lock could hold every worker thread
    while the requests holding them wait for a thread: nothing would move until the 30 s
    timeouts. With fewer sessions than connections and threads, and the commit run on a
    thread of its own, a request holding a connection always finds a thread."""

    def __init__(self, size: int, wait_seconds: float = 30.0) -> None:
        self.size = size
        self.wait_seconds = wait_seconds  # then 503: a bound on how long requests queue
        # One semaphore per event loop (tests run several), and threads for the commits.
        self._per_loop: WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[anyio.Semaphore, anyio.CapacityLimiter]
        ] = WeakKeyDictionary()

    def slots(self) -> tuple[anyio.Semaphore, anyio.CapacityLimiter]:
        """The slots to wait on, and the threads that end sessions (as many as slots)."""
        loop = asyncio.get_running_loop()
        found = self._per_loop.get(loop)
        if found is None:
            found = (anyio.Semaphore(self.size), anyio.CapacityLimiter(self.size))
            self._per_loop[loop] = found
        return found


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: commit when the route returns, roll back on any error.

    Opened once a slot of the app's SessionGate is free (503 after `wait_seconds`); committed
    (or rolled back) by `session_scope` on a thread that waits for no other work. A route
    takes one session: a second `Depends(get_session)` would wait for a second slot."""
    state = request.app.state
    gate: SessionGate = state.session_gate
    slots, enders = gate.slots()
    try:
        slots.acquire_nowait()
    except anyio.WouldBlock:
        try:
            with anyio.fail_after(gate.wait_seconds):
                await slots.acquire()
        except TimeoutError:
            raise Unavailable("database_busy", retry_after=1) from None
    try:
        scope = session_scope(state.engine)
        session = scope.__enter__()  # no I/O: the connection is taken at the first statement
        try:
            yield session
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(
                    scope.__exit__, type(exc), exc, exc.__traceback__, limiter=enders
                )
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(scope.__exit__, None, None, None, limiter=enders)
    finally:
        slots.release()
    if session.info.get("directory_changed"):
        state.directory.invalidate()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_directory(request: Request) -> Directory:
    """The directory snapshot: at once when fresh, else refreshed in a worker thread (the
    refresh reads the database), so the hot path never leaves the event loop."""
    index: DirectoryIndex = request.app.state.directory
    snapshot = index.peek()
    return snapshot if snapshot is not None else await run_in_threadpool(index.get)


DirectoryDep = Annotated[Directory, Depends(get_directory)]


# Each dependency that checks a key: the roles it admits, and whether a key is optional. The
# OpenAPI document's security requirements are read from here (app.apidoc.security).
ROLE_CHECKS: dict[Callable[..., object], tuple[tuple[str, ...], bool]] = {}


def roles_of(*roles: str, optional: bool = False) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Declare which roles a key-checking dependency admits (for the document)."""

    def mark(check: Callable[..., T]) -> Callable[..., T]:
        ROLE_CHECKS[check] = (roles, optional)
        return check

    return mark


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks its role (401, then 403)."""

    def check(
        request: Request,
        session: SessionDep,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        principal = authenticate(session, authorization)
        if principal.role not in roles:
            raise Forbidden("role_required", roles=" | ".join(roles))
        request.app.state.limiter.check_key(principal.role, str(principal.key_id))
        return principal

    return roles_of(*roles)(check)


AdminDep = Annotated[Principal, Depends(require("admin"))]
CentreDep = Annotated[Principal, Depends(require("centre"))]
PartnerOrAdminDep = Annotated[Principal, Depends(require("partner", "admin"))]
