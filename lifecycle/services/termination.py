"""Termination before the end date, and the termination notice every ended contract needs
within 30 days of its end (Procurement Act 2023 s.80): its deadline is shown on the case and
reminded (each reminder once) until the notice is recorded as published."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select as columns
from sqlmodel import Session, col

from lifecycle import clock
from lifecycle.calendar import add_working_days
from lifecycle.contract_end import EndState, notice_conflict, notice_refusal
from lifecycle.errors import Conflict, Forbidden, Invalid
from lifecycle.expiry import notice_due_on, notice_reminder_due
from lifecycle.guards import exit_date_problem, exit_refusal
from lifecycle.models import Case, Contract, User
from lifecycle.rules import Role, Route
from lifecycle.schemas import ExitIn, TerminationIn, TerminationNoticeIn
from lifecycle.services import audit, monitoring, outbox, users
from lifecycle.services.expiry import cases_by_id, live_contract, managers_by_id
from lifecycle.services.signing import get_contract
from lifecycle.settings import Settings
from notifications import Notification


@dataclass(frozen=True)
class NoticeState:
    """The contract's end and its termination notice."""

    ended_on: date | None
    exit_reason: str | None
    termination_reason: str | None
    notice_due_on: date | None
    notice_published_on: date | None
    notice_id: str | None
    notice_overdue: bool


def state(session: Session, *, case: Case, settings: Settings) -> NoticeState:
    """Where the contract's end and its notice stand."""
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    if contract is None:
        raise Conflict(f"case {case.reference} has no contract recorded")
    due = (
        notice_due_on(contract.ended_on, settings.termination_notice_days)
        if contract.ended_on
        else None
    )
    return NoticeState(
        ended_on=contract.ended_on,
        exit_reason=contract.exit_reason,
        termination_reason=contract.termination_reason,
        notice_due_on=due,
        notice_published_on=contract.termination_notice_published_on,
        notice_id=contract.termination_notice_id,
        notice_overdue=due is not None
        and contract.termination_notice_published_on is None
        and clock.today() > due,
    )


def terminate(
    session: Session, *, case: Case, user: User, termination: TerminationIn, settings: Settings
) -> Contract:
    """End the contract before its end date, with a reason: it moves to exit (as any exit
    does) and its termination notice falls due."""
    if refusal := exit_refusal(user.id, users.roles_of(user), case.contract_manager_id):
        raise Forbidden(refusal)
    contract = live_contract(session, case)
    if termination.terminated_on >= contract.end_date:
        raise Invalid(
            "terminated_on must be before the contract end date: a contract that runs to its "
            "end expires",
            field="terminated_on",
        )
    if problem := exit_date_problem(
        termination.terminated_on, contract.start_date, clock.today(), "terminated"
    ):
        raise Invalid(problem.replace("ended_on", "terminated_on"), field="terminated_on")
    monitoring.start_exit(
        session,
        case=case,
        user=user,
        exit_in=ExitIn(reason="terminated", ended_on=termination.terminated_on),
    )
    contract.termination_reason = termination.reason
    session.add(contract)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="contract_terminated",
        terminated_on=termination.terminated_on,
        reason=termination.reason,
        notice_due_on=notice_due_on(termination.terminated_on, settings.termination_notice_days),
    )
    return contract


def record_notice(
    session: Session, *, case: Case, user: User, notice: TerminationNoticeIn
) -> Contract:
    """Procurement (or the manager) record the termination notice as published, once."""
    if refusal := notice_refusal(user.id, users.roles_of(user), case.contract_manager_id):
        raise Forbidden(refusal)
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    ended = contract is not None and contract.ended_on is not None
    published = contract is not None and contract.termination_notice_published_on is not None
    if conflict := notice_conflict(
        case.reference, EndState(ended=ended, notice_published=published)
    ):
        raise Conflict(conflict)
    assert contract is not None and contract.ended_on is not None
    if notice.published_on > clock.today():
        raise Invalid("published_on must not be in the future", field="published_on")
    if notice.published_on < contract.ended_on:
        raise Invalid("published_on must not be before the contract ended", field="published_on")
    contract.termination_notice_published_on = notice.published_on
    contract.termination_notice_id = notice.notice_id
    session.add(contract)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="termination_notice_published",
        published_on=notice.published_on,
        notice_id=notice.notice_id,
    )
    return contract


def remind_notices(session: Session, *, settings: Settings) -> int:
    """Remind the manager and procurement of every ended contract whose notice is not yet
    recorded: when it ends, as the deadline nears, once it has passed, and (to the admins as
    well) once it is long overdue; each once."""
    today, days = clock.today(), settings.termination_notice_days
    rows = session.execute(
        columns(
            col(Case.id), col(Case.reference), col(Case.contract_manager_id), col(Contract.ended_on)
        )
        .join(Contract, col(Contract.case_id) == col(Case.id))
        .where(
            col(Contract.ended_on).is_not(None),
            col(Contract.ended_on) <= today,
            col(Contract.termination_notice_published_on).is_(None),
            # s.80 notices are for contracts procured under the Act's full regime (UK11 in
            # lifecycle/notices.py): none is asked of a quote or a below-threshold contract.
            col(Case.route) == Route.ABOVE_THRESHOLD.value,
        )
    ).all()
    wanted: list[tuple[int, str, int | None, date, str]] = []
    for case_id, reference, manager_id, ended_on in rows:
        assert ended_on is not None
        part = notice_reminder_due(ended_on, today, days, settings.termination_notice_reminder_days)
        # Long overdue, it is escalated to the admins, as a gate is (that mail says it is
        # overdue too).
        if today > add_working_days(
            notice_due_on(ended_on, days), settings.gate_escalation_working_days
        ):
            part = "escalated"
        if part is not None:
            wanted.append(
                (case_id, reference, manager_id, ended_on, f"termination-notice:{ended_on}:{part}")
            )
    present = outbox.present_keys(session, full_keys=(f"{item[1]}:{item[4]}" for item in wanted))
    due = [item for item in wanted if f"{item[1]}:{item[4]}" not in present]
    if not due:
        return 0
    procurement = users.with_role(session, role=Role.PROCUREMENT)
    admins = (
        users.with_role(session, role=Role.ADMIN)
        if any(item[4].endswith(":escalated") for item in due)
        else []
    )
    managers = managers_by_id(session, (item[2] for item in due))
    by_id = cases_by_id(session, (item[0] for item in due))
    added = 0
    with session.no_autoflush:  # the keys are new and distinct: written together
        for case_id, _, manager_id, ended_on, key in due:
            last = notice_due_on(ended_on, days)
            manager = managers.get(manager_id or 0)
            escalated = key.endswith(":escalated")
            if outbox.enqueue_mail(
                session,
                key=key,
                case=by_id[case_id],
                notification=Notification.TERMINATION_NOTICE_DUE,
                to=[*([manager] if manager else []), *procurement, *(admins if escalated else [])],
                ended_on=ended_on.isoformat(),
                due_on=last.isoformat(),
                days_left=max((last - today).days, 0),
                overdue=today > last,
                escalated=escalated,
            ):
                added += 1
    session.flush()
    return added
