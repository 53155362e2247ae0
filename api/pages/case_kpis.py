"""The case page's forms for a contract's KPIs: set one, and assess them all (s.71); and the
per-KPI results a performance review form carries."""

import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.pages import forms
from api.pages.case_forms import Fields, act
from api.pages.forms import FormErrors
from api.pages.web import Form, SignedInPage
from lifecycle.schemas import AssessmentIn, ContractKpiIn, FewerKpisIn
from lifecycle.services import performance

router = APIRouter(prefix="/cases/{case_id}", include_in_schema=False)

KPI_FIELDS: Fields = {
    "name": ("kpi_name", "KPI"),
    "measure": ("kpi_measure", "How it is measured"),
    "target": ("kpi_target", "Target"),
}
FEWER_KPIS_FIELDS: Fields = {"reason": ("fewer_kpis_reason", "Why fewer KPIs are appropriate")}
ASSESSMENT_FIELDS: Fields = {
    "period_end": ("assessment_period_end", "Assessed up to"),
    "ratings": ("assessment-ratings", "Ratings"),
    "notes": ("assessment_notes", "Notes"),
}
# A box per KPI, named by its id: more than the API takes is refused by its model.
MAX_KPIS = 50
_RATING = re.compile(r"^rating-(\d{1,10})$")
_RESULT = re.compile(r"^kpiresult-(\d{1,10})$")


def _ids(data: FormData, pattern: re.Pattern[str]) -> list[int]:
    """The KPI ids of the boxes named by `pattern`, in the form's order (a bounded number)."""
    found = [int(match.group(1)) for name in data if (match := pattern.match(name))]
    return found[: MAX_KPIS + 1]


def ratings(data: FormData) -> list[dict[str, Any]]:
    """Each KPI's rating chosen on the assessment form (one left unchosen is left out, and the
    service says which are missing)."""
    chosen = [(kpi_id, forms.text(data, f"rating-{kpi_id}")) for kpi_id in _ids(data, _RATING)]
    return [{"kpi_id": kpi_id, "rating": rating} for kpi_id, rating in chosen if rating]


def review_results(data: FormData) -> list[dict[str, Any]]:
    """Each contract KPI's result and rating typed on the review form (a row left wholly
    empty is left out; the service asks for it by name)."""
    rows = []
    for kpi_id in _ids(data, _RESULT):
        result, rating = (
            forms.text(data, f"kpiresult-{kpi_id}"),
            forms.text(data, f"kpirating-{kpi_id}"),
        )
        if result or rating:
            rows.append({"kpi_id": kpi_id, "result": result, "rating": rating})
    return rows


@router.post("/kpis")
def set_kpi(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Set one of the contract's KPIs."""
    body = {name: forms.text(data, field) for name, (field, _) in KPI_FIELDS.items()}
    return act(
        page,
        case_id,
        data,
        form="kpi",
        fields=KPI_FIELDS,
        model=lambda: ContractKpiIn.model_validate(body),
        call=lambda case, kpi: performance.add_kpi(
            page.db, case=case, user=page.me, kpi=kpi, settings=page.settings
        ),
        done=lambda kpi: f"KPI set: {kpi.name}",
    )


@router.post("/fewer-kpis-reason")
def record_fewer_kpis_reason(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Record, once, why the contract sets fewer KPIs than s.52 asks (procurement)."""
    reason = forms.text(data, "fewer_kpis_reason")
    return act(
        page,
        case_id,
        data,
        form="fewer-kpis",
        fields=FEWER_KPIS_FIELDS,
        model=lambda: FewerKpisIn.model_validate({"reason": reason}),
        call=lambda case, why: performance.record_fewer_kpis_reason(
            page.db, case=case, user=page.me, why=why, settings=page.settings
        ),
        done=lambda case: "Recorded why the contract sets fewer than 3 KPIs",
        ask={"fewer_kpis_reason": "Say why fewer KPIs are appropriate"},
    )


@router.post("/assessments")
def assess(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Rate each of the contract's KPIs with the Procurement Act ratings."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "period_end": forms.day(data, "assessment_period_end", "Assessed up to", unreadable),
        "ratings": ratings(data),
        "notes": forms.text(data, "assessment_notes"),
    }
    return act(
        page,
        case_id,
        data,
        form="assessment",
        fields=ASSESSMENT_FIELDS,
        model=lambda: AssessmentIn.model_validate(body),
        call=lambda case, assessment: performance.assess(
            page.db, case=case, user=page.me, assessment=assessment, settings=page.settings
        ),
        done=lambda rows: "KPI assessment recorded",
        ask={"assessment-ratings": "Rate each KPI"},
        unreadable=unreadable,
    )
