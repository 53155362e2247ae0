"""Expiry: a contract's extension option, the alerts before its end date asking its manager
and procurement for one decision (extend, re-procure or end), escalation when none is taken
by the last lead time, and the exit of a contract left to end once its end date has passed.
The sweep is set-based: a handful of queries whatever the number of contracts."""

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_
from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.contract_end import EndState, OpenApproval, end_refusal
from lifecycle.errors import Conflict, Forbidden, Invalid
from lifecycle.expiry import (
    ExpiryChoice,
    alert_due,
    earliest_alert_horizon,
    escalation_due,
    expiry_problem,
    lead_dates,
    months_before,
)
from lifecycle.guards import monitoring_conflict
from lifecycle.models import Case, Contract, ExpiryDecision, User, Variation, utcnow
from lifecycle.rules import Role, Stage, Status
from lifecycle.schemas import ExpiryDecisionIn, ExtensionOptionIn, PurchaseRequestIn
from lifecycle.services import audit, cases, outbox, progress, register, users, variations
from lifecycle.services.signing import get_contract
from lifecycle.services.variations import contract_value
from lifecycle.settings import Settings
from lifecycle.variations import ApprovalStatus, VariationStatus
from notifications import Notification


@dataclass(frozen=True)
class ExpiryState:
    """What the case shows about its contract's end: the alert dates, whether the decision is
    still needed, and the decision once taken."""

    end_date: date
    extension_until: date | None
    alerts: list[tuple[int, date]]
    escalates_on: date
    decision_needed: bool
    decision: ExpiryDecision | None


def _refusal(user: User, case: Case) -> str:
    """The contract manager and procurement take the decisions about a contract's end."""
    return end_refusal(user.id, users.roles_of(user), case.contract_manager_id)


def live_contract(session: Session, case: Case) -> Contract:
    """The contract of a case in monitoring."""
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    if conflict := monitoring_conflict(
        case.reference, Stage(case.stage), Status(case.status), contract is not None
    ):
        raise Conflict(conflict)
    assert contract is not None
    return contract


def decision_for(session: Session, *, case_id: int, end_date: date) -> ExpiryDecision | None:
    """The decision taken for this end date, if any."""
    return session.exec(
        select(ExpiryDecision).where(
            ExpiryDecision.case_id == case_id, ExpiryDecision.end_date == end_date
        )
    ).first()


def state(session: Session, *, case: Case, settings: Settings) -> ExpiryState:
    """The contract's end and the decision it needs."""
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    if contract is None:
        raise Conflict(f"case {case.reference} has no contract recorded")
    decided = decision_for(session, case_id=case.id, end_date=contract.end_date)
    leads = settings.expiry_lead_months
    alerts = lead_dates(contract.end_date, leads)
    return ExpiryState(
        end_date=contract.end_date,
        extension_until=contract.extension_until,
        alerts=alerts,
        escalates_on=months_before(contract.end_date, min(leads)),
        # Asked for from the first alert on (a decision may be recorded earlier all the same).
        decision_needed=decided is None
        and case.stage == Stage.MONITORING.value
        and case.status != Status.CLOSED.value
        and min(on for _, on in alerts) <= clock.today(),
        decision=decided,
    )


def record_option(
    session: Session, *, case: Case, user: User, option: ExtensionOptionIn
) -> Contract:
    """Record (or correct) the contract's extension option."""
    if refusal := _refusal(user, case):
        raise Forbidden(refusal)
    contract = live_contract(session, case)
    if option.extension_until <= contract.end_date:
        raise Invalid(
            "extension_until must be after the contract end date", field="extension_until"
        )
    before = contract.extension_until
    contract.extension_until = option.extension_until
    session.add(contract)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="extension_option_recorded",
        extension_until_before=before,
        extension_until=option.extension_until,
    )
    return contract


