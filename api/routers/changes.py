"""Changes, renewals and endings of a live contract: variations and their approvals, the
extension option and the expiry decision, termination and its notice (s.80)."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import ABOUT_A_CASE, CHANGE_WITH_BODY, answers
from api.views import (
    ContractView,
    ExpiryDecisionView,
    ExpiryView,
    TerminationView,
    VariationView,
    expiry_view,
    variation_view,
)
from lifecycle.models import MAX_ID
from lifecycle.schemas import (
    ExpiryDecisionIn,
    ExtensionOptionIn,
    TerminationIn,
    TerminationNoticeIn,
    VariationDecisionIn,
    VariationIn,
)
from lifecycle.services import cases, expiry, termination, variations

router = APIRouter(prefix="/cases/{case_id}", tags=["changes"])

VariationId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Reading about a case whose contract is not yet recorded answers 409.
READ_CONTRACT = (*ABOUT_A_CASE, 409)


@router.post(
    "/variations",
    status_code=status.HTTP_201_CREATED,
    response_model=VariationView,
    responses=answers(*CHANGE_WITH_BODY),
)
def propose_variation(
    case_id: int, body: VariationIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> VariationView:
    """The contract manager proposes a change; procurement (and legal, for a large change)
    approve it before the contract changes."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    row = variations.propose(session, case=case, user=user, variation=body, settings=settings)
    return variation_view(session, case, row)


@router.get("/variations", response_model=list[VariationView], responses=answers(*ABOUT_A_CASE))
def list_variations(case_id: int, session: SessionDep, user: CurrentUser) -> list[VariationView]:
    """The case's variations, oldest first, with their approvals."""
    case = cases.get_visible(session, case_id=case_id, user=user)
    assert case.id is not None
    return [
        variation_view(session, case, row) for row in variations.list_(session, case_id=case.id)
    ]


@router.get(
    "/variations/{variation_id}", response_model=VariationView, responses=answers(*ABOUT_A_CASE)
)
def get_variation(
    case_id: int, variation_id: VariationId, session: SessionDep, user: CurrentUser
) -> VariationView:
    """One variation with its approvals."""
    case = cases.get_visible(session, case_id=case_id, user=user)
    return variation_view(
        session, case, variations.get(session, case=case, variation_id=variation_id)
    )


@router.post(
    "/variations/{variation_id}/decision",
    response_model=VariationView,
    responses=answers(*CHANGE_WITH_BODY),
)
def decide_variation(
    case_id: int,
    variation_id: VariationId,
    body: VariationDecisionIn,
    session: SessionDep,
    user: CurrentUser,
) -> VariationView:
    """Give or refuse one approval, in the role named. A given approval answers 409."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    row = variations.decide(
        session,
        case=case,
        variation=variations.get(session, case=case, variation_id=variation_id),
        user=user,
        decision=body,
    )
    return variation_view(session, case, row)


@router.get("/expiry", response_model=ExpiryView, responses=answers(*READ_CONTRACT))
def get_expiry(
    case_id: int, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> ExpiryView:
    """The contract's end date, its alert dates and the decision it needs."""
    case = cases.get_visible(session, case_id=case_id, user=user)
    return expiry_view(expiry.state(session, case=case, settings=settings))


@router.post(
    "/expiry/extension-option", response_model=ContractView, responses=answers(*CHANGE_WITH_BODY)
)
def record_extension_option(
    case_id: int, body: ExtensionOptionIn, session: SessionDep, user: CurrentUser
) -> ContractView:
    """Record until when the contract may be extended."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return ContractView.model_validate(
        expiry.record_option(session, case=case, user=user, option=body)
    )


@router.post(
    "/expiry/decision",
    status_code=status.HTTP_201_CREATED,
    response_model=ExpiryDecisionView,
    responses=answers(*CHANGE_WITH_BODY),
)
def decide_expiry(
    case_id: int,
    body: ExpiryDecisionIn,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> ExpiryDecisionView:
    """Extend, re-procure or let the contract end; one decision per end date (409 after)."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return ExpiryDecisionView.model_validate(
        expiry.decide(session, case=case, user=user, decision=body, settings=settings)
    )


@router.post("/termination", response_model=ContractView, responses=answers(*CHANGE_WITH_BODY))
def terminate(
    case_id: int,
    body: TerminationIn,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> ContractView:
    """End the contract before its end date, with a reason: the case moves to exit and its
    termination notice falls due."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return ContractView.model_validate(
        termination.terminate(session, case=case, user=user, termination=body, settings=settings)
    )


@router.get("/termination", response_model=TerminationView, responses=answers(*READ_CONTRACT))
def get_termination(
    case_id: int, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> TerminationView:
    """How the contract ended and where its termination notice stands."""
    case = cases.get_visible(session, case_id=case_id, user=user)
    return TerminationView.model_validate(termination.state(session, case=case, settings=settings))


@router.post(
    "/termination/notice", response_model=ContractView, responses=answers(*CHANGE_WITH_BODY)
)
def record_termination_notice(
    case_id: int, body: TerminationNoticeIn, session: SessionDep, user: CurrentUser
) -> ContractView:
    """Record the termination notice as published (once); its reminders stop."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return ContractView.model_validate(
        termination.record_notice(session, case=case, user=user, notice=body)
    )
