"""The lessons-learned log: any officer adds, anyone searches."""

from sqlmodel import Session, col, select

from lifecycle.access import Area, may_enter
from lifecycle.errors import Forbidden
from lifecycle.models import Case, Lesson, User
from lifecycle.schemas import LessonIn
from lifecycle.services import audit, cases, users


def add(session: Session, *, user: User, lesson: LessonIn) -> Lesson:
    """Log a lesson, optionally about a case."""
    if not may_enter(users.roles_of(user), Area.WRITE_LESSONS):
        raise Forbidden("auditors read the log; officers write it")
    case: Case | None = None
    if lesson.case_id is not None:
        case = cases.get(session, case_id=lesson.case_id)
    assert user.id is not None
    row = Lesson(case_id=lesson.case_id, author_id=user.id, text=lesson.text)
    session.add(row)
    session.flush()
    audit.record(session, case=case, actor_id=user.id, action="lesson_recorded", lesson_id=row.id)
    return row


def search(
    session: Session, *, text: str | None = None, case_id: int | None = None, limit: int = 100
) -> list[Lesson]:
    """Lessons containing `text` (any case), or about one case, newest first."""
    query = select(Lesson)
    if text:
        query = query.where(col(Lesson.text).icontains(text))
    if case_id is not None:
        query = query.where(Lesson.case_id == case_id)
    return list(session.exec(query.order_by(col(Lesson.id).desc()).limit(limit)))
