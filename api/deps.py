"""Request dependencies: the unit of work, the settings and the signed-in user."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
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


def sessions_on(
    engine: Engine | None = None,
    # Typed as Request (not Optional) so FastAPI passes the request when this is the override.
    request: Request = None,  # type: ignore[assignment]
) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent; on `engine`, or
    the configured database (tests and benchmarks pass their own). An API read's transaction
    only reads, so a slow read never holds up a writer."""
    bind = engine or get_engine()
    if request is not None and request.method in READS and not is_page(request):
        bind = reading(bind)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work on the configured database."""
    yield from sessions_on(request=request)


# scope="function": commit happens when the route returns, so a failed commit is an error
# response and never a success the database did not keep.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


# Declared as a security scheme so the interactive docs offer an "Authorize" button; our own
# check below gives the error message (auto_error off).
bearer = HTTPBearer(auto_error=False, description="The API token `procure users create` printed")


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The user whose bearer token came with the request."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return users.authenticate(session, token=credentials.credentials.strip())


CurrentUser = Annotated[User, Depends(current_user)]


def require(user: User, area: Area) -> None:
    """Refuse users whose roles do not open `area`."""
    refused = refusal(users.roles_of(user), area)
    if refused:
        raise Forbidden(refused)
