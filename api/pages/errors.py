"""Refusals on pages are pages: the same domain errors the API maps to JSON, shown in words."""

from typing import cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.exceptions import HTTPException

from api.pages.web import BadCsrfToken, Page, SignInRequired, sign_in_url
from api.paths import is_page
from api.refusals import http_refusal, validation_refusal
from lifecycle.errors import DomainError
from lifecycle.settings import get_settings

TITLES = {
    401: "Sign in to continue",
    403: "You cannot do this",
    404: "Page not found",
    405: "Page not found",
    409: "This has changed",
    413: "The file is too large",
    415: "This type of file is not accepted",
    422: "Something is not right",
    429: "Too many attempts",
}


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error in the layout, with what went wrong and what to do. The request's own database
    session is over by now, so the page is drawn from what `any_page` noted of the visitor."""
    user, csrf_token = getattr(request.state, "visitor", (None, ""))
    # Nothing here reads the database: no session is given.
    page = Page(request, cast(Session, None), get_settings(), user, None, csrf_token)
    return page.render(
        "pages/error.html",
        status_code=status_code,
        title=TITLES.get(status_code, "Something went wrong"),
        message=message,
    )


async def sign_in_required(request: Request, exc: Exception) -> Response:
    """Send the visitor to sign in, then back to the page they asked for."""
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(sign_in_url(exc.next_url), status_code=303)


async def bad_csrf(request: Request, exc: Exception) -> Response:
    """A form without its page's token: refused, whoever sent it."""
    return error_page(
        request,
        403,
        "This form could not be accepted because it did not come from this page as you last "
        "saw it. Go back, reload the page and try again.",
    )


def domain_error_page(request: Request, exc: DomainError) -> HTMLResponse | None:
    """A domain error on a page becomes an error page; None leaves it to the API's mapping."""
    return error_page(request, exc.status_code, exc.message) if is_page(request) else None


async def not_found_page(request: Request, exc: Exception) -> Response:
    """Unknown page addresses, and addresses whose id is not a number; for the API, the same
    refusals in its error shape."""
    if not is_page(request):
        if isinstance(exc, RequestValidationError):
            return validation_refusal(request, exc)
        assert isinstance(exc, HTTPException)
        return http_refusal(exc)
    status_code = exc.status_code if isinstance(exc, HTTPException) else 404
    return error_page(
        request, status_code, "Check the address, or go back to the page you came from."
    )


def install(app: FastAPI) -> None:
    """Handlers for page-only exceptions, and HTML for errors on page addresses."""
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(BadCsrfToken, bad_csrf)
    app.add_exception_handler(HTTPException, not_found_page)
    app.add_exception_handler(RequestValidationError, not_found_page)
