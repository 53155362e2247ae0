"""Domain errors to HTTP, in one place."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError

from api.pages.errors import domain_error_page, error_page
from api.paths import is_page
from api.refusals import Refusal, refusal_response
from lifecycle.errors import DomainError, Unauthenticated


async def domain_error(request: Request, exc: Exception) -> Response:
    """A domain refusal becomes its status code with the message and the field at fault (on a
    page, the same refusal as an error page)."""
    assert isinstance(exc, DomainError)
    page = domain_error_page(request, exc)
    if page is not None:
        return page
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    refusal = Refusal(detail=exc.message, field=exc.field or None)
    return refusal_response(exc.status_code, refusal, headers)


RACE_LOST = "this conflicts with a change made at the same moment; read and retry"


async def integrity_error(request: Request, exc: Exception) -> Response:
    """Two requests raced for the same unique thing; the loser changed nothing."""
    if is_page(request):
        return error_page(
            request,
            409,
            "Someone else changed this at the same moment, so nothing you sent was saved. "
            "Go back, reload the page and try again.",
        )
    return refusal_response(409, Refusal(detail=RACE_LOST))


def install(app: FastAPI) -> None:
    """Register the handlers."""
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(IntegrityError, integrity_error)
