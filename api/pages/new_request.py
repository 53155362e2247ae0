"""Raising a purchase request: the form, "check your answers" (which says the route the value
takes and what that means), sending it, and the confirmation.

The values typed travel with the person (hidden on the check page, back on the form when they
change an answer), so nothing is lost and nothing half-made is stored. The route and every rule
come from `lifecycle`: the live hint asks the server rather than copying thresholds into JS."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import FormData

from api.pages import forms
from api.pages.forms import FormErrors
from api.pages.web import Form, Page, SignedInPage
from lifecycle.access import Area, refusal
from lifecycle.errors import Forbidden
from lifecycle.rules import ROUTE_LABELS, Category, Route, route_meaning
from lifecycle.schemas import PurchaseRequestIn
from lifecycle.services import cases, users

router = APIRouter(prefix="/app", include_in_schema=False)

LABELS = {
    "title": "Title",
    "description": "Description",
    "category": "Category",
    "light_touch": "Light touch",
    "department": "Department",
    "estimated_value_pence": "Estimated whole-life value",
    "irrecoverable_vat_pence": "Irrecoverable VAT",
    "needed_by": "Needed by",
    "contract_required": "Contract required",
}
# What the form sends, as typed; the date is three boxes.
TYPED = (
    "title",
    "description",
    "category",
    "light_touch",
    "department",
    "estimated_value_pence",
    "irrecoverable_vat_pence",
    "needed_by-day",
    "needed_by-month",
    "needed_by-year",
    "contract_required",
)
# The model's messages are written for API clients; the form asks in GOV.UK's words.
ASK = {
    "title": "Enter a title",
    "description": "Enter a description of what is needed",
    "category": "Select whether it is goods, services or works",
    "department": "Enter the department",
    "estimated_value_pence": "Enter the estimated whole-life value, including VAT",
    "needed_by": "Enter the date it is needed by",
    "contract_required": "Select yes if a contract is required",
}
TOO_MUCH_VAT = "Irrecoverable VAT cannot be more than the value"


def _require_requester(page: Page) -> None:
    """The form is for people who may raise a request; anyone else is told at once."""
    reason = refusal(users.roles_of(page.me), Area.RAISE_REQUEST)
    if reason:
        raise Forbidden(f"Raising a purchase request: {reason}.")


def _typed(data: FormData) -> dict[str, str]:
    """What was typed, as typed: shown again on the form and carried by the check page."""
    return {name: forms.text(data, name) for name in TYPED}


def _in_our_words(errors: FormErrors) -> FormErrors:
    """The errors in the form's order and words."""
    ordered = FormErrors(status_code=errors.status_code)
    for name in [*LABELS, *errors.by_field]:
        message = errors.by_field.get(name)
        if message is None:
            continue
        if name in ASK and message.startswith(("Enter ", "Select ")):
            message = ASK[name]
        elif name == "irrecoverable_vat_pence" and "cannot exceed" in message:
            message = TOO_MUCH_VAT
        ordered.add(name, message)
    return ordered


def _request(page: Page, typed: dict[str, str]) -> PurchaseRequestIn | FormErrors:
    """The request the form describes, validated by the model the API uses."""
    data = FormData(list(typed.items()))
    errors = FormErrors()
    fields: dict[str, Any] = {
        name: typed[name] for name in ("title", "description", "department") if typed[name]
    }
    if typed["category"]:
        fields["category"] = typed["category"]
    fields["light_touch"] = typed["light_touch"] == "yes"
    if typed["contract_required"] in ("yes", "no"):
        fields["contract_required"] = typed["contract_required"] == "yes"
    value = forms.pence(data, "estimated_value_pence", LABELS["estimated_value_pence"], errors)
    vat = (
        forms.pence(data, "irrecoverable_vat_pence", LABELS["irrecoverable_vat_pence"], errors)
        if typed["irrecoverable_vat_pence"]
        else 0
    )
    needed_by = forms.day(data, "needed_by", LABELS["needed_by"], errors)
    parsed = {
        "estimated_value_pence": value,
        "irrecoverable_vat_pence": vat,
        "needed_by": needed_by,
    }
    fields.update({name: found for name, found in parsed.items() if found is not None})
    result = page.attempt(lambda: PurchaseRequestIn(**fields), LABELS)
    if isinstance(result, FormErrors):
        for name, message in result.by_field.items():
            errors.add(name, message)
        return _in_our_words(errors)
    return _in_our_words(errors) if errors else result


