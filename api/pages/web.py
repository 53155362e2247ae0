"""What every page shares: the templates, the signed-in visitor, CSRF, and rendering.

Pages are the API's twin for people: they parse a form, call one service and render. Roles,
thresholds and states are asked of `lifecycle`, never decided here."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep
from api.pages import formatting
from api.pages.forms import FormErrors
from lifecycle.access import Area, may_enter
from lifecycle.errors import DomainError
from lifecycle.models import User, WebSession
from lifecycle.services import accounts, users
from lifecycle.settings import Settings

SESSION_COOKIE = "procure_session"
# Forms shown before sign-in (the sign-in form itself) are protected by a double-submit cookie.
ANONYMOUS_CSRF_COOKIE = "procure_csrf"
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"

T = TypeVar("T")


def _environment() -> Environment:
    """Our templates first, then the GOV.UK Frontend macros under their package name."""
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    formatting.install(env)
    return env


templates = Jinja2Templates(env=_environment())


class SignInRequired(Exception):
    """The page needs a signed-in person; they are sent to sign in and then back here."""

    def __init__(self, next_url: str) -> None:
        """Remember where to go once signed in."""
        super().__init__(next_url)
        self.next_url = next_url


class BadCsrfToken(Exception):
    """A form came without the token of the page that showed it."""


@dataclass
class Page:
    """One page request: the database session, who is signed in, and how to answer."""

    request: Request
    db: Session
    settings: Settings
    user: User | None
    web_session: WebSession | None
    csrf_token: str
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    set_anonymous_csrf: bool = False

    @property
    def me(self) -> User:
        """The signed-in person (only on pages that require sign-in)."""
        if self.user is None:
            raise SignInRequired(self.request.url.path)
        return self.user

    def may(self, area: Area) -> bool:
        """Whether the signed-in person may use `area` (for menus and links only: services
        refuse on their own)."""
        return self.user is not None and may_enter(users.roles_of(self.user), area)

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        """The page, with the layout's context."""
        flash = None
        if self.web_session is not None and status_code < 300:
            flash = accounts.take_flash(self.db, web_session=self.web_session)
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                "page": self,
                "user": self.user,
                "csrf_token": self.csrf_token,
                "csp_nonce": self.nonce,
                "flash": flash,
                "Area": Area,
                **context,
            },
            status_code=status_code,
        )
        self._finish(response)
        return response

    def redirect(self, url: str, *, flash: str | None = None) -> RedirectResponse:
        """Post, redirect, get: the next page shows `flash` once."""
        if flash and self.web_session is not None:
            accounts.set_flash(self.db, web_session=self.web_session, message=flash)
        response = RedirectResponse(url, status_code=303)
        self._finish(response)
        return response

    def attempt(self, action: Callable[[], T], labels: dict[str, str]) -> T | FormErrors:
        """Run a service call; a refusal rolls back everything it wrote and comes back as
        errors to show beside the fields, in the words of `labels`."""
        try:
            return action()
        except (DomainError, ValidationError) as exc:
            self.db.rollback()
            return FormErrors.from_exception(exc, labels)

    def _finish(self, response: HTMLResponse | RedirectResponse) -> None:
        """Headers every page carries."""
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            f"script-src 'self' 'nonce-{self.nonce}'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        if self.set_anonymous_csrf:
            response.set_cookie(
                ANONYMOUS_CSRF_COOKIE,
                self.csrf_token,
                httponly=True,
                samesite="lax",
                secure=served_over_https(self.request, self.settings),
                path="/app",
            )


def served_over_https(request: Request, settings: Settings) -> bool:
    """Cookies are Secure when people reach the product over HTTPS."""
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def _visitor(request: Request, db: Session) -> tuple[User | None, WebSession | None]:
    """Who the session cookie signs in, if anyone."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or len(token) > 100:
        return None, None
    found = accounts.signed_in(db, token=token)
    return (found[1], found[0]) if found else (None, None)


def any_page(request: Request, db: SessionDep, settings: SettingsDep) -> Page:
    """A page anyone may see; knows the visitor if they are signed in."""
    user, web_session = _visitor(request, db)
    # Noted for an error page drawn after this request's database session has ended.
    request.state.visitor = (User.model_validate(user.model_dump()) if user else None, "")
    if web_session is not None:
        request.state.visitor = (request.state.visitor[0], web_session.csrf_token)
        return Page(request, db, settings, user, web_session, web_session.csrf_token)
    anonymous = request.cookies.get(ANONYMOUS_CSRF_COOKIE, "")
    fresh = not anonymous or len(anonymous) > 100
    token = secrets.token_urlsafe(32) if fresh else anonymous
    return Page(request, db, settings, None, None, token, set_anonymous_csrf=fresh)


def signed_in_page(page: Annotated[Page, Depends(any_page)]) -> Page:
    """A page for signed-in people; anyone else is sent to sign in first."""
    if page.user is None:
        request = page.request
        if request.method != "GET":
            # A form sent after the session ended: come back to the page it was on (the post
            # itself cannot be replayed), or home.
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = referer.netloc == request.url.netloc
            raise SignInRequired(local_next(referer.path if same_site else None))
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    return page


async def form(request: Request) -> FormData:
    """The posted form, read once (the size of a body is bounded before this runs)."""
    return await request.form()


def checked_form(
    page: Annotated[Page, Depends(any_page)], data: Annotated[FormData, Depends(form)]
) -> FormData:
    """The posted form, refused unless it carries the token of the page that showed it."""
    sent = data.get("csrf_token")
    if not isinstance(sent, str) or not secrets.compare_digest(
        sent.encode(), page.csrf_token.encode()
    ):
        raise BadCsrfToken()
    return data


AnyPage = Annotated[Page, Depends(any_page)]
SignedInPage = Annotated[Page, Depends(signed_in_page)]
Form = Annotated[FormData, Depends(checked_form)]


def sign_in_url(next_url: str) -> str:
    """The sign-in page, sending the person on to `next_url` afterwards."""
    return f"/app/sign-in?next={quote(next_url, safe='/')}"


def local_next(next_url: str | None) -> str:
    """Where to go after signing in: only a page of this product, never another site."""
    if (
        next_url
        and next_url.startswith("/app/")
        and not next_url.startswith("/app//")
        and len(next_url) <= 2000
        and all(32 < ord(character) < 127 for character in next_url)
    ):
        return next_url
    return "/app/"
