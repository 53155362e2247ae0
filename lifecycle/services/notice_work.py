"""Procurement Act notices owed, as procurement's work: each notice the daily sweep found owed
(its row written then) or that procurement marked ready, until it is recorded as published.
A few reads for the oldest `limit`, however many cases there are. The award notice is the
"record the award notice" task and the termination notice has its own (services/worklist.py,
services/contract_end_work.py)."""

from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.calendar import start_of_day
from lifecycle.models import Case, Notice, User
from lifecycle.notices import NoticeStatus, manage_refusal, notices, overdue, owed_words
from lifecycle.services import users
from lifecycle.services.notice_reminders import SEPARATE
from lifecycle.services.notices import TERMS, CaseTerms, facts_for_cases
from lifecycle.settings import Settings
from lifecycle.worklist import Task, TaskKind


def tasks_for(
    session: Session, *, me: User, settings: Settings, limit: int
) -> tuple[list[Task], bool]:
    """The first `limit` notices owed (in the order they were found owed), for someone who
    manages notices, and whether there are more."""
    if manage_refusal(users.roles_of(me)):
        return [], False
    rows = session.exec(
        select(Notice, Case.reference, Case.title)
        .join(Case, col(Case.id) == col(Notice.case_id))
        .where(
            col(Notice.status) != NoticeStatus.PUBLISHED.value,
            col(Notice.key).not_in([kind.value for kind in SEPARATE]),
        )
        .order_by(col(Notice.id))
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return [], False
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
                due_on=notice.due_by if notice.deadline else None,
                overdue=overdue(notice, today),
                place=f"/notices#notice-{notice.key}",
            )
        )
    return found, more