def _form(page: Page, typed: dict[str, str], errors: FormErrors | None = None) -> Response:
    """The form, with what was typed and what is wrong with it."""
    return page.render(
        "pages/new_request.html",
        status_code=errors.status_code if errors else 200,
        title="Raise a purchase request",
        section="new",
        values=typed,
        errors=errors,
    )


@router.get("/requests/new", response_class=HTMLResponse)
def new_request(page: SignedInPage) -> Response:
    """An empty form."""
    _require_requester(page)
    return _form(page, {name: "" for name in TYPED})


@router.post("/requests/new/change", response_class=HTMLResponse)
def change_answers(page: SignedInPage, data: Form) -> Response:
    """Back from the check page to the form, every answer kept."""
    _require_requester(page)
    return _form(page, _typed(data))


@router.post("/requests/new", response_class=HTMLResponse)
def check_answers(page: SignedInPage, data: Form) -> Response:
    """Continue: the answers checked, and the route they take, before anything is sent."""
    _require_requester(page)
    typed = _typed(data)
    request = _request(page, typed)
    if isinstance(request, FormErrors):
        return _form(page, typed, request)
    advice = page.attempt(
        lambda: cases.check_request(requester=page.me, request=request, settings=page.settings),
        LABELS,
    )
    if isinstance(advice, FormErrors):
        return _form(page, typed, _in_our_words(advice))
    return page.render(
        "pages/new_request_check.html",
        title="Check your answers before sending your request",
        section="new",
        values=typed,
        purchase=request,
        advice=advice,
    )


@router.post("/requests", response_class=HTMLResponse)
def send_request(page: SignedInPage, data: Form) -> Response:
    """Send: the case is raised and its flow queued; the confirmation follows."""
    _require_requester(page)
    typed = _typed(data)
    request = _request(page, typed)
    if isinstance(request, FormErrors):
        return _form(page, typed, request)
    case = page.attempt(
        lambda: cases.create(page.db, requester=page.me, request=request, settings=page.settings),
        LABELS,
    )
    if isinstance(case, FormErrors):
        return _form(page, typed, _in_our_words(case))
    return page.redirect(f"/app/requests/{case.id}/sent")


@router.get("/requests/{case_id}/sent", response_class=HTMLResponse)
def request_sent(case_id: int, page: SignedInPage) -> Response:
    """The confirmation: the reference, what happens next, and the way to the case."""
    case = cases.get_visible(page.db, case_id=case_id, user=page.me)
    route = Route(case.route)
    return page.render(
        "pages/new_request_sent.html",
        title="Request sent",
        section="new",
        case=case,
        route_label=ROUTE_LABELS[route],
        route_meaning=route_meaning(route, page.settings.standstill_working_days),
    )


@router.get("/requests/route")
def route_hint(
    page: SignedInPage,
    value: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=20)] = "",
    light_touch: Annotated[str, Query(max_length=5)] = "",
) -> JSONResponse:
    """The route a value would take, for the form's live hint (the thresholds stay here)."""
    errors = FormErrors()
    pence = forms.pence(FormData([("value", value)]), "value", "Value", errors)
    known = {member.value for member in Category}
    if pence is None or pence <= 0 or category not in known:
        return JSONResponse({"route": None}, headers={"Cache-Control": "no-store"})
    advice = cases.advice(
        value_pence=pence,
        category=Category(category),
        light_touch=light_touch == "yes",
        settings=page.settings,
    )
    return JSONResponse(
        {
            "route": advice.route.value,
            "label": advice.label,
            "band": advice.band,
            "meaning": advice.meaning,
        },
        headers={"Cache-Control": "no-store"},
    )