def decide(
    session: Session, *, case: Case, user: User, decision: ExpiryDecisionIn, settings: Settings
) -> ExpiryDecision:
    """Take the one decision for the contract's end date: extend within the option (contract
    and register change), re-procure (a new case linked to this one, through every stage
    again), or let it end (it moves to exit once its end date has passed)."""
    if refusal := _refusal(user, case):
        raise Forbidden(refusal)
    contract = live_contract(session, case)
    assert case.id is not None and user.id is not None
    taken = decision_for(session, case_id=case.id, end_date=contract.end_date)
    if taken is not None:
        raise Conflict(
            f"the decision for the end date {contract.end_date} was already taken "
            f"({taken.decision}) on {clock.london_date(taken.decided_at)}"
        )
    choice = ExpiryChoice(decision.decision)
    problem, field = expiry_problem(
        choice=choice,
        end_date=contract.end_date,
        extension_until=contract.extension_until,
        new_end_date=decision.new_end_date,
    )
    if problem:
        raise Conflict(problem) if field == "decision" else Invalid(problem, field=field)
    row = ExpiryDecision(
        case_id=case.id,
        end_date=contract.end_date,
        decision=choice.value,
        new_end_date=decision.new_end_date,
        reason=decision.reason,
        decided_by=user.id,
    )
    if choice is ExpiryChoice.REPROCURE:
        row.new_case_id = _reprocure(session, case=case, user=user, settings=settings).id
    session.add(row)
    session.flush()
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="expiry_decided",
        decision=choice.value,
        end_date=contract.end_date,
        new_end_date=decision.new_end_date,
        new_case_id=row.new_case_id,
        reason=decision.reason or None,
    )
    if choice is ExpiryChoice.EXTEND:
        assert decision.new_end_date is not None
        _extend(session, case=case, contract=contract, to=decision.new_end_date, user=user)
    return row


def _extend(session: Session, *, case: Case, contract: Contract, to: date, user: User) -> None:
    """The contract and its register entry take the new end date."""
    assert case.id is not None
    before = contract.end_date
    contract.end_date = to
    session.add(contract)
    entry = register.get_entry(session, case_id=case.id)
    if entry is not None:
        entry.end_date = to
        entry.updated_at = utcnow()
        session.add(entry)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="contract_extended",
        end_date_before=before,
        end_date_after=to,
    )


def _reprocure(session: Session, *, case: Case, user: User, settings: Settings) -> Case:
    """A new purchase request prefilled from this contract, raised by whoever decided (or, if
    they cannot raise requests, by the case's requester): it is routed and goes through legal
    consultation and every later stage like any other."""
    contract = live_contract(session, case)
    people = users.case_people(session, case=case)
    raiser = user
    if Role.REQUESTER not in users.roles_of(user) and people.requester.active:
        raiser = people.requester
    value = contract_value(session, case=case)
    request = PurchaseRequestIn(
        title=f"Re-procurement: {case.title}"[:200],
        description=case.description,
        category=case.category,
        light_touch=case.light_touch,
        department=case.department,
        estimated_value_pence=max(value, 1),
        irrecoverable_vat_pence=min(case.irrecoverable_vat_pence, max(value, 1)),
        needed_by=max(contract.end_date, clock.today()),
        contract_required=True,
    )
    new = cases.create(session, requester=raiser, request=request, settings=settings)
    new.previous_case_id = case.id
    session.add(new)
    audit.record(
        session,
        case=new,
        actor_id=user.id,
        action="reprocurement_opened",
        previous_case_id=case.id,
        previous_reference=case.reference,
    )
    return new


