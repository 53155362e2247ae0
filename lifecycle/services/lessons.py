"""The lessons-learned log: any officer adds, anyone searches."""

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, true
from sqlmodel import Session, col, select

from lifecycle.access import Area, may_enter
from lifecycle.errors import Forbidden
from lifecycle.models import Case, Lesson, User
from lifecycle.schemas import LessonIn
from lifecycle.services import audit, cases, users

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _searchable(text: str | None) -> str | None:
    """The words to look for: control characters cannot be in a lesson (nor reach
    PostgreSQL, which refuses a NUL), so they are dropped from a search."""
    cleaned = _CONTROL.sub("", text or "").strip()
    return cleaned or None


def add(session: Session, *, user: User, lesson: LessonIn) -> Lesson:
    """Log a lesson, optionally about a case."""
    if not may_enter(users.roles_of(user), Area.WRITE_LESSONS):
        raise Forbidden("auditors read the log; officers write it")
    case: Case | None = None
    if lesson.case_id is not None:
        # Only a case the author may read: otherwise a lesson could satisfy another team's
        # closure rule, and the answer would tell whether the case exists.
        case = cases.get_visible(session, case_id=lesson.case_id, user=user)
    assert user.id is not None
    row = Lesson(case_id=lesson.case_id, author_id=user.id, text=lesson.text)
    session.add(row)
    session.flush()
    audit.record(session, case=case, actor_id=user.id, action="lesson_recorded", lesson_id=row.id)
    return row


def search(
    session: Session,
    *,
    reader: User,
    text: str | None = None,
    case_id: int | None = None,
    limit: int = 100,
) -> list[Lesson]:
    """Lessons containing `text` (any case), or about one case the reader may read (another
    case is not found, as if it did not exist), newest first."""
    if case_id is not None:
        cases.get_visible(session, case_id=case_id, user=reader)
    text = _searchable(text)
    query = select(Lesson)
    if text:
        # autoescape: a % or _ the reader typed is that character, not a wildcard.
        query = query.where(col(Lesson.text).icontains(text, autoescape=True))
    if case_id is not None:
        query = query.where(Lesson.case_id == case_id)
    return list(session.exec(query.order_by(col(Lesson.id).desc()).limit(limit)))


@dataclass(frozen=True)
class LoggedLesson:
    """A lesson as the log shows it: with its author's name and its case's reference."""

    lesson: Lesson
    author_name: str
    case_reference: str | None


def log(
    session: Session,
    *,
    reader: User,
    text: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[LoggedLesson], int]:
    """One page of the log, newest first, matching `text` in the lesson, its author or its
    case reference; and how many match in all. Every officer learns from every lesson, but a
    case's reference is shown (and searched) only where the reader may read that case."""
    readable = _readable_case(reader)
    text = _searchable(text)
    conditions: list[ColumnElement[bool]] = []
    if text:
        conditions.append(
            or_(
                col(Lesson.text).icontains(text, autoescape=True),
                col(User.name).icontains(text, autoescape=True),
                col(Case.reference).icontains(text, autoescape=True) & readable,
            )
        )
    joined = (
        select(Lesson, User.name, Case.reference, readable)
        .join(User, col(Lesson.author_id) == col(User.id))
        .join(Case, col(Lesson.case_id) == col(Case.id), isouter=True)
        .where(*conditions)
    )
    total = session.exec(
        select(func.count(col(Lesson.id)))
        .select_from(Lesson)
        .join(User, col(Lesson.author_id) == col(User.id))
        .join(Case, col(Lesson.case_id) == col(Case.id), isouter=True)
        .where(*conditions)
    ).one()
    rows = session.exec(
        joined.order_by(col(Lesson.created_at).desc(), col(Lesson.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        LoggedLesson(lesson, author, reference if may else None)
        for lesson, author, reference, may in rows
    ], total


def _readable_case(reader: User) -> ColumnElement[bool]:
    """In SQL, `cases.may_read`: the reader's teams see every case, others the cases that
    name them."""
    if may_enter(users.roles_of(reader), Area.ALL_CASES):
        return true()
    return (col(Case.requester_id) == reader.id) | (col(Case.contract_manager_id) == reader.id)
