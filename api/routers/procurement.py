"""Procurement: bids, the award recommendation and the award notice."""

from fastapi import APIRouter, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import CHANGE_WITH_BODY, answers
from api.views import BidView, CaseDetail, case_detail
from lifecycle.schemas import AwardNoticeIn, AwardRecommendationIn, BidIn
from lifecycle.services import cases, procurement

router = APIRouter(prefix="/cases/{case_id}", tags=["procurement"])


@router.post(
    "/bids",
    status_code=status.HTTP_201_CREATED,
    response_model=BidView,
    responses=answers(*CHANGE_WITH_BODY),
)
def add_bid(case_id: int, body: BidIn, session: SessionDep, user: CurrentUser) -> BidView:
    """Record a bid or quote."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return BidView.model_validate(procurement.add_bid(session, case=case, user=user, bid=body))


@router.post(
    "/award-recommendation",
    response_model=CaseDetail,
    responses=answers(*CHANGE_WITH_BODY),
)
def recommend(
    case_id: int, body: AwardRecommendationIn, session: SessionDep, user: CurrentUser
) -> CaseDetail:
    """Recommend a bid; the award-approval gate opens."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    procurement.recommend(session, case=case, user=user, recommendation=body)
    return case_detail(session, case)


@router.post("/award-notice", response_model=CaseDetail, responses=answers(*CHANGE_WITH_BODY))
def award_notice(
    case_id: int,
    body: AwardNoticeIn,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> CaseDetail:
    """Record the award notice's publication; the standstill starts."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    procurement.publish_award_notice(session, case=case, user=user, notice=body, settings=settings)
    return case_detail(session, case)
