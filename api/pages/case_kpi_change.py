"""A page of its own to change one of a contract's KPIs: its name, measure or target as they
now read, filled in, and why it changes. The service decides who may and when."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.pages import forms
from api.pages.case_forms import MESSAGE_WORDS
from api.pages.forms import FormErrors
from api.pages.web import Form, Page, SignedInPage
from lifecycle.schemas import KpiChangeIn
from lifecycle.services import cases, performance

router = APIRouter(prefix="/cases/{case_id}/kpis", include_in_schema=False)

# The form's boxes by the model's fields, with the words its errors use.
FIELDS = {
    "name": ("kpi_name", "KPI"),
    "measure": ("kpi_measure", "How it is measured"),
    "target": ("kpi_target", "Target"),
    "reason": ("kpi_reason", "Why it changes"),
}
# The KPI as it read when the form was drawn, carried in hidden fields (by model field).
READ = {"name": "read_name", "measure": "read_measure", "target": "read_target"}
# The service's refusal when the KPI changed after the form was drawn.
CHANGED_MEANWHILE = "kpi_read"


def _form(
    page: Page,
    case_id: int,
    kpi_id: int,
    *,
    typed: dict[str, str] | None = None,
    read: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    """The KPI's form: as it reads now, or as typed after a refusal (with the KPI as it read
    when the form was first drawn, so a change made meanwhile is still caught)."""
    case = cases.get_visible(page.db, case_id=case_id, user=page.me)
    kpi = performance.kpi_to_change(page.db, case=case, user=page.me, kpi_id=kpi_id)
    now = {"name": kpi.name, "measure": kpi.measure, "target": kpi.target}
    values = typed or {FIELDS[name][0]: value for name, value in now.items()}
    return page.render(
        "pages/case_kpi.html",
        status_code=errors.status_code if errors else 200,
        title=f"Change the KPI {kpi.name}",
        section="cases",
        case=case,
        kpi=kpi,
        values=values,
        read={READ[name]: value for name, value in (read or now).items()},
        errors=errors,
    )


def _on_the_form(errors: FormErrors) -> FormErrors:
    """The service's and the model's errors under the form's boxes; one about no box in
    particular (nothing changes) about the form as a whole."""
    placed = FormErrors(status_code=errors.status_code)
    for field, message in errors.by_field.items():
        placed.add(FIELDS[field][0] if field in FIELDS else "form", message)
    return placed


@router.get("/{kpi_id}", response_class=HTMLResponse)
def change_form(case_id: int, kpi_id: int, page: SignedInPage) -> Response:
    """The KPI as it reads now, ready to change."""
    return _form(page, case_id, kpi_id)


@router.post("/{kpi_id}", response_class=HTMLResponse)
def change(case_id: int, kpi_id: int, page: SignedInPage, data: Form) -> Response:
    """Change the KPI; back to the case page, or the form again with what was typed."""
    typed = {box: forms.text(data, box) for box, _ in FIELDS.values()}
    body: dict[str, Any] = {name: typed[box] for name, (box, _) in FIELDS.items()}
    read = {name: forms.text(data, box) for name, box in READ.items()}

    def change_it() -> Any:
        """Check the form, then have the service change the KPI (it locks the case)."""
        case = cases.get_for_change(page.db, case_id=case_id, user=page.me)
        return performance.change_kpi(
            page.db,
            case=case,
            user=page.me,
            kpi_id=kpi_id,
            change=KpiChangeIn.model_validate(body),
            read=read,
        )

    labels = {
        **MESSAGE_WORDS,
        **{name: label for name, (_, label) in FIELDS.items()},
        CHANGED_MEANWHILE: "KPI",
    }
    result = page.attempt(change_it, labels)
    if not isinstance(result, FormErrors):
        return page.redirect(f"/app/cases/{case_id}#kpis", flash=f"KPI changed: {result.name}")
    if result.status_code in (403, 404):
        # Not theirs to change, or no such KPI: the refusal page the form's own address gives.
        return _form(page, case_id, kpi_id)
    if CHANGED_MEANWHILE in result.by_field:
        # Shown afresh, as it now reads, with why.
        errors = FormErrors(status_code=409)
        errors.add("form", result.by_field[CHANGED_MEANWHILE])
        return _form(page, case_id, kpi_id, errors=errors)
    return _form(page, case_id, kpi_id, typed=typed, read=read, errors=_on_the_form(result))
