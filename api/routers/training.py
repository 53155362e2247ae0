"""Training records and the training needs of the managers of large or complex contracts."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import answers
from api.views import TrainingNeedView, TrainingRecordView
from lifecycle.models import MAX_ID
from lifecycle.schemas import TrainingRecordIn
from lifecycle.services import training

router = APIRouter(tags=["training"])


@router.post(
    "/training-records",
    status_code=status.HTTP_201_CREATED,
    response_model=TrainingRecordView,
    responses=answers(400, 401, 403, 404, 413, 422),
)
def record_training(
    body: TrainingRecordIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> TrainingRecordView:
    """Record a course a person completed (procurement and admins); the needs it answers are
    met at once."""
    row = training.record(session, by=user, training=body, settings=settings)
    return TrainingRecordView.model_validate(row)


@router.get(
    "/training-records",
    response_model=list[TrainingRecordView],
    responses=answers(401, 404, 422),
)
def list_training(
    session: SessionDep,
    user: CurrentUser,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[TrainingRecordView]:
    """Training records, newest first: your own, or anyone's for procurement, admins and
    auditors (optionally one person's)."""
    rows = training.records(session, reader=user, user_id=user_id)
    return [TrainingRecordView.model_validate(row) for row in rows]


@router.get("/training-needs", response_model=list[TrainingNeedView], responses=answers(401, 403))
def training_needs(session: SessionDep, user: CurrentUser) -> list[TrainingNeedView]:
    """Who needs training for which contracts, why and since when, oldest first."""
    return [
        TrainingNeedView.model_validate(need, from_attributes=True)
        for need in training.needs(session, reader=user)
    ]
