"""Users, for admins and auditors: who has an account and how they sign in. Admins add people,
change their roles, switch leavers off and back on, and send invitations; the services decide
who may."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from api.pages import forms
from api.pages.forms import FormErrors
from api.pages.web import Form, Page, SignedInPage
from lifecycle.access import Area
from lifecycle.rules import Role
from lifecycle.services import handover, users

router = APIRouter(prefix="/app", include_in_schema=False)

# The form's words are the services' own field names, so their messages read as they are.
LABELS = {"name": "Name", "email": "Email", "roles": "Roles"}
ROLE_HINTS = {
    Role.REQUESTER: "Raises purchase requests and answers requests for changes",
    Role.LEGAL: "Early legal consultation; confirms signing",
    Role.PROCUREMENT: "Runs procurements, approves awards, verifies the register, closes contracts",
    Role.CONTRACT_MANAGER: "Manages live contracts: reviews, exit plans, lessons",
    Role.AUDITOR: "Internal audit: reads everything, changes nothing",
    Role.ADMIN: "Manages users and roles",
}


def role_items(chosen: list[str]) -> list[dict[str, Any]]:
    """The roles as checkboxes, ticked where `chosen`."""
    return [
        {
            "value": role.value,
            "text": role.value.replace("_", " ").capitalize(),
            "hint": {"text": ROLE_HINTS[role]},
            "checked": role.value in chosen,
        }
        for role in Role
    ]


def _roles(data: FormData) -> list[str]:
    """The roles ticked on a form."""
    return [value for value in data.getlist("roles") if isinstance(value, str)]


def successor_items(page: Page, user_id: int, chosen: int | None) -> list[dict[str, Any]]:
    """The active contract managers who could take over this person's contracts, as options."""
    return [
        {"value": person.id, "text": person.name, "selected": person.id == chosen}
        for person in users.with_role(page.db, role=Role.CONTRACT_MANAGER)
        if person.id != user_id
    ]


def beside_successor(errors: FormErrors) -> FormErrors:
    """A form whose one field is the successor: every refusal is shown beside it."""
    placed = FormErrors(status_code=errors.status_code)
    for message in errors.by_field.values():
        placed.add("successor_id", message)
    return placed


def refused_page(page: Page, result: object) -> Response | None:
    """A refusal for want of a role is a page of its own (nothing else on the form matters)."""
    if isinstance(result, FormErrors) and result.status_code == 403:
        return page.render(
            "pages/error.html",
            status_code=403,
            title="You cannot do this",
            message=next(iter(result.by_field.values()), ""),
        )
    return None


@router.get("/users", response_class=HTMLResponse)
def users_page(page: SignedInPage) -> Response:
    """Everyone with an account, by name."""
    found = users.directory(page.db, by=page.me)
    return page.render(
        "pages/users.html",
        title="Users",
        section="users",
        accounts=found,
        manage=page.may(Area.MANAGE_USERS),
    )


def _new_form(page: Page, values: dict[str, Any], errors: FormErrors | None = None) -> HTMLResponse:
    """The form to add a user, as typed."""
    return page.render(
        "pages/users_new.html",
        status_code=errors.status_code if errors else 200,
        title="Add a user",
        section="users",
        values=values,
        role_items=role_items(values["roles"]),
        errors=errors,
    )


@router.get("/users/new", response_class=HTMLResponse)
def new_user_form(page: SignedInPage) -> Response:
    """An empty form; the invitation is ticked, since most people will use the pages."""
    users.require_manager(by=page.me)
    return _new_form(page, {"name": "", "email": "", "roles": [], "invite": True})


@router.post("/users/new", response_class=HTMLResponse)
def add_user(page: SignedInPage, data: Form) -> Response:
    """Add the user; the page that follows shows their API token, this once."""
    name, email, roles = forms.text(data, "name"), forms.text(data, "email"), _roles(data)
    invite = forms.checked(data, "invite")
    result = page.attempt(
        lambda: users.add(
            page.db,
            by=page.me,
            name=name,
            email=email,
            roles=roles,
            invite=invite,
            settings=page.settings,
        ),
        LABELS,
    )
    if refused := refused_page(page, result):
        return refused
    if isinstance(result, FormErrors):
        values = {"name": name, "email": email, "roles": roles, "invite": invite}
        return _new_form(page, values, result)
    user, token = result
    # Rendered, not redirected: the token must never be stored, even for one page view.
    return page.render(
        "pages/users_added.html",
        title=f"{user.name} added",
        section="users",
        added=user,
        token=token,
        invited=invite,
    )


