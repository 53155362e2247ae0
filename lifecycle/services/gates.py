"""Gates: opened by stage flows (once, whatever reruns), decided over the API (once)."""

from sqlalchemy import update
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.calendar import add_working_days
from lifecycle.db import get_row
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.models import Case, Gate, RegisterEntry, User, utcnow
from lifecycle.rules import (
    ALLOWED_DECISIONS,
    GATE_ROLE,
    GATE_STAGE,
    Decision,
    GateKind,
    Outcome,
    Route,
    Stage,
    Status,
    closure_problems,
    may_decide,
    needs_standstill,
)
from lifecycle.schemas import GateDecisionIn
from lifecycle.services import audit, outbox, progress, register, users
from lifecycle.services.cases import gbp
from lifecycle.settings import Settings
from notifications import Notification

GATE_LABELS = {
    GateKind.LEGAL_CONSULTATION: "early legal consultation",
    GateKind.AWARD_APPROVAL: "award approval",
    GateKind.SIGNING_CONFIRMATION: "signing confirmation",
    GateKind.REGISTER_VERIFICATION: "register entry verification",
    GateKind.CLOSURE: "contract closure",
}


def list_for_case(session: Session, *, case_id: int) -> list[Gate]:
    """Every gate of a case, oldest first."""
    return list(session.exec(select(Gate).where(Gate.case_id == case_id).order_by(col(Gate.id))))


def latest(session: Session, *, case_id: int, kind: GateKind) -> Gate | None:
    """The newest round of one kind of gate."""
    return session.exec(
        select(Gate)
        .where(Gate.case_id == case_id, Gate.kind == kind.value)
        .order_by(col(Gate.round).desc())
    ).first()


def open_(session: Session, *, case: Case, kind: GateKind, settings: Settings) -> Gate | None:
    """Open the next round of a gate and tell its deciders. Does nothing when the case already
    waits on a gate or this one was approved, so a rerun cannot open a second gate."""
    assert case.id is not None
    if progress.pending_gate(session, case_id=case.id) is not None:
        return None
    last = latest(session, case_id=case.id, kind=kind)
    if last is not None and last.decision == Decision.APPROVE.value:
        return None
    sla = (
        settings.legal_sla_working_days
        if kind is GateKind.LEGAL_CONSULTATION
        else (settings.gate_sla_working_days)
    )
    gate = Gate(
        case_id=case.id,
        kind=kind.value,
        round=(last.round + 1) if last else 1,
        role=GATE_ROLE[kind].value,
        due_on=add_working_days(clock.today(), sla),
    )
    session.add(gate)
    session.flush()
    progress.set_status(
        session,
        case=case,
        status=Status.AWAITING_DECISION,
        actor_id=None,
        action="gate_opened",
        gate=kind.value,
        round=gate.round,
        due_on=gate.due_on,
    )
    requester = session.get(User, case.requester_id)
    deciders = [
        user
        for user in users.with_role(session, role=GATE_ROLE[kind])
        if user.id != case.requester_id
    ]
    outbox.enqueue_mail(
        session,
        key=f"gate:{gate.id}:opened",
        case=case,
        notification=Notification.GATE_OPENED,
        to=deciders,
        gate_label=GATE_LABELS[kind],
        role=gate.role,
        due_on=gate.due_on.isoformat(),
        value_gbp=gbp(case.estimated_value_pence),
        requester_name=requester.name if requester else "",
    )
    return gate


def get(session: Session, *, case: Case, gate_id: int) -> Gate:
    """One gate of this case."""
    gate = get_row(session, Gate, gate_id)
    if gate is None or gate.case_id != case.id:
        raise NotFound(f"case {case.reference} has no gate {gate_id}", field="gate_id")
    return gate


def decide(
    session: Session, *, case: Case, gate: Gate, user: User, decision: GateDecisionIn
) -> Gate:
    """Record a decision and carry it out: the next stage, a request for changes, or closure."""
    kind = GateKind(gate.kind)
    if gate.status != "pending":
        raise Conflict(
            f"the {GATE_LABELS[kind]} gate was already decided ({gate.decision}) "
            f"at {gate.decided_at:%Y-%m-%d %H:%M} UTC"
        )
    assert user.id is not None
    refusal = may_decide(users.roles_of(user), user.id, case.requester_id, kind)
    if refusal:
        raise Forbidden(refusal)
    if decision.decision not in ALLOWED_DECISIONS[kind]:
        raise Invalid(
            f"the {GATE_LABELS[kind]} gate cannot be decided {decision.decision.value}",
            field="decision",
        )
    _check_approval_inputs(session, case=case, kind=kind, decision=decision)
    # The conditional update is the lock: of two concurrent decisions only one changes a row.
    claimed = session.execute(
        update(Gate)
        .where(col(Gate.id) == gate.id, col(Gate.status) == "pending")
        .values(
            status="decided",
            decision=decision.decision.value,
            reason=decision.reason,
            decided_by=user.id,
            decided_at=utcnow(),
        )
    ).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        raise Conflict(f"the {GATE_LABELS[kind]} gate was decided by someone else just now")
    session.refresh(gate)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="gate_decided",
        gate=kind.value,
        round=gate.round,
        decision=decision.decision.value,
        reason=decision.reason or None,
    )
    next_step = _carry_out(session, case=case, kind=kind, user=user, decision=decision)
    _tell_outcome(session, case=case, gate=gate, kind=kind, user=user, next_step=next_step)
    return gate


