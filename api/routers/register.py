"""The contract register: the manager's entry, and the public register (JSON and CSV)."""

from fastapi import APIRouter, Response

from api.deps import CurrentUser, SessionDep
from api.views import RegisterEntryView, register_view
from lifecycle.schemas import RegisterDetailsIn
from lifecycle.services import cases, register

router = APIRouter(tags=["register"])


@router.patch("/cases/{case_id}/register-entry", response_model=RegisterEntryView)
def update_entry(
    case_id: int, body: RegisterDetailsIn, session: SessionDep, user: CurrentUser
) -> RegisterEntryView:
    """The contract manager supplies missing register fields."""
    case = cases.get_for_change(session, case_id=case_id)
    return register_view(register.update_details(session, case=case, user=user, details=body))


@router.post("/cases/{case_id}/register-entry/submit", response_model=RegisterEntryView)
def submit_entry(case_id: int, session: SessionDep, user: CurrentUser) -> RegisterEntryView:
    """Send the entry to procurement for verification."""
    case = cases.get_for_change(session, case_id=case_id)
    return register_view(register.submit(session, case=case, user=user))


@router.get("/register", response_model=list[RegisterEntryView])
def public_register(session: SessionDep) -> list[RegisterEntryView]:
    """The published contract register (no sign-in: it is public)."""
    return [register_view(entry) for entry in register.published(session)]


@router.get("/register.csv")
def public_register_csv(session: SessionDep) -> Response:
    """The published register as the Transparency Code CSV."""
    return Response(
        register.to_csv(register.published(session)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contract-register.csv"'},
    )
