"""Cases: raise, list, read, change, resubmit, name the contract manager."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import Credentials, CurrentUser, SessionDep, SettingsDep, as_signed_in
from api.refusals import ABOUT_A_CASE, CHANGE_TO_A_CASE, CHANGE_WITH_BODY, SIGNED_IN, answers
from api.views import CaseDetail, CaseSummary, case_detail, case_summary
from lifecycle.rules import Stage, Status
from lifecycle.schemas import ContractManagerIn, PurchaseRequestChanges, PurchaseRequestIn
from lifecycle.services import cases

router = APIRouter(prefix="/cases", tags=["cases"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseSummary,
    responses=answers(400, 401, 403, 413, 422),
)
def raise_request(
    body: PurchaseRequestIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseSummary:
    """Raise a purchase request; its stage flow runs in the background."""
    return case_summary(cases.create(session, requester=user, request=body, settings=settings))


@router.get("", response_model=list[CaseSummary], responses=answers(*SIGNED_IN))
def list_cases(
    session: SessionDep,
    user: CurrentUser,
    stage: Stage | None = None,
    status: Status | None = None,
    waiting_on_me: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[CaseSummary]:
    """Cases, newest first; `waiting_on_me` keeps those whose gate you decide."""
    rows = cases.list_(
        session,
        stage=stage,
        status=status,
        waiting_on=user if waiting_on_me else None,
        visible_to=user,
        limit=limit,
        offset=offset,
    )
    return [case_summary(case) for case in rows]


@router.get("/{case_id}", response_model=CaseDetail, responses=answers(*ABOUT_A_CASE))
async def read_case(case_id: int, session: SessionDep, credentials: Credentials) -> CaseDetail:
    """A case with its gates, timeline, documents and flow runs."""
    # Read at volume: signed in and read in one worker thread (api/deps.py, as_signed_in).
    return await as_signed_in(
        session,
        credentials,
        lambda user: case_detail(session, cases.get_visible(session, case_id=case_id, user=user)),
    )


@router.patch(
    "/{case_id}/request",
    response_model=CaseDetail,
    responses=answers(*CHANGE_WITH_BODY),
)
def change_request(
    case_id: int,
    body: PurchaseRequestChanges,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> CaseDetail:
    """The requester edits the request after legal asked for changes."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    cases.update_request(session, case=case, user=user, changes=body, settings=settings)
    return case_detail(session, case)


@router.post(
    "/{case_id}/resubmit",
    response_model=CaseDetail,
    responses=answers(*CHANGE_TO_A_CASE),
)
def resubmit(case_id: int, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """Answer a request for changes; the gate opens again."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    cases.resubmit(session, case=case, user=user)
    return case_detail(session, case)


@router.put(
    "/{case_id}/contract-manager",
    response_model=CaseDetail,
    responses=answers(*CHANGE_WITH_BODY),
)
def name_manager(
    case_id: int,
    body: ContractManagerIn,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> CaseDetail:
    """Name the contract manager (who is told by email); an untrained manager of a key
    contract or one of 500,000 or more raises a training need."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    cases.name_contract_manager(
        session, case=case, user=user, manager_id=body.user_id, settings=settings
    )
    return case_detail(session, case)
