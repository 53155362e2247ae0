"""A case's Procurement Act notices as a page: which the case needs and why, by when, where
each stands, what each still lacks, and its data to publish on Find a Tender; for procurement,
the forms that mark a complete notice ready and record it published. Each form calls the
service its API twin (`api/routers/notices.py`) calls."""

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.pages import forms
from api.pages.case_forms import typed
from api.pages.forms import FormErrors
from api.pages.web import Form, Page, SignedInPage
from lifecycle import clock
from lifecycle.errors import Forbidden, NotFound
from lifecycle.notices import NoticeStatus, NoticeType, manage_refusal
from lifecycle.schemas import NoticePublishedIn
from lifecycle.services import cases, notices, users
from lifecycle.services.notices import NoticeState

router = APIRouter(prefix="/cases/{case_id}/notices", include_in_schema=False)

# What each field a notice may lack is, in words a buyer knows (the OCDS path follows it).
MISSING_WORDS = {
    "buyer.identifier.id": "the council's organisation identifier (an administrator sets it)",
    "tender.title": "the purchase's title",
    "tender.description": "its description",
    "tender.value.amount": "its estimated value",
    "tender.mainProcurementCategory": "its category",
    "tender.procurementMethod": "the procurement route",
    "awards.0.suppliers.0.id": "the awarded supplier",
    "supplier.identifier.id": "the supplier's registration number (on the register entry)",
    "awards.0.value.amount": "the awarded value",
    "awards.0.date": "the date of the award decision",
    "tender.numberOfTenderers": "the bids received",
    "contracts.0.dateSigned": "the date the contract was signed",
    "contracts.0.period.startDate": "the contract's start date",
    "contracts.0.period.endDate": "the contract's end date",
    "contracts.0.value.amount": "the contract's value (the awarded bid's price)",
    "contracts.0.implementation.milestones.0.status": "the KPI assessment's ratings",
    "contracts.0.implementation.milestones.0.description": "the KPI assessment",
    "contracts.0.amendments.0.date": "the date of the change",
    "contracts.0.amendments.0.description": "what the change is",
    "contracts.0.implementation.endDate": "the date the contract ended",
    "contracts.0.implementation.finalValue.amountGross": "the contract's final value",
}
LABELS = {
    "published_on": "Date the notice was published",
    "identifier": "Notice identifier",
}


def _bullets(lines: Iterable[str]) -> Markup:
    """A GOV.UK bulleted list of these lines, each escaped."""
    items = Markup("").join(Markup("<li>{}</li>").format(line) for line in lines)
    return Markup('<ul class="govuk-list govuk-list--bullet">{}</ul>').format(items)


def _tags(state: NoticeState, today: date, out: bool) -> tuple[str, str]:
    """The notice's status in words, and the GOV.UK tag colour that goes with it. `out`: the
    notice is known to be out already (an award notice whose standstill started)."""
    if not state.required:
        return "Not needed", "govuk-tag--grey"
    if state.status is NoticeStatus.PUBLISHED:
        return "Published", "govuk-tag--green"
    if out:
        return "Published: record its identifier", "govuk-tag--blue"
    if state.deadline and state.due_by is not None and state.due_by < today:
        return "Overdue", "govuk-tag--red"
    if state.status is NoticeStatus.READY:
        return "Ready to publish", "govuk-tag--blue"
    return "Draft", "govuk-tag--grey"


