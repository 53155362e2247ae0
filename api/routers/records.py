"""Cross-cutting records: lessons learned, the mail outbox, users."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, SessionDep, SettingsDep, require
from api.refusals import ABOUT_A_CASE, SIGNED_IN, answers
from api.views import (
    LessonView,
    MailView,
    MeasureView,
    UserView,
    mail_view,
    measure_view,
    user_view,
)
from lifecycle.access import Area, may_enter
from lifecycle.models import MAX_ID
from lifecycle.schemas import ONE_LINE, LessonIn
from lifecycle.services import assurance as assurance_service
from lifecycle.services import history, lessons, users

router = APIRouter(tags=["records"])


@router.post(
    "/lessons",
    status_code=status.HTTP_201_CREATED,
    response_model=LessonView,
    responses=answers(400, 401, 403, 404, 413, 422),
)
def add_lesson(body: LessonIn, session: SessionDep, user: CurrentUser) -> LessonView:
    """Log a lesson learned, optionally about a case."""
    return LessonView.model_validate(lessons.add(session, user=user, lesson=body))


@router.get("/lessons", response_model=list[LessonView], responses=answers(*ABOUT_A_CASE))
def search_lessons(
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[str | None, Query(max_length=200, pattern=ONE_LINE)] = None,
    case_id: int | None = None,
) -> list[LessonView]:
    """Search the lessons-learned log."""
    return [
        LessonView.model_validate(row)
        for row in lessons.search(session, reader=user, text=q, case_id=case_id)
    ]


@router.get("/outbox/mail", response_model=list[MailView], responses=answers(*SIGNED_IN))
def list_mail(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[str | None, Query(pattern="^(pending|sent|failed|cancelled)$")] = None,
    # A filter, not a lookup: bounded here so it never reaches a query the database refuses.
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[MailView]:
    """Mail in the outbox: all of it for admins and auditors, your own for everyone else."""
    everyone = may_enter(users.roles_of(user), Area.READ_ALL_MAIL)
    rows = history.mail(
        session, status=status, case_id=case_id, recipient=None if everyone else user.email
    )
    return [mail_view(row, reader=user) for row in rows]


@router.get("/assurance", response_model=list[MeasureView], responses=answers(401, 403))
def assurance(session: SessionDep, user: CurrentUser, settings: SettingsDep) -> list[MeasureView]:
    """The internal-audit view: how far each of the audit's fixes holds, with the cases that
    fall short."""
    return [
        measure_view(measure)
        for measure in assurance_service.report(session, by=user, settings=settings)
    ]


@router.get("/me", response_model=UserView, responses=answers(401))
def me(user: CurrentUser) -> UserView:
    """Who the token belongs to."""
    return user_view(user)


@router.get("/users", response_model=list[UserView], responses=answers(401, 403))
def list_users(session: SessionDep, user: CurrentUser) -> list[UserView]:
    """Every user (admins and auditors)."""
    require(user, Area.READ_USERS)
    return [user_view(row) for row in users.list_(session)]
