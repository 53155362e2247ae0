"""Monitoring a live contract: the review schedule, performance reviews, and starting exit."""

from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from lifecycle import clock
from lifecycle.errors import Conflict, Forbidden, Invalid
from lifecycle.guards import (
    exit_date_problem,
    exit_refusal,
    monitoring_conflict,
    review_refusal,
)
from lifecycle.models import Case, Contract, Flag, Review, User
from lifecycle.rules import Role, Stage, Status
from lifecycle.schemas import ExitIn, ReviewIn
from lifecycle.services import audit, outbox, performance, progress, users
from lifecycle.services.flags import raise_flag
from lifecycle.services.signing import get_contract
from lifecycle.settings import Settings
from notifications import Notification


def review_interval(case: Case, settings: Settings) -> timedelta:
    """Key contracts are reviewed more often."""
    days = settings.key_review_interval_days if case.key_contract else settings.review_interval_days
    return timedelta(days=days)


def _contract(session: Session, case: Case) -> Contract:
    """A monitored case always has its contract."""
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    if contract is None:
        raise Conflict(f"case {case.reference} has no contract recorded")
    return contract


def _live_contract(session: Session, case: Case) -> Contract:
    """The contract of a case in monitoring, where reviews and exit belong."""
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    if conflict := monitoring_conflict(
        case.reference, Stage(case.stage), Status(case.status), contract is not None
    ):
        raise Conflict(conflict)
    assert contract is not None
    return contract


def schedule_first_review(session: Session, *, case: Case, settings: Settings) -> date:
    """Set the first review date when monitoring starts (once)."""
    contract = _contract(session, case)
    if contract.next_review_due is None:
        start = max(contract.start_date, clock.today())
        contract.next_review_due = start + review_interval(case, settings)
        session.add(contract)
        audit.record(
            session,
            case=case,
            actor_id=None,
            action="review_scheduled",
            due_on=contract.next_review_due,
        )
    return contract.next_review_due


def submit_review(
    session: Session, *, case: Case, user: User, review: ReviewIn, settings: Settings
) -> Review:
    """The contract manager's review of one period; the next one is scheduled from it."""
    if refusal := review_refusal(user.id, case.contract_manager_id):
        raise Forbidden(refusal)
    contract = _live_contract(session, case)
    if review.period_end > clock.today():
        raise Invalid("period_end must not be in the future", field="period_end")
    if review.period_start < contract.start_date:
        raise Invalid(
            "period_start must not be before the contract start date", field="period_start"
        )
    assert case.id is not None and user.id is not None
    row = Review(
        case_id=case.id,
        period_start=review.period_start,
        period_end=review.period_end,
        rag=review.rag,
        kpis=[kpi.model_dump() for kpi in review.kpis],
        notes=review.notes,
        submitted_by=user.id,
    )
    session.add(row)
    session.flush()
    # A result for each KPI the contract sets, and at least 3 over the threshold (s.52).
    performance.record_results(session, case=case, review=row, review_in=review, settings=settings)
    contract.next_review_due = max(review.period_end, clock.today()) + review_interval(
        case, settings
    )
    session.add(contract)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="review_submitted",
        review_id=row.id,
        rag=review.rag,
        next_review_due=contract.next_review_due,
    )
    return row


def list_reviews(session: Session, *, case_id: int) -> list[Review]:
    """A case's reviews, oldest first."""
    return list(
        session.exec(select(Review).where(Review.case_id == case_id).order_by(col(Review.id)))
    )


def start_exit(session: Session, *, case: Case, user: User, exit_in: ExitIn) -> Case:
    """The contract is ending: record why and when, and move to exit."""
    if refusal := exit_refusal(user.id, users.roles_of(user), case.contract_manager_id):
        raise Forbidden(refusal)
    contract = _live_contract(session, case)
    today = clock.today()
    if problem := exit_date_problem(exit_in.ended_on, contract.start_date, today, exit_in.reason):
        raise Invalid(problem, field="ended_on")
    contract.ended_on = exit_in.ended_on
    contract.exit_reason = exit_in.reason
    session.add(contract)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="exit_started",
        reason=exit_in.reason,
        ended_on=exit_in.ended_on,
        notes=exit_in.notes or None,
    )
    progress.advance(session, case=case, actor_id=user.id, reason=f"contract {exit_in.reason}")
    return case


def remind_due_reviews(session: Session, *, settings: Settings) -> int:
    """Mail managers whose review falls due soon, and escalate long-overdue ones to
    procurement. Keys carry the due date, so each reminder goes once; the keys already queued
    and the people to tell are read once for all contracts, not once each."""
    today = clock.today()
    horizon = today + timedelta(days=settings.review_reminder_lead_days)
    rows = session.exec(
        select(Case, Contract, User)
        .join(Contract, col(Contract.case_id) == Case.id)
        .join(User, col(User.id) == Case.contract_manager_id)
        .where(
            Case.stage == Stage.MONITORING.value,
            Case.status != Status.CLOSED.value,
            col(Contract.next_review_due).is_not(None),
            col(Contract.next_review_due) <= horizon,
        )
    ).all()
    wanted: list[tuple[Case, str]] = []
    for case, contract, _ in rows:
        due = contract.next_review_due
        assert due is not None
        wanted.append((case, f"review-due:{due}"))
        if (today - due).days >= settings.review_escalation_days:
            wanted.append((case, f"review-overdue:{due}"))
    queued = outbox.queued_keys(session, keys=wanted)
    procurement: list[User] | None = None
    sent = 0
    for case, contract, manager in rows:
        due = contract.next_review_due
        assert due is not None and case.id is not None
        if (case.id, f"review-due:{due}") not in queued and outbox.enqueue_mail(
            session,
            key=f"review-due:{due}",
            case=case,
            notification=Notification.REVIEW_DUE,
            to=[manager],
            due_on=due.isoformat(),
            manager_name=manager.name,
        ):
            sent += 1
        overdue = (today - due).days
        if overdue >= settings.review_escalation_days and (
            (case.id, f"review-overdue:{due}") not in queued
        ):
            if procurement is None:
                procurement = users.with_role(session, role=Role.PROCUREMENT)
            outbox.enqueue_mail(
                session,
                key=f"review-overdue:{due}",
                case=case,
                notification=Notification.REVIEW_OVERDUE,
                to=[manager, *procurement],
                due_on=due.isoformat(),
                days_overdue=overdue,
                manager_name=manager.name,
            )
    return sent


def flag_unsigned_starts(session: Session) -> int:
    """Cases still in signing when the contract should have started (its recorded start date
    or, before one is recorded, the date the purchase was needed by). One query finds them,
    leaving out those already flagged."""
    starts = func.coalesce(Contract.start_date, Case.needed_by)
    already = select(Flag.case_id).where(Flag.code == "started_unsigned")
    rows = session.exec(
        select(Case, starts)
        .outerjoin(Contract, col(Contract.case_id) == Case.id)
        .where(
            Case.stage == Stage.SIGNING.value,
            starts <= clock.today(),
            col(Case.id).not_in(already),
        )
    ).all()
    flagged = 0
    for case, start in rows:
        if raise_flag(
            session,
            case=case,
            code="started_unsigned",
            message=f"the contract was due to start on {start} and signing is not confirmed",
        ):
            flagged += 1
    return flagged