def _check_approval_inputs(
    session: Session, *, case: Case, kind: GateKind, decision: GateDecisionIn
) -> None:
    """What an approval needs besides the word: legal's contract type, lessons at closure."""
    if decision.decision is not Decision.APPROVE:
        return
    if kind is GateKind.LEGAL_CONSULTATION:
        if not decision.contract_type:
            raise Invalid("legal approval must record the contract type", field="contract_type")
        if decision.key_contract is None:
            raise Invalid(
                "legal approval must say whether it is a key contract", field="key_contract"
            )
    if kind is GateKind.CLOSURE:
        problems = closure_problems(progress.facts_for(session, case=case))
        if problems:
            raise Conflict("the contract cannot be closed: " + "; ".join(problems))


def _carry_out(
    session: Session, *, case: Case, kind: GateKind, user: User, decision: GateDecisionIn
) -> str:
    """Apply the decision to the case; returns what happens next, for the mail."""
    if decision.decision is Decision.REJECT:
        progress.close(
            session, case=case, outcome=Outcome.REJECTED, actor_id=user.id, reason=decision.reason
        )
        return "The case is closed."
    if decision.decision is Decision.REQUEST_CHANGES:
        progress.set_status(
            session,
            case=case,
            status=Status.CHANGES_REQUESTED,
            actor_id=user.id,
            action="changes_requested",
            gate=kind.value,
            reason=decision.reason,
        )
        return "Changes were requested; the gate opens again when they are resubmitted."
    if kind is GateKind.LEGAL_CONSULTATION:
        case.contract_type = decision.contract_type
        case.key_contract = bool(decision.key_contract)
        session.add(case)
    if kind is GateKind.AWARD_APPROVAL and needs_standstill(Route(case.route)):
        progress.set_status(
            session,
            case=case,
            status=Status.IN_PROGRESS,
            actor_id=user.id,
            action="award_approved",
            awaiting="award notice publication",
        )
        return "Publish the award notice; the standstill period starts the day after."
    if kind is GateKind.REGISTER_VERIFICATION:
        entry = session.exec(select(RegisterEntry).where(RegisterEntry.case_id == case.id)).one()
        entry.status = "verified"
        entry.updated_at = utcnow()
        session.add(entry)
    reason = f"{kind.value} approved"
    entered = progress.advance(session, case=case, actor_id=user.id, reason=reason)
    if kind is GateKind.CLOSURE:
        register.mark_ended(session, case=case)
    return (
        f"The case moves to {entered.value.replace('_', ' ')}."
        if entered
        else ("The case is complete.")
    )


def _tell_outcome(
    session: Session, *, case: Case, gate: Gate, kind: GateKind, user: User, next_step: str
) -> None:
    """Mail the requester (and manager) the decision, and whoever must act on changes."""
    requester = session.get(User, case.requester_id)
    manager = session.get(User, case.contract_manager_id) if case.contract_manager_id else None
    told = [person for person in (requester, manager) if person is not None]
    outbox.enqueue_mail(
        session,
        key=f"gate:{gate.id}:decided",
        case=case,
        notification=Notification.GATE_DECIDED,
        to=told,
        gate_label=GATE_LABELS[kind],
        decision=gate.decision,
        decided_by=user.name,
        reason=gate.reason or "",
        next_step=next_step,
    )
    if gate.decision != Decision.REQUEST_CHANGES.value:
        return
    actors = _who_answers_changes(session, case=case, kind=kind)
    outbox.enqueue_mail(
        session,
        key=f"gate:{gate.id}:changes",
        case=case,
        notification=Notification.CHANGES_REQUESTED,
        to=actors,
        gate_label=GATE_LABELS[kind],
        decided_by=user.name,
        reason=gate.reason or "",
    )


def _who_answers_changes(session: Session, *, case: Case, kind: GateKind) -> list[User]:
    """Who must act when a gate sends the case back."""
    requester = session.get(User, case.requester_id)
    manager = session.get(User, case.contract_manager_id) if case.contract_manager_id else None
    if GATE_STAGE[kind] in (Stage.REGISTER_ENTRY, Stage.EXIT) and manager:
        return [manager]
    if kind is GateKind.AWARD_APPROVAL:
        return users.with_role(session, role=GATE_ROLE[kind])
    return [requester] if requester else []
