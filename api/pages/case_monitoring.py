"""The case page's forms for a live contract: a performance review, and starting exit."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.pages import forms
from api.pages.case_forms import Fields, act
from api.pages.case_kpis import review_results
from api.pages.case_view import KPI_ROWS
from api.pages.forms import FormErrors
from api.pages.web import Form, SignedInPage
from lifecycle.schemas import ExitIn, KpiIn, ReviewIn
from lifecycle.services import monitoring

router = APIRouter(prefix="/cases/{case_id}", include_in_schema=False)

REVIEW_FIELDS: Fields = {
    "period_start": ("period_start", "Start of the period"),
    "period_end": ("period_end", "End of the period"),
    "rag": ("rag", "RAG rating"),
    "kpis": ("kpi-1-name", "KPIs"),
    "results": ("review-results", "The contract's KPIs"),
    "notes": ("review_notes", "Notes"),
}
KPI_LABELS = {"name": "KPI", "target": "Target", "result": "Result", "rating": "Rating"}
# Each KPI row's boxes, so that an error found in a row is shown beside its box.
REVIEW_FIELDS.update(
    {
        f"kpi-{row}-{name}": (f"kpi-{row}-{name}", label)
        for row in range(1, KPI_ROWS + 1)
        for name, label in KPI_LABELS.items()
    }
)
EXIT_FIELDS: Fields = {
    "reason": ("exit_reason", "Why the contract is ending"),
    "ended_on": ("ended_on", "Date the contract ended"),
    "notes": ("exit_notes", "Notes"),
}


def _kpis(data: FormData, unreadable: FormErrors) -> list[dict[str, str]]:
    """The KPI rows filled in (empty rows are left out), each checked by the API's KPI model
    so that an error names its own row's box (a row in error is reported, not sent)."""
    rows = []
    for row in range(1, KPI_ROWS + 1):
        kpi = {name: forms.text(data, f"kpi-{row}-{name}") for name in KPI_LABELS}
        if not any(kpi.values()):
            continue
        try:
            KpiIn.model_validate(kpi)
        except ValidationError as exc:
            for name, message in FormErrors.from_exception(exc, KPI_LABELS).by_field.items():
                unreadable.add(f"kpi-{row}-{name}", f"{message} (KPI {row})")
            continue
        rows.append(kpi)
    return rows


@router.post("/reviews")
def submit_review(case_id: int, page: SignedInPage, data: Form) -> Response:
    """The contract manager's performance review of one period."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "period_start": forms.day(data, "period_start", "Start of the period", unreadable),
        "period_end": forms.day(data, "period_end", "End of the period", unreadable),
        "kpis": _kpis(data, unreadable),
        "results": review_results(data),
        "notes": forms.text(data, "review_notes"),
    }
    if rag := forms.text(data, "rag"):
        body["rag"] = rag
    return act(
        page,
        case_id,
        data,
        form="review",
        fields=REVIEW_FIELDS,
        model=lambda: ReviewIn.model_validate(body),
        call=lambda case, review: monitoring.submit_review(
            page.db, case=case, user=page.me, review=review, settings=page.settings
        ),
        done=lambda review: "Performance review submitted",
        ask={"rag": "Select the RAG rating"},
        unreadable=unreadable,
    )


@router.post("/exit")
def start_exit(case_id: int, page: SignedInPage, data: Form) -> Response:
    """The contract is ending: record why and when; the closure decision follows."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "ended_on": forms.day(data, "ended_on", EXIT_FIELDS["ended_on"][1], unreadable),
        "notes": forms.text(data, "exit_notes"),
    }
    if reason := forms.text(data, "exit_reason"):
        body["reason"] = reason
    return act(
        page,
        case_id,
        data,
        form="exit",
        fields=EXIT_FIELDS,
        model=lambda: ExitIn.model_validate(body),
        call=lambda case, exit_in: monitoring.start_exit(
            page.db, case=case, user=page.me, exit_in=exit_in
        ),
        done=lambda case: "Exit started: procurement closes the contract once a lesson is recorded",
        ask={"exit_reason": "Select why the contract is ending"},
        unreadable=unreadable,
    )
