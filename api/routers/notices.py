"""A case's Procurement Act notices: which are due and by when, ready, published."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import ABOUT_A_CASE, CHANGE_TO_A_CASE, CHANGE_WITH_BODY, answers
from api.views import NoticeView
from lifecycle.schemas import NoticePublishedIn
from lifecycle.services import cases, notices

router = APIRouter(prefix="/cases", tags=["notices"])

NoticeKey = Annotated[
    str, Path(max_length=8, pattern=r"^UK(4|6|7|9|10|11)(-[1-9][0-9]{0,2})?$", examples=["UK6"])
]


@router.get("/{case_id}/notices", response_model=list[NoticeView], responses=answers(*ABOUT_A_CASE))
def list_notices(
    case_id: int, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> list[NoticeView]:
    """Every Procurement Act notice of the case, needed or not, with its due date and status."""
    case = cases.get_visible(session, case_id=case_id, user=user)
    return [
        NoticeView.model_validate(state, from_attributes=True)
        for state in notices.overview(session, case=case, settings=settings)
    ]


@router.post(
    "/{case_id}/notices/{key}/ready",
    response_model=NoticeView,
    responses=answers(*CHANGE_TO_A_CASE),
)
def mark_ready(
    case_id: int, key: NoticeKey, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> NoticeView:
    """Procurement marks a complete notice ready to publish."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    state = notices.mark_ready(session, case=case, user=user, key=key, settings=settings)
    return NoticeView.model_validate(state, from_attributes=True)


@router.post(
    "/{case_id}/notices/{key}/published",
    response_model=NoticeView,
    responses=answers(*CHANGE_WITH_BODY),
)
def record_published(
    case_id: int,
    key: NoticeKey,
    body: NoticePublishedIn,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> NoticeView:
    """Procurement records the notice as published on Find a Tender, with its identifier."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    state = notices.record_published(
        session, case=case, user=user, key=key, published=body, settings=settings
    )
    return NoticeView.model_validate(state, from_attributes=True)