def _user_page(
    page: Page,
    user_id: int,
    *,
    chosen_roles: list[str] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    """One user: their details, and for admins the forms that change them."""
    found = users.account(page.db, by=page.me, user_id=user_id)
    roles = chosen_roles if chosen_roles is not None else found.user.roles.split(",")
    return page.render(
        "pages/users_user.html",
        status_code=errors.status_code if errors else 200,
        title=found.user.name,
        section="users",
        account=found,
        manage=page.may(Area.MANAGE_USERS),
        is_me=found.user.id == page.me.id,
        live=users.live_contract_count(page.db, user_id=user_id),
        role_items=role_items(roles),
        errors=errors,
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(user_id: int, page: SignedInPage) -> Response:
    """One user."""
    return _user_page(page, user_id)


@router.post("/users/{user_id}/roles", response_class=HTMLResponse)
def change_roles(user_id: int, page: SignedInPage, data: Form) -> Response:
    """Replace the user's roles with those ticked."""
    chosen = _roles(data)
    result = page.attempt(
        lambda: users.change_roles(page.db, by=page.me, user_id=user_id, roles=chosen), LABELS
    )
    if refused := refused_page(page, result):
        return refused
    if isinstance(result, FormErrors):
        return _user_page(page, user_id, chosen_roles=chosen, errors=result)
    return page.redirect(f"/app/users/{user_id}", flash=f"{result.name}’s roles are saved.")


def _act(page: Page, user_id: int, field: str, action: Callable[[], Any], done: str) -> Response:
    """A button with no fields: do it, or show why not beside the button."""
    result = page.attempt(action, {})
    if refused := refused_page(page, result):
        return refused
    if isinstance(result, FormErrors):
        errors = FormErrors(status_code=result.status_code)
        errors.add(field, next(iter(result.by_field.values()), "This could not be done"))
        return _user_page(page, user_id, errors=errors)
    return page.redirect(f"/app/users/{user_id}", flash=done.format(name=result.name))


def _confirm_page(
    page: Page, user_id: int, *, chosen: int | None = None, errors: FormErrors | None = None
) -> HTMLResponse:
    """Ask before switching someone off; one who manages live contracts names a successor."""
    found = users.account(page.db, by=page.me, user_id=user_id)
    live = users.live_contract_count(page.db, user_id=user_id)
    return page.render(
        "pages/users_deactivate.html",
        status_code=errors.status_code if errors else 200,
        title=f"Deactivate {found.user.name}?",
        section="users",
        account=found,
        is_me=found.user.id == page.me.id,
        live=live,
        successors=successor_items(page, user_id, chosen),
        errors=errors,
    )


@router.get("/users/{user_id}/deactivate", response_class=HTMLResponse)
def confirm_deactivation(user_id: int, page: SignedInPage) -> Response:
    """Ask before switching someone off."""
    users.require_manager(by=page.me)
    return _confirm_page(page, user_id)


@router.post("/users/{user_id}/deactivate", response_class=HTMLResponse)
def deactivate(user_id: int, page: SignedInPage, data: Form) -> Response:
    """Switch the user off: signed out everywhere, token stopped, no more mail; their live
    contracts go to the successor chosen, in the same step."""
    successor_id = forms.whole_number(forms.text(data, "successor_id"), max_digits=9)

    def act() -> Any:
        """Hand over and switch off, or only switch off when no successor is chosen."""
        if successor_id is None:
            return users.switch_off(page.db, by=page.me, user_id=user_id)
        return handover.hand_over(
            page.db,
            by=page.me,
            leaver_id=user_id,
            successor_id=successor_id,
            deactivate=True,
            settings=page.settings,
        ).leaver

    result = page.attempt(act, {"successor_id": "Successor", "to_user_id": "Successor"})
    if refused := refused_page(page, result):
        return refused
    if isinstance(result, FormErrors):
        return _confirm_page(page, user_id, chosen=successor_id, errors=beside_successor(result))
    return page.redirect(
        f"/app/users/{user_id}", flash=f"{result.name} is deactivated and signed out everywhere."
    )


@router.post("/users/{user_id}/reactivate", response_class=HTMLResponse)
def reactivate(user_id: int, page: SignedInPage, data: Form) -> Response:
    """Switch the user back on."""
    return _act(
        page,
        user_id,
        "reactivate",
        lambda: users.reactivate(page.db, by=page.me, user_id=user_id),
        "{name} is active again.",
    )


@router.post("/users/{user_id}/invite", response_class=HTMLResponse)
def invite(user_id: int, page: SignedInPage, data: Form) -> Response:
    """Email the user a new link to choose a password; earlier links stop working."""
    return _act(
        page,
        user_id,
        "invite",
        lambda: users.send_invitation(page.db, by=page.me, user_id=user_id, settings=page.settings),
        "An invitation is on its way to {name}.",
    )
