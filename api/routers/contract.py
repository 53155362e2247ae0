"""Signing and monitoring the contract: its dates, reviews, and exit."""

from fastapi import APIRouter, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import CHANGE_WITH_BODY, answers
from api.views import CaseDetail, ContractView, ReviewView, case_detail
from lifecycle.schemas import ContractIn, ExitIn, ReviewIn
from lifecycle.services import cases, monitoring, signing

router = APIRouter(prefix="/cases/{case_id}", tags=["contract"])


@router.put("/contract", response_model=ContractView, responses=answers(*CHANGE_WITH_BODY))
def record_contract(
    case_id: int, body: ContractIn, session: SessionDep, user: CurrentUser
) -> ContractView:
    """Record signature and contract dates; legal's signing confirmation gate opens."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return ContractView.model_validate(
        signing.record_contract(session, case=case, user=user, contract=body)
    )


@router.post(
    "/reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewView,
    responses=answers(*CHANGE_WITH_BODY),
)
def submit_review(
    case_id: int, body: ReviewIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> ReviewView:
    """The contract manager's performance review."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return ReviewView.model_validate(
        monitoring.submit_review(session, case=case, user=user, review=body, settings=settings)
    )


@router.post("/exit", response_model=CaseDetail, responses=answers(*CHANGE_WITH_BODY))
def start_exit(case_id: int, body: ExitIn, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """The contract is ending; the closure gate opens."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    monitoring.start_exit(session, case=case, user=user, exit_in=body)
    return case_detail(session, case)
