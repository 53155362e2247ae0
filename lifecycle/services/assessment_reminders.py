"""The daily reminders of KPI assessments (Procurement Act 2023 s.71): the manager is told as
one falls due, and the manager and procurement once it is long overdue, like a review. Keys
carry the due date, so each mail goes once; the candidates are read in a few queries however
many contracts are live."""

from datetime import date, timedelta

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from lifecycle import clock
from lifecycle.kpis import assessment_reminders
from lifecycle.models import Case, Contract, User
from lifecycle.rules import Role, Stage, Status
from lifecycle.services import outbox, users
from lifecycle.settings import Settings
from notifications import Notification


def due_by(horizon: date) -> Select[Case, date | None, User]:
    """Live contracts whose assessment falls due by `horizon`, with their managers: one read,
    from the due-date index."""
    return (
        select(Case, col(Contract.next_assessment_due), User)
        .join(Contract, col(Contract.case_id) == Case.id)
        .join(User, col(User.id) == Case.contract_manager_id)
        .where(
            col(Contract.next_assessment_due) <= horizon,
            Case.stage == Stage.MONITORING.value,
            Case.status != Status.CLOSED.value,
        )
    )


def remind_due_assessments(session: Session, *, settings: Settings) -> int:
    """Mail managers whose KPI assessment falls due soon or is late, and escalate those long
    overdue to procurement. Returns how many mails were added."""
    today = clock.today()
    horizon = today + timedelta(days=settings.review_reminder_lead_days)
    rows = session.exec(due_by(horizon)).all()
    managers: dict[int | None, tuple[User, date]] = {}
    wanted: list[tuple[Case, str, bool]] = []
    for case, due, manager in rows:
        assert due is not None  # the query compares it with a day
        managers[case.id] = (manager, due)
        remind, escalate = assessment_reminders(
            due, today, settings.review_reminder_lead_days, settings.review_escalation_days
        )
        if remind:
            wanted.append((case, f"assessment-due:{due}", False))
        if escalate:
            wanted.append((case, f"assessment-overdue:{due}", True))
    queued = outbox.queued_keys(session, keys=[(case, key) for case, key, _ in wanted])
    procurement = users.with_role(session, role=Role.PROCUREMENT) if wanted else []
    sent = 0
    for case, key, escalate in wanted:
        if (case.id, key) in queued:
            continue
        manager, due = managers[case.id]
        context: dict[str, object] = {"due_on": due.isoformat(), "manager_name": manager.name}
        if escalate:
            notification, to = Notification.ASSESSMENT_OVERDUE, [manager, *procurement]
            context["days_overdue"] = (today - due).days
        else:
            notification, to = Notification.ASSESSMENT_DUE, [manager]
        mail = outbox.enqueue_mail(
            session, key=key, case=case, notification=notification, to=to, **context
        )
        sent += mail is not None
    return sent
