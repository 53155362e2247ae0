"""Your delegations: while you are away, a colleague holding the same role decides your gates
on your behalf. Set one up for a period, see those given to you, and withdraw your own."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.pages import forms
from api.pages.forms import FormErrors
from api.pages.web import Form, Page, SignedInPage
from lifecycle import clock
from lifecycle.delegation import in_force
from lifecycle.schemas import DelegationIn
from lifecycle.services import delegations, users

router = APIRouter(prefix="/app", include_in_schema=False)

LABELS = {
    "delegate_id": "Who will decide for you",
    "role": "Role",
    "starts_on": "First day away",
    "ends_on": "Last day away",
}


def _show(page: Page, values: dict[str, Any], errors: FormErrors | None = None) -> Response:
    """The delegations you gave and received, and the form to add one."""
    names = {person.id: person.name for person in users.list_(page.db)}
    today = clock.today()
    rows = [
        {
            "row": row,
            "given": row.delegator_id == page.me.id,
            "delegator": names.get(row.delegator_id, ""),
            "delegate": names.get(row.delegate_id, ""),
            "in_force": in_force(delegations.cover(row), today),
            "over": row.ends_on < today,
        }
        for row in delegations.list_mine(page.db, me=page.me)
    ]
    roles = delegations.deciding_roles(page.me)
    return page.render(
        "pages/delegations.html",
        status_code=errors.status_code if errors else 200,
        title="Delegations while you are away",
        section="delegations",
        rows=rows,
        roles=[
            {
                "value": role.value,
                "text": role.value.replace("_", " ").capitalize(),
                "checked": values.get("role") == role.value or len(roles) == 1,
            }
            for role in roles
        ],
        people=[{"value": "", "text": "Choose a colleague"}]
        + [
            {
                "value": person.id,
                "text": person.name,
                "selected": values.get("delegate_id") == person.id,
            }
            for person in delegations.candidates(page.db, me=page.me)
        ],
        values=values,
        errors=errors,
    )


@router.get("/delegations", response_class=HTMLResponse)
def delegations_page(page: SignedInPage) -> Response:
    """Your delegations, and a form to delegate your gates while you are away."""
    empty = forms.date_parts(None)
    return _show(
        page, {f"{name}-{part}": "" for name in ("starts_on", "ends_on") for part in empty}
    )


@router.post("/delegations", response_class=HTMLResponse)
def delegate(page: SignedInPage, data: Form) -> Response:
    """Delegate your gates of one role to the colleague chosen, for the days given."""
    errors = FormErrors()
    delegate_id = forms.whole_number(forms.text(data, "delegate_id"), max_digits=9)
    if delegate_id is None:
        errors.add("delegate_id", "Choose who will decide for you")
    role = forms.text(data, "role")
    if not role:
        errors.add("role", "Choose the role whose gates they will decide")
    starts_on = forms.day(data, "starts_on", LABELS["starts_on"], errors)
    ends_on = forms.day(data, "ends_on", LABELS["ends_on"], errors)
    values: dict[str, Any] = {
        f"{name}-{part}": forms.text(data, f"{name}-{part}")
        for name in ("starts_on", "ends_on")
        for part in ("day", "month", "year")
    } | {"delegate_id": delegate_id, "role": role}
    if not errors:
        result = page.attempt(
            lambda: delegations.create(
                page.db,
                by=page.me,
                delegation=DelegationIn.model_validate(
                    {
                        "delegate_id": delegate_id,
                        "role": role,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                    }
                ),
                settings=page.settings,
            ),
            LABELS,
        )
        if not isinstance(result, FormErrors):
            return page.redirect(
                "/app/delegations", flash="Your gates are delegated for the days you gave."
            )
        errors = result
    return _show(page, values, errors)


@router.post("/delegations/{delegation_id}/withdraw", response_class=HTMLResponse)
def withdraw(delegation_id: int, page: SignedInPage, data: Form) -> Response:
    """Withdraw a delegation you gave."""
    result = page.attempt(
        lambda: delegations.withdraw(page.db, by=page.me, delegation_id=delegation_id), {}
    )
    if isinstance(result, FormErrors):
        return page.render(
            "pages/error.html",
            status_code=result.status_code,
            title="This delegation cannot be withdrawn",
            message=next(iter(result.by_field.values()), ""),
        )
    return page.redirect("/app/delegations", flash="The delegation is withdrawn.")
