"""Procurement Act notices owed, as procurement's work: each notice the daily sweep found owed
(its row written then) or that procurement marked ready, until it is recorded as published.
A few reads for the oldest `limit`, however many cases there are; the termination notice has
its own task (services/contract_end_work.py)."""

from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.calendar import start_of_day
from lifecycle.models import Case, Notice, User
from lifecycle.notices import NoticeStatus, NoticeType, manage_refusal, notices, owed_words
from lifecycle.services import users
from lifecycle.services.notices import TERMS, CaseTerms, facts_for_cases
from lifecycle.settings import Settings
from lifecycle.worklist import Task, TaskKind


def tasks_for(session: Session, *, me: User, settings: Settings, limit: int) -> list[Task]:
    """The oldest `limit` notices owed, for someone who manages notices."""
    if manage_refusal(users.roles_of(me)):
        return []
    rows = session.exec(
        select(Notice, Case.reference, Case.title)
        .join(Case, col(Case.id) == col(Notice.case_id))
        .where(
            col(Notice.status) != NoticeStatus.PUBLISHED.value,
            col(Notice.key) != NoticeType.UK11.value,
        )
        .order_by(col(Notice.id))
        .limit(limit)
    ).all()
    if not rows:
        return []
    terms = session.execute(
        columns(*TERMS).where(col(Case.id).in_({row.case_id for row, _, _ in rows}))
    ).all()
    facts = facts_for_cases(session, cases=[CaseTerms(*term) for term in terms], settings=settings)
    today = clock.today()
    found = []
    for row, reference, title in rows:
        notice = next((n for n in notices(facts[row.case_id]) if n.key == row.key), None)
        if notice is None or not notice.required or notice.arises_on is None:
            continue
        found.append(
            Task(
                case_id=row.case_id,
                reference=reference,
                title=title,
                kind=TaskKind.PUBLISH_NOTICE,
                action=owed_words(notice, NoticeStatus(row.status)),
                since=start_of_day(notice.arises_on),
                due_on=notice.due_by,
                overdue=notice.due_by is not None and today > notice.due_by,
                place=f"/notices#notice-{notice.key}",
            )
        )
    return found
