"""The case page: where a case stands, what it waits on and who, its details and history, and
a form for each action open to the person looking. Its forms post to routes of their own
(`case_gates`, `case_procurement`, `case_contract`, `case_monitoring`)."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.pages import (
    case_contract,
    case_ending,
    case_gates,
    case_kpi_change,
    case_kpis,
    case_monitoring,
    case_notices,
    case_procurement,
)
from api.pages.case_view import show
from api.pages.web import SignedInPage
from lifecycle.services import cases, documents

router = APIRouter(prefix="/app", include_in_schema=False)
for forms_router in (
    case_gates,
    case_procurement,
    case_contract,
    case_monitoring,
    case_kpis,
    case_kpi_change,
    case_ending,
    case_notices,
):
    router.include_router(forms_router.router)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: int, page: SignedInPage) -> Response:
    """The case, for everyone allowed to read it (anyone else is refused, as by the API)."""
    return show(page, case_id)


@router.get("/cases/{case_id}/documents/{document_id}")
def download(case_id: int, document_id: int, page: SignedInPage) -> Response:
    """A document's bytes, checked against their SHA-256, with the API's download headers."""
    case = cases.get_visible(page.db, case_id=case_id, user=page.me)
    document = documents.get(page.db, case=case, document_id=document_id)
    return Response(
        documents.read(page.settings, document),
        media_type=document.content_type,
        headers={
            "Content-Disposition": (
                f'attachment; filename="{documents.safe_filename(document.filename)}"'
            ),
            "X-Content-Type-Options": "nosniff",
            "X-Content-SHA256": document.sha256,
        },
    )
