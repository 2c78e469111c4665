"""Request dependencies: the session that commits once, the directory and its load, the
caller (key, role, rate limit)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Header, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from app.db import rollback
from app.errors import Forbidden, Unavailable
from app.matching import LoadVector
from app.ratelimit import RateLimiter, client_key
from app.services.directory_index import Directory, DirectoryIndex
from app.services.keys import Principal, authenticate, authenticate_key
from app.services.matching import LoadTracker
from app.settings import Settings

T = TypeVar("T")


class SessionGate:
    """At most `size` requests hold a database session at once; the others wait for a slot on
    the event loop, holding no worker thread and no connection. Made once per process, in
    the app's lifespan (it belongs to that event loop).

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
        self._slots = anyio.Semaphore(size)
        self._enders = anyio.CapacityLimiter(size)  # threads that commit or roll back

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the slots for the block (503 `database_busy` after `wait_seconds`)."""
        try:
            self._slots.acquire_nowait()
        except anyio.WouldBlock:
            try:
                with anyio.fail_after(self.wait_seconds):
                    await self._slots.acquire()
            except TimeoutError:
                raise Unavailable("database_busy", retry_after=1) from None
        try:
            yield
        finally:
            self._slots.release()

    async def end(self, finish: Callable[[Session], None], session: Session) -> None:
        """`finish(session)` (commit or roll back) on a thread kept for that, to the end even
        when the request is cancelled meanwhile."""
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(finish, session, limiter=self._enders)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, inside the session gate: committed when the route returns,
    rolled back on any error, before the response is sent (`scope="function"` below).

    A route takes one session: a second `Depends(get_session)` would wait for a second slot.
    Once committed, what services noted in `session.info` is followed (`follow_commit`)."""
    state = request.app.state
    gate: SessionGate = state.session_gate
    async with gate.slot():
        with Session(state.engine, expire_on_commit=False) as session:
            try:
                yield session
            except BaseException:
                await gate.end(rollback, session)
                raise
            await gate.end(Session.commit, session)
    await follow_commit(state, session.info)


async def follow_commit(state: State, info: dict[str, Any]) -> None:
    """Bring what this process holds in memory up to a committed transaction: the directory
    snapshot (`centres.mark_directory_changed`) and the open referrals per centre that the
    ranking's load reads (`referrals.insert_referral`).

    The directory is refreshed in a worker thread before the response is sent, so the
    writer's next request sees its write; other requests keep reading the snapshot in place
    meanwhile. Should that refresh fail, the background refresher catches up later."""
    if info.get("directory_changed"):
        index: DirectoryIndex = state.directory
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(index.refresh)
            except Exception:  # the write is committed: its answer stands
                logging.getLogger("ttx.directory").exception("directory refresh failed")
    tracker: LoadTracker = state.load
    for centre_id in info.get("referrals_opened", ()):
        tracker.add(centre_id)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_directory(request: Request) -> Directory:
    """The directory snapshot, at once (built in a worker thread only when the app started
    without one, its database not migrated yet)."""
    index: DirectoryIndex = request.app.state.directory
    snapshot = index.peek()
    return snapshot if snapshot is not None else await run_in_threadpool(index.get)


DirectoryDep = Annotated[Directory, Depends(get_directory)]


async def get_load(request: Request, directory: DirectoryDep) -> LoadVector:
    """Open referrals per centre, as load ratios aligned with the directory's ranking index:
    the counts at once when fresh, else read in a worker thread."""
    tracker: LoadTracker = request.app.state.load
    counts = tracker.peek()
    if counts is None:
        counts = await run_in_threadpool(tracker.get)
    return tracker.vector(directory.match_index, counts)


LoadDep = Annotated[LoadVector, Depends(get_load)]


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


@roles_of("partner", "admin", optional=True)
async def optional_caller(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal | None:
    """The public needs no key; a partner may present one (a bad key is still refused)."""
    if not authorization:
        return None
    caller = await run_in_threadpool(authenticate_key, request.app.state.engine, authorization)
    if caller.role == "centre":
        raise Forbidden("centre_key_cannot_submit")
    return caller


CallerDep = Annotated[Principal | None, Depends(optional_caller)]


async def rate_limited(request: Request, caller: CallerDep) -> Principal | None:
    """Partners are counted per key, everyone else per client address."""
    limiter: RateLimiter = request.app.state.limiter
    if caller is not None:
        rate, who = limiter.partner, ("key", str(caller.key_id))
    else:
        rate, who = limiter.public, ("ip", client_key(_host(request)))
    if limiter.shared:  # a Redis round trip: off the event loop
        await run_in_threadpool(limiter.check, rate, *who)
    else:
        limiter.check(rate, *who)
    return caller


LimitedCallerDep = Annotated[Principal | None, Depends(rate_limited)]

# Printable ASCII, as a UUID or any client-made token is; the key is stored and compared.
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,200}$"


async def get_idempotency_key(
    request: Request,
    caller: LimitedCallerDep,
    idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY)] = None,
) -> tuple[str, str] | None:
    """`Idempotency-Key`, scoped to who sent it (the key's holder, or the client address):
    (scope, key), or None without the header."""
    if idempotency_key is None:
        return None
    scope = f"key:{caller.key_id}" if caller else f"ip:{client_key(_host(request))}"
    return scope, idempotency_key


IdempotencyKeyDep = Annotated[tuple[str, str] | None, Depends(get_idempotency_key)]


def _host(request: Request) -> str | None:
    return request.client.host if request.client else None
