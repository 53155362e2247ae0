"""Handing someone's live contracts to another contract manager while they stay on: when they
change role, or their work is shared out. Admins do it from the user's page; the service
decides who may and who is suitable (lifecycle/handover.py)."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.pages import forms
from api.pages.forms import FormErrors
from api.pages.users import beside_successor, refused_page, successor_items
from api.pages.web import Form, Page, SignedInPage
from lifecycle.services import handover, users

router = APIRouter(prefix="/app", include_in_schema=False)


def _handover_page(
    page: Page, user_id: int, *, chosen: int | None = None, errors: FormErrors | None = None
) -> HTMLResponse:
    """Who takes over the person's live contracts, and which those are."""
    found = users.account(page.db, by=page.me, user_id=user_id)
    cases = handover.live_contracts(page.db, manager_id=user_id)
    if errors and not cases:
        # Handed over meanwhile: no choice is drawn to link the errors to.
        errors = FormErrors(
            status_code=errors.status_code, by_field={"form": next(iter(errors.by_field.values()))}
        )
    return page.render(
        "pages/users_handover.html",
        status_code=errors.status_code if errors else 200,
        title=f"Hand over {found.user.name}’s contracts",
        section="users",
        account=found,
        cases=cases,
        successors=successor_items(page, user_id, chosen),
        errors=errors,
    )


@router.get("/users/{user_id}/handover", response_class=HTMLResponse)
def handover_form(user_id: int, page: SignedInPage) -> Response:
    """Choose who takes over."""
    users.require_manager(by=page.me)
    return _handover_page(page, user_id)


@router.post("/users/{user_id}/handover", response_class=HTMLResponse)
def hand_over(user_id: int, page: SignedInPage, data: Form) -> Response:
    """Every live contract of theirs passes to the successor, who is told by email; each case's
    history and register entry name both."""
    users.require_manager(by=page.me)
    successor_id = forms.whole_number(forms.text(data, "successor_id"), max_digits=9)
    if successor_id is None:
        errors = FormErrors()
        errors.add("successor_id", "Select who takes over the contracts")
        return _handover_page(page, user_id, errors=errors)
    result = page.attempt(
        lambda: handover.hand_over(
            page.db,
            by=page.me,
            leaver_id=user_id,
            successor_id=successor_id,
            settings=page.settings,
        ),
        {},
    )
    if refused := refused_page(page, result):
        return refused
    if isinstance(result, FormErrors):
        errors = beside_successor(result)
        return _handover_page(page, user_id, chosen=successor_id, errors=errors)
    count = len(result.cases)
    contracts = "1 live contract" if count == 1 else f"{count} live contracts"
    return page.redirect(
        f"/app/users/{user_id}",
        flash=f"{contracts} handed over to {result.successor.name}, who has been told by email.",
    )