def managers_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    """The managers named, by id, in one query."""
    wanted = {each for each in ids if each is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {user.id: user for user in rows if user.id is not None}


def cases_by_id(session: Session, ids: Iterable[int]) -> dict[int, Case]:
    """The cases of these ids, in one query per 500: only those a mail is written for are
    loaded whole, not every contract the sweep reads."""
    wanted = sorted(set(ids))
    found: dict[int, Case] = {}
    for start in range(0, len(wanted), 500):
        rows = session.exec(select(Case).where(col(Case.id).in_(wanted[start : start + 500])))
        found.update({case.id: case for case in rows if case.id is not None})
    return found


def send_alerts(session: Session, *, settings: Settings) -> int:
    """Ask for the expiry decision at each lead time (once each), and escalate to procurement
    when none is taken by the last. Returns the mails added."""
    today, leads = clock.today(), settings.expiry_lead_months
    # Plain columns, not whole rows: most contracts read here need nothing today.
    rows = session.execute(
        columns(
            col(Case.id),
            col(Case.reference),
            col(Case.contract_manager_id),
            col(Contract.end_date),
            col(Contract.extension_until),
        )
        .join(Contract, col(Contract.case_id) == col(Case.id))
        .outerjoin(
            ExpiryDecision,
            and_(
                col(ExpiryDecision.case_id) == col(Case.id),
                col(ExpiryDecision.end_date) == col(Contract.end_date),
            ),
        )
        .where(
            col(Case.stage) == Stage.MONITORING.value,
            col(Case.status) != Status.CLOSED.value,
            col(Contract.end_date) <= earliest_alert_horizon(today, leads),
            col(ExpiryDecision.id).is_(None),
        )
    ).all()
    wanted: list[tuple[int, str, int | None, date, date | None, str, int, bool]] = []
    for case_id, reference, manager_id, end_date, option in rows:
        months = alert_due(end_date, today, leads)
        if months is None:
            continue
        for key, escalated in (
            (f"expiry:{end_date}:{months}m", False),
            (f"expiry-escalated:{end_date}", True),
        ):
            if not escalated or escalation_due(end_date, today, leads):
                wanted.append(
                    (case_id, reference, manager_id, end_date, option, key, months, escalated)
                )
    present = outbox.present_keys(session, full_keys=(f"{item[1]}:{item[5]}" for item in wanted))
    due = [item for item in wanted if f"{item[1]}:{item[5]}" not in present]
    if not due:
        return 0
    procurement = users.with_role(session, role=Role.PROCUREMENT)
    managers = managers_by_id(session, (item[2] for item in due))
    by_id = cases_by_id(session, (item[0] for item in due))
    added = 0
    # The keys are new (checked above, and distinct): the outbox's own check of each need not
    # flush the mails before it, so they are written together.
    with session.no_autoflush:
        for case_id, _, manager_id, end_date, option, key, months, escalated in due:
            manager = managers.get(manager_id or 0)
            if outbox.enqueue_mail(
                session,
                key=key,
                case=by_id[case_id],
                notification=Notification.CONTRACT_EXPIRING,
                to=[*([manager] if manager else []), *procurement],
                end_date=end_date.isoformat(),
                months=months,
                extension_until=option.isoformat() if option else "",
                escalated=escalated,
            ):
                added += 1
    session.flush()
    return added


def end_expired(session: Session) -> int:
    """Contracts left to end, or re-procured, move to exit once their end date has passed, as
    an exit the manager records would (by the system). Returns how many moved."""
    today = clock.today()
    rows = session.exec(
        select(Case, Contract)
        .join(Contract, col(Contract.case_id) == col(Case.id))
        .join(
            ExpiryDecision,
            and_(
                col(ExpiryDecision.case_id) == col(Case.id),
                col(ExpiryDecision.end_date) == col(Contract.end_date),
            ),
        )
        .where(
            col(Case.stage) == Stage.MONITORING.value,
            col(Case.status) != Status.CLOSED.value,
            col(Contract.end_date) < today,
            col(ExpiryDecision.decision).in_([ExpiryChoice.END, ExpiryChoice.REPROCURE]),
        )
    ).all()
    moved = 0
    for case, contract in rows:
        # One contract the rules keep out of exit (something its monitoring still lacks) must
        # not stop the others: its part rolls back and it waits for a person.
        with suppress(Conflict), session.begin_nested():
            contract.ended_on = contract.end_date
            contract.exit_reason = "expired"
            session.add(contract)
            audit.record(
                session,
                case=case,
                actor_id=None,
                action="exit_started",
                reason="expired",
                ended_on=contract.end_date,
            )
            progress.advance(session, case=case, actor_id=None, reason="contract expired")
            moved += 1
    return moved


def end_state(session: Session, *, case: Case) -> EndState:
    """What the guards of the case page's forms need: the pending variation and its open
    approvals, whether the expiry decision is taken, whether the notice is recorded."""
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    pending = session.exec(
        select(Variation).where(
            Variation.case_id == case.id, Variation.status == VariationStatus.PENDING
        )
    ).first()
    open_approvals: tuple[OpenApproval, ...] = ()
    if pending is not None:
        rows = variations.approvals(session, variation_id=pending.id or 0)
        open_approvals = tuple(
            OpenApproval(
                role=Role(row.role),
                other_approvers=variations.other_approvers(rows, row),
            )
            for row in rows
            if row.status == ApprovalStatus.PENDING
        )
    return EndState(
        pending_variation=pending.number if pending else None,
        proposer_id=pending.proposed_by if pending else None,
        open_approvals=open_approvals,
        expiry_decided=contract is not None
        and decision_for(session, case_id=case.id, end_date=contract.end_date) is not None,
        ended=contract is not None and contract.ended_on is not None,
        notice_published=contract is not None
        and contract.termination_notice_published_on is not None,
    )
