"""Posting a form on the case page: read it into the API's input model, lock the case and make
the one service call the API route makes; then back to the case page with a flash, or, when
the service refuses, the page again with each error beside its field and everything typed."""

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import Response
from starlette.datastructures import FormData

from api.pages import forms
from api.pages.case_view import show
from api.pages.case_words import MESSAGE_WORDS
from api.pages.forms import FormErrors
from api.pages.web import Page
from lifecycle.models import Case
from lifecycle.services import cases

M = TypeVar("M")
T = TypeVar("T")
# A form's fields by the name the service and its input model use: the form's own name for
# the field (unique on the page, since one page holds many forms) and what the form calls it.
Fields = dict[str, tuple[str, str]]


def typed(data: FormData) -> dict[str, str]:
    """Everything typed into the form, to show it again if the form is refused."""
    return {name: forms.text(data, name) for name in data if name != "csrf_token"}


def _on_the_form(errors: FormErrors, fields: Fields, form: str, ask: dict[str, str]) -> FormErrors:
    """The errors under the form's field names; the rest against the form itself. A field
    left empty is asked for in the form's words."""
    placed = FormErrors(status_code=errors.status_code)
    on_form = {field for field, _ in fields.values()}
    for name, message in errors.by_field.items():
        field = fields[name][0] if name in fields else (name if name in on_form else form)
        if field in ask and message.startswith(("Enter ", "Select ")):
            message = ask[field]
        placed.add(field, message)
    return placed


def act(
    page: Page,
    case_id: int,
    data: FormData,
    *,
    form: str,
    fields: Fields,
    model: Callable[[], M],
    call: Callable[[Case, M], T],
    done: Callable[[T], str],
    ask: dict[str, str] | None = None,
    unreadable: FormErrors | None = None,
) -> Response:
    """Carry out one form. `model` builds the API's input model from what was read; `call`
    gets the case locked for change (as the API's routes lock it) and that model; `done`
    words the flash. `unreadable` holds, under the form's names, what could not be read at
    all (a date that is not one): the model still checks the rest, but nothing is sent."""
    # Permission before existence or state: a person who may not read the case is told it is
    # not found before anything about the form or the case's stage is said.
    cases.get_visible(page.db, case_id=case_id, user=page.me)
    labels = {**MESSAGE_WORDS, **{name: label for name, (_, label) in fields.items()}}
    if unreadable:
        checked = page.attempt(model, labels)
        for name, message in (checked.by_field if isinstance(checked, FormErrors) else {}).items():
            unreadable.add(name, message)
        errors = _on_the_form(unreadable, fields, form, ask or {})
        return show(page, case_id, errors=errors, typed=typed(data), form=form)
    result = page.attempt(
        lambda: call(cases.get_for_change(page.db, case_id=case_id, user=page.me), model()), labels
    )
    if isinstance(result, FormErrors):
        errors = _on_the_form(result, fields, form, ask or {})
        return show(page, case_id, errors=errors, typed=typed(data), form=form)
    return page.redirect(f"/app/cases/{case_id}", flash=done(result))
