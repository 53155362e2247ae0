"""Signing in and out, and choosing a password from an invitation."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.pages import forms
from api.pages.forms import FormErrors
from api.pages.web import (
    ANONYMOUS_CSRF_COOKIE,
    SESSION_COOKIE,
    AnyPage,
    Form,
    local_next,
    served_over_https,
)
from lifecycle.services import accounts

router = APIRouter(prefix="/app", include_in_schema=False)

SIGN_IN_LABELS = {"email": "Email address", "password": "Password"}
PASSWORD_LABELS = {"password": "Password", "confirm": "Confirm password", "token": "Link"}


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(
    page: AnyPage, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """The sign-in form (signed-in visitors go straight on)."""
    if page.user is not None:
        return page.redirect(local_next(next))
    return page.render("pages/sign_in.html", title="Sign in", next=local_next(next), values={})


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(page: AnyPage, data: Form) -> Response:
    """Check the password; on success a session cookie, then the page asked for."""
    email, password = forms.text(data, "email"), str(data.get("password") or "")
    next_url = local_next(forms.text(data, "next"))
    errors = FormErrors()
    if not email:
        errors.add("email", "Enter your email address")
    if not password:
        errors.add("password", "Enter your password")
    client = page.request.client.host if page.request.client else "unknown"
    if not errors:
        result = page.attempt(
            lambda: accounts.sign_in(
                page.db, email=email, password=password, client=client, settings=page.settings
            ),
            SIGN_IN_LABELS,
        )
        if result is None:
            # The failure just recorded is committed with this answer.
            result = FormErrors()
            result.add("email", accounts.WRONG_CREDENTIALS)
        if not isinstance(result, FormErrors):
            _, token = result
            response = RedirectResponse(next_url, status_code=303)
            response.set_cookie(
                SESSION_COOKIE,
                token,
                max_age=page.settings.session_hours * 3600,
                httponly=True,
                samesite="lax",
                secure=served_over_https(page.request, page.settings),
                path="/",
            )
            response.delete_cookie(ANONYMOUS_CSRF_COOKIE, path="/app")
            return response
        errors = result
    return page.render(
        "pages/sign_in.html",
        status_code=errors.status_code if errors.status_code == 429 else 200,
        title="Sign in",
        next=next_url,
        values={"email": email},
        errors=errors,
    )


@router.post("/sign-out")
def sign_out(page: AnyPage, data: Form) -> Response:
    """End this browser's session."""
    token = page.request.cookies.get(SESSION_COOKIE, "")
    if token:
        accounts.sign_out(page.db, token=token[:100])
    response = RedirectResponse("/app/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/set-password", response_class=HTMLResponse)
def set_password_form(page: AnyPage, token: Annotated[str, Query(max_length=100)] = "") -> Response:
    """The form an invitation link opens; a used or expired link says so at once."""
    result = page.attempt(lambda: accounts.invitation_for(page.db, token=token), PASSWORD_LABELS)
    if isinstance(result, FormErrors):
        return page.render(
            "pages/error.html",
            status_code=410,
            title="This link cannot be used",
            message=result.by_field.get("token", "This link is not valid."),
        )
    _, user = result
    return page.render(
        "pages/set_password.html", title="Choose your password", token=token, invitee=user
    )


@router.post("/set-password", response_class=HTMLResponse)
def set_password(page: AnyPage, data: Form) -> Response:
    """Set the password; the link then stops working and the person signs in with it."""
    token = forms.text(data, "token")[:100]
    password, confirm = str(data.get("password") or ""), str(data.get("confirm") or "")
    if password != confirm:
        errors = FormErrors()
        errors.add("confirm", "The two passwords are not the same")
        result: object = errors
    else:
        result = page.attempt(
            lambda: accounts.accept_invitation(page.db, token=token, password=password),
            PASSWORD_LABELS,
        )
    if isinstance(result, FormErrors):
        if "token" in result.by_field:
            return page.render(
                "pages/error.html",
                status_code=410,
                title="This link cannot be used",
                message=result.by_field["token"],
            )
        found = page.attempt(lambda: accounts.invitation_for(page.db, token=token), {})
        invitee = None if isinstance(found, FormErrors) else found[1]
        return page.render(
            "pages/set_password.html",
            status_code=422,
            title="Choose your password",
            token=token,
            invitee=invitee,
            errors=result,
        )
    return page.redirect("/app/sign-in?password_set=1")