def _show(
    page: Page,
    case_id: int,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The notices page; after a refused form, with its errors and what was typed in it."""
    case = cases.get_visible(page.db, case_id=case_id, user=page.me)
    states = notices.overview(page.db, case=case, settings=page.settings)
    today = clock.today()
    needed = [state for state in states if state.required]
    # The award notice's publication is recorded when the standstill starts (with its day, not
    # its identifier), so it only has its identifier to record, on that day.
    out = {
        state.key
        for state in needed
        if state.type is NoticeType.UK6 and case.award_notice_published_on is not None
    }
    values = {
        **{
            f"UK6-published_on-{part}": text
            for part, text in forms.date_parts(case.award_notice_published_on).items()
        },
        **(values or {}),
    }
    return page.render(
        "pages/case_notices.html",
        status_code=errors.status_code if errors else 200,
        title=f"{case.reference}: Procurement Act notices",
        section="cases",
        case=case,
        needed=[
            {
                "state": state,
                "link": Markup('<a class="govuk-link" href="#notice-{}">{} ({})</a>').format(
                    state.key, state.name, state.key
                ),
                "tag": _tags(state, today, state.key in out),
                "out": state.key in out,
                "missing": _bullets(
                    f"{MISSING_WORDS.get(path, path)} ({path})" for path in state.missing
                ),
            }
            for state in needed
        ],
        not_needed=[state for state in states if not state.required],
        manages=not manage_refusal(users.roles_of(page.me)),
        published=sum(state.status is NoticeStatus.PUBLISHED for state in needed),
        errors=errors,
        wrong=errors.by_field if errors else {},
        values=values,
        today=today,
    )


@router.get("", response_class=HTMLResponse)
def notices_page(case_id: int, page: SignedInPage) -> Response:
    """Every notice of the case, for everyone who may read the case."""
    return _show(page, case_id)


@router.get("/{key}.json")
def notice_data(case_id: int, key: str, page: SignedInPage) -> Response:
    """One notice's data, the OCDS release Find a Tender takes, as a file to keep or upload."""
    case = cases.get_visible(page.db, case_id=case_id, user=page.me)
    state = _find(notices.overview(page.db, case=case, settings=page.settings), key)
    return Response(
        json.dumps(state.release, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{case.reference}-{state.key}.json"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _find(states: list[NoticeState], key: str) -> NoticeState:
    """One of the case's notices by key; the key is never echoed back."""
    found = next((state for state in states if state.key == key), None)
    if found is None:
        raise NotFound("this case has no such notice")
    return found


def _to_manage(page: Page, case_id: int, key: str) -> NoticeState:
    """The case and the notice a form is about: whether this person may read the case, then
    whether they may manage notices, then whether the notice exists, in that order."""
    case = cases.get_visible(page.db, case_id=case_id, user=page.me)
    if refusal := manage_refusal(users.roles_of(page.me)):
        raise Forbidden(refusal)
    return _find(notices.overview(page.db, case=case, settings=page.settings), key)


@router.post("/{key}/ready", response_class=HTMLResponse)
def mark_ready(case_id: int, key: str, page: SignedInPage, data: Form) -> Response:
    """Procurement checked the notice is complete."""
    state = _to_manage(page, case_id, key)
    result = page.attempt(
        lambda: notices.mark_ready(
            page.db,
            case=cases.get_for_change(page.db, case_id=case_id, user=page.me),
            user=page.me,
            key=state.key,
            settings=page.settings,
        ),
        LABELS,
    )
    if isinstance(result, FormErrors):
        return _show(page, case_id, errors=_on(result, state.key))
    return page.redirect(
        f"/app/cases/{case_id}/notices#notice-{result.key}",
        flash=f"The {result.name.lower()} ({result.key}) is marked ready to publish",
    )


@router.post("/{key}/published", response_class=HTMLResponse)
def record_published(case_id: int, key: str, page: SignedInPage, data: Form) -> Response:
    """Procurement published the notice on Find a Tender: the day, and its identifier."""
    state = _to_manage(page, case_id, key)
    # Each ready notice has its own form on the page: its fields are named by the notice.
    day, identifier = (f"{state.key}-{name}" for name in LABELS)
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "published_on": forms.day(data, day, LABELS["published_on"], unreadable),
        "identifier": forms.text(data, identifier),
    }
    if not body["identifier"]:
        unreadable.add(identifier, "Enter the notice identifier Find a Tender gave it")
    if unreadable:
        return _show(page, case_id, errors=_on(unreadable, state.key), values=typed(data))
    result = page.attempt(
        lambda: notices.record_published(
            page.db,
            case=cases.get_for_change(page.db, case_id=case_id, user=page.me),
            user=page.me,
            key=state.key,
            published=NoticePublishedIn.model_validate(body),
            settings=page.settings,
        ),
        LABELS,
    )
    if isinstance(result, FormErrors):
        return _show(page, case_id, errors=_on(result, state.key), values=typed(data))
    return page.redirect(
        f"/app/cases/{case_id}/notices#notice-{result.key}",
        flash=f"The {result.name.lower()} ({result.key}) is recorded as published",
    )


def _on(errors: FormErrors, key: str) -> FormErrors:
    """The errors under the names of the notice's own form: a field's beside that field, and
    one about the notice as a whole under its heading (always on the page, whether or not the
    form still is), so the summary links to the notice they are about."""
    placed = FormErrors(status_code=errors.status_code)
    fields = {f"{key}-{name}" for name in LABELS}
    for name, message in errors.by_field.items():
        field = f"{key}-{name}" if name in LABELS else name
        placed.add(field if field in fields else f"notice-{key}", message)
    return placed
