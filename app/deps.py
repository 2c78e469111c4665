"""Request dependencies: the session that commits once, the directory index, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.db import session_scope
from app.errors import Forbidden
from app.services.directory_index import Directory, DirectoryIndex
from app.services.keys import Principal, authenticate
from app.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: commit when the route returns, roll back on any error."""
    with session_scope(request.app.state.engine) as session:
        yield session
    if session.info.get("directory_changed"):
        request.app.state.directory.invalidate()


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


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks its role (401, then 403)."""

    def check(
        session: SessionDep,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        principal = authenticate(session, authorization)
        if principal.role not in roles:
            raise Forbidden(f"this route needs a key with role {' or '.join(roles)}")
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require("admin"))]
CentreDep = Annotated[Principal, Depends(require("centre"))]
PartnerOrAdminDep = Annotated[Principal, Depends(require("partner", "admin"))]
