"""The daily reminders of Procurement Act notices not yet published (UK4, UK7, UK9, UK10):
procurement is told as each one's duty arises, as its last day nears and once it has passed,
and, like a gate, the system's admins as well once it is long overdue. Each mail goes once (its
key carries the notice and its deadline). The tender notice has no last day in the Act, so it
is reminded once, as procurement opens. The award notice (UK6) is procurement's "record the
award notice" task, which starts the standstill (services/procurement.py), and the termination
notice (UK11) has its own reminders, to the contract's manager as well (services/termination.py).
A notice whose duty arose longer ago than `notice_reminder_window_days` is not reminded (a
database from before these reminders is not flooded with them); its page still shows it.

Set-based: the cases are read a batch at a time, each batch's facts in one query per kind of
row (columns, not whole rows), so a sweep over 20,000 contracts costs some 80 reads, not a
hundred thousand."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_
from sqlalchemy import select as columns
from sqlmodel import Session, col, exists, select

from lifecycle import clock
from lifecycle.db import among
from lifecycle.models import Case, Notice, RegisterEntry, User
from lifecycle.notices import (
    NAMES,
    NoticeDue,
    NoticeStatus,
    NoticeType,
    deadline_reminder,
    notices,
    overdue,
    publishes_notices,
)
from lifecycle.rules import Outcome, Role, Route, Stage, Status
from lifecycle.services import outbox, users
from lifecycle.services.expiry import cases_by_id
from lifecycle.services.notices import TERMS, CaseTerms, ensure_row, facts_for_cases
from lifecycle.settings import Settings
from notifications import Notification

BATCH = 2_000
# Notices with work of their own elsewhere (see above).
SEPARATE = (NoticeType.UK6, NoticeType.UK11)

NOTICE_ROUTES = [route.value for route in Route if publishes_notices(route)]
# No notice's duty arises before procurement opens.
BEFORE_PROCUREMENT = (Stage.PURCHASE_REQUEST.value, Stage.LEGAL_CONSULTATION.value)


@dataclass(frozen=True)
class Reminder:
    """One reminder to send: the case, the notice, and which of its reminders."""

    case_id: int
    reference: str
    notice: NoticeDue
    part: str

    @property
    def key(self) -> str:
        return f"notice:{self.notice.key}:{self.notice.due_by}:{self.part}"


def _batches(session: Session) -> Iterator[list[tuple[CaseTerms, str]]]:
    """The cases that may owe a notice (what decides their notices, and their reference), a
    batch at a time in id order. A contract imported from an existing register was procured
    before procure (its notices, if any, were published then), so it is left out."""
    imported = exists().where(
        col(RegisterEntry.case_id) == col(Case.id), col(RegisterEntry.source_reference).is_not(None)
    )
    rejected = and_(
        col(Case.status) == Status.CLOSED.value, col(Case.outcome) == Outcome.REJECTED.value
    )
    query = (
        columns(*TERMS, col(Case.reference))
        .where(
            col(Case.route).in_(NOTICE_ROUTES),
            col(Case.stage).not_in(BEFORE_PROCUREMENT),
            ~imported,
            # A procurement abandoned owes none of these (its own notice is not tracked).
            ~rejected,
        )
        .order_by(col(Case.id))
        .limit(BATCH)
    )
    after = 0
    while rows := session.execute(query.where(col(Case.id) > after)).all():
        yield [(CaseTerms(*row[:-1]), row[-1]) for row in rows]
        after = rows[-1][0]


def _statuses(session: Session, case_ids: list[int]) -> dict[tuple[int, str], str]:
    """The status of each of these cases' notice rows, by (case id, key)."""
    rows = session.exec(
        select(Notice.case_id, Notice.key, Notice.status).where(
            among(session, Notice.case_id, case_ids)
        )
    )
    return {(case_id, key): status for case_id, key, status in rows}


def due_reminders(session: Session, *, settings: Settings, today: date) -> list[Reminder]:
    """Every notice reminder due today, sent already or not. Each notice owed that has no row
    yet gets a draft one, so procurement's list of work shows it until it is published."""
    found = []
    since = today - timedelta(days=settings.notice_reminder_window_days)
    for batch in _batches(session):
        terms = [case for case, _ in batch]
        facts = facts_for_cases(session, cases=terms, settings=settings)
        statuses = _statuses(session, [case.id for case in terms])
        for case, reference in batch:
            for notice in notices(facts[case.id]):
                status = statuses.get((case.id, notice.key))
                if notice.type in SEPARATE or status == NoticeStatus.PUBLISHED.value:
                    continue
                if notice.arises_on is not None and notice.arises_on < since:
                    continue
                part = deadline_reminder(
                    notice,
                    today,
                    settings.notice_reminder_days,
                    settings.gate_escalation_working_days,
                )
                if part is None:
                    continue
                found.append(Reminder(case.id, reference, notice, part))
                if status is None:
                    ensure_row(session, case_id=case.id, key=notice.key)
    return found


def remind_due_notices(session: Session, *, settings: Settings) -> int:
    """Mail procurement about every notice whose reminder is due and not yet sent, and the
    admins too where one is escalated. Returns how many mails were added."""
    today = clock.today()
    wanted = due_reminders(session, settings=settings, today=today)
    present = outbox.present_keys(session, full_keys=(f"{i.reference}:{i.key}" for i in wanted))
    due = [item for item in wanted if f"{item.reference}:{item.key}" not in present]
    if not due:
        return 0
    by_id = cases_by_id(session, (item.case_id for item in due))
    procurement = users.with_role(session, role=Role.PROCUREMENT)
    admins: list[User] = (
        users.with_role(session, role=Role.ADMIN)
        if any(item.part == "escalated" for item in due)
        else []
    )
    added = 0
    with session.no_autoflush:  # the keys are new and distinct: written together
        for item in due:
            escalated = item.part == "escalated"
            last = item.notice.due_by if item.notice.deadline else None
            mail = outbox.enqueue_mail(
                session,
                key=item.key,
                case=by_id[item.case_id],
                notification=Notification.NOTICE_DUE,
                to=[*procurement, *(admins if escalated else [])],
                notice_key=item.notice.key,
                notice_name=NAMES[item.notice.type],
                why=item.notice.why,
                due_on=last.isoformat() if last else "",
                days_left=max((last - today).days, 0) if last else 0,
                overdue=overdue(item.notice, today),
                escalated=escalated,
            )
            added += mail is not None
    session.flush()
    return added
