"""Typed dependencies for routes: the session, the clock, settings, the calling actor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import Session

from engine.access import Actor
from engine.clock import Clock
from engine.db import snapshot_read
from engine.errors import NotAuthenticated
from engine.services import auth
from engine.services.staff import actor_for_token
from engine.settings import Settings
from web.security import SignInRequired, staff_token


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request. `async def`: making one touches no database (it connects at
    its first statement), so it needs no trip to a worker thread; closing it at the end
    returns the connection (a plain def would cost a worker-thread trip each way)."""
    with request.app.state.session_factory() as session:
        yield session


# `async def`: they only read app state, and FastAPI would send a plain def to a worker thread.
async def get_clock(request: Request) -> Clock:
    return request.app.state.clock  # type: ignore[no-any-return]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


# A row id in a path: the largest value a PostgreSQL integer column holds. Anything bigger
# (2^63, twenty digits) cannot name a row, and SQLite would overflow converting it.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_staff_actor(request: Request, session: SessionDep, clock: ClockDep) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send a staff API token as 'Authorization: Bearer <token>'.")
    actor = actor_for_token(session, token.strip(), clock=clock)
    session.rollback()  # end the read transaction before the service opens its own
    return actor


StaffActor = Annotated[Actor, Depends(get_staff_actor)]


def get_signed_in_staff(request: Request, session: SessionDep, clock: ClockDep) -> Actor:
    """The staff member signed in on this browser; anyone else is sent to sign in.

    A GET (or HEAD) staff page only reads: the sign-in check and the page then read in one
    transaction on one connection, a snapshot read that takes no write lock on SQLite. Any
    other method gets the session with no transaction open, for its service to begin one.
    """
    token = staff_token(request)
    if not token:
        raise SignInRequired()
    reading = request.method in ("GET", "HEAD")
    if reading:
        snapshot_read(session)
    try:
        actor = auth.session_actor(session, clock=clock, token=token, keep_reading=reading)
    except NotAuthenticated:
        raise SignInRequired() from None
    if reading:
        snapshot_read(session)  # again, if pushing the idle timeout back ended the first
    return actor


SignedInStaff = Annotated[Actor, Depends(get_signed_in_staff)]
