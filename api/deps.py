"""Request dependencies: the unit of work, the settings and the signed-in user."""

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from api.paths import is_page
from lifecycle.access import Area, refusal
from lifecycle.db import get_engine, reading
from lifecycle.errors import Forbidden, Unauthenticated
from lifecycle.models import User
from lifecycle.services import users
from lifecycle.settings import Settings, get_settings

# The API's reads: their transactions take no write lock. (Pages' reads may write: a sign-in
# session is renewed as it is used.)
READS = frozenset({"GET", "HEAD"})
T = TypeVar("T")


async def sessions_on(
    engine: Engine | None = None,
    # Typed as Request (not Optional) so FastAPI passes the request when this is the override.
    request: Request = None,  # type: ignore[assignment]
) -> AsyncGenerator[Session]:
    """One transaction per request, committed before the response is sent; on `engine`, or
    the configured database (tests and benchmarks pass their own). An API read's transaction
    only reads, so a slow read never holds up a writer."""
    async with _unit_of_work(_bind(engine or get_engine(), request)) as session:
        yield session


async def get_session(request: Request) -> AsyncGenerator[Session]:
    """The request's unit of work on the configured database."""
    async with _unit_of_work(_bind(get_engine(), request)) as session:
        yield session


def _bind(engine: Engine, request: Request | None) -> Engine:
    """The engine for this request: its reading form for an API read."""
    if request is not None and request.method in READS and not is_page(request):
        return reading(engine)
    return engine


@asynccontextmanager
async def _unit_of_work(bind: Engine) -> AsyncIterator[Session]:
    """A session on `bind`, committed at the end, or rolled back if anything went wrong.
    Opening a session touches no database, so it happens on the event loop; only its end
    (commit or roll back, and close) goes to a worker thread. As a synchronous dependency it
    cost a thread hop on the way in and another on the way out, and at 50 readers each hop
    was about a twentieth of a case read's CPU."""
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _in_thread(partial(_end, session, commit=False))
        raise
    await _in_thread(partial(_end, session, commit=True))


async def _in_thread(end: Callable[[], None]) -> None:
    """Run a session's end in a worker thread, on a limiter of its own as FastAPI does for a
    synchronous dependency's exit: were every thread of the shared pool busy with requests
    waiting for a database connection, the sessions holding those connections could still
    end and give them back. Shielded, so a request cancelled (its client gone) still ends its
    transaction and returns its connection."""
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(end, limiter=anyio.CapacityLimiter(1))


def _end(session: Session, *, commit: bool) -> None:
    """Commit (or, after an error, roll back) and close the session."""
    with session:
        if not commit:
            session.rollback()
            return
        try:
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit happens when the route returns, so a failed commit is an error
# response and never a success the database did not keep.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


# Declared as a security scheme so the interactive docs offer an "Authorize" button; our own
# check below gives the error message (auto_error off).
bearer = HTTPBearer(auto_error=False, description="The API token `procure users create` printed")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def signed_in(session: Session, credentials: HTTPAuthorizationCredentials | None) -> User:
    """The user whose bearer token came with the request."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return users.authenticate(session, token=credentials.credentials.strip())


def current_user(session: SessionDep, credentials: Credentials) -> User:
    """The signed-in user, for a route (signing in takes a worker thread of its own)."""
    return signed_in(session, credentials)


async def as_signed_in(
    session: Session, credentials: HTTPAuthorizationCredentials | None, then: Callable[[User], T]
) -> T:
    """Sign in, then do `then` for the user, in one worker thread: for a route read at volume
    (a case), where CurrentUser's thread of its own cost about a tenth of the read's CPU."""
    return await run_in_threadpool(lambda: then(signed_in(session, credentials)))


CurrentUser = Annotated[User, Depends(current_user)]


def require(user: User, area: Area) -> None:
    """Refuse users whose roles do not open `area`."""
    refused = refusal(users.roles_of(user), area)
    if refused:
        raise Forbidden(refused)
