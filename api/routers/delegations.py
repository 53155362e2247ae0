"""Delegations of gates while someone is away, and handovers of a manager's contracts."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import answers
from api.views import DelegationView, HandoverView, PersonRef
from lifecycle.models import MAX_ID
from lifecycle.schemas import DelegationIn, HandoverIn
from lifecycle.services import delegations, handover

router = APIRouter(tags=["people"])


@router.post(
    "/handovers",
    response_model=HandoverView,
    responses=answers(400, 401, 403, 404, 409, 413, 422),
)
def hand_over(
    body: HandoverIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> HandoverView:
    """Hand a contract manager's live contracts (or one case) to a successor; with
    `deactivate` (admins) the leaver is switched off in the same step."""
    done = handover.hand_over(
        session,
        by=user,
        leaver_id=body.from_user_id,
        successor_id=body.to_user_id,
        case_id=body.case_id,
        deactivate=body.deactivate,
        settings=settings,
    )
    return HandoverView(
        from_user=PersonRef.model_validate(done.leaver),
        to_user=PersonRef.model_validate(done.successor),
        cases=[case.reference for case in done.cases],
        deactivated=done.deactivated,
    )


@router.post(
    "/delegations",
    status_code=status.HTTP_201_CREATED,
    response_model=DelegationView,
    responses=answers(400, 401, 404, 409, 413, 422),
)
def delegate(
    body: DelegationIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> DelegationView:
    """Delegate your gates of one role to a colleague holding it, for a period."""
    row = delegations.create(session, by=user, delegation=body, settings=settings)
    return DelegationView.model_validate(row)


@router.get("/delegations", response_model=list[DelegationView], responses=answers(401))
def my_delegations(session: SessionDep, user: CurrentUser) -> list[DelegationView]:
    """The delegations you gave or received, latest start first."""
    return [DelegationView.model_validate(row) for row in delegations.list_mine(session, me=user)]


@router.post(
    "/delegations/{delegation_id}/withdraw",
    response_model=DelegationView,
    responses=answers(401, 403, 404, 409, 422),
)
def withdraw(
    delegation_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, user: CurrentUser
) -> DelegationView:
    """End a delegation you gave, early or before it starts."""
    row = delegations.withdraw(session, by=user, delegation_id=delegation_id)
    return DelegationView.model_validate(row)
