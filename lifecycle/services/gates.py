"""Gates: opened by stage flows (once, whatever reruns), decided over the API (once)."""

from sqlalchemy import bindparam, exists, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from lifecycle import clock
from lifecycle.calendar import add_working_days
from lifecycle.db import get_row
from lifecycle.delegation import gate_refusal
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.models import AuditEvent, Case, Gate, User, utcnow
from lifecycle.rules import (
    ALLOWED_DECISIONS,
    CHANGES_ANSWERED_BY,
    GATE_ROLE,
    PREPARATIONS,
    Decision,
    Effect,
    GateKind,
    Outcome,
    Party,
    Role,
    Route,
    Status,
    closure_problems,
    decision_effect,
    may_decide,
)
from lifecycle.schemas import GateDecisionIn
from lifecycle.services import audit, delegations, outbox, progress, register, users
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


def open_(session: Session, *, case: Case, kind: GateKind, settings: Settings) -> Gate | None:
    """Open the next round of a gate and tell its deciders. Does nothing unless the case is in
    progress and waits on no gate, and once this one was approved: a rerun opens nothing."""
    assert case.id is not None
    if case.status != Status.IN_PROGRESS.value:
        return None
    if progress.pending_gate(session, case_id=case.id) is not None:
        return None
    last = progress.latest(session, case_id=case.id, kind=kind)
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
    outbox.enqueue_mail(
        session,
        key=f"gate:{gate.id}:opened",
        case=case,
        notification=Notification.GATE_OPENED,
        to=deciders(session, case=case, kind=kind),
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
    assert case.id is not None
    prepared = progress.preparers(session, case_id=case.id, kind=kind)
    behalf = None  # the colleague a delegate decides for, segregation checked for both
    if decision.on_behalf_of is not None:
        behalf = delegations.delegator_for(
            session,
            user=user,
            delegator_id=decision.on_behalf_of,
            role=gate.role,
            own=gate_refusal(kind, case.requester_id, prepared),
        )
    elif refusal := may_decide(users.roles_of(user), user.id, case.requester_id, kind, prepared):
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
            decided_for=behalf.id if behalf else None,
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
        decided_by=user.name if behalf else None,
        on_behalf_of=behalf.id if behalf else None,
        on_behalf_of_name=behalf.name if behalf else None,
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


def _record_approval(
    session: Session, *, case: Case, kind: GateKind, decision: GateDecisionIn
) -> None:
    """What an approval records besides the decision itself."""
    if kind is GateKind.LEGAL_CONSULTATION:
        case.contract_type = decision.contract_type
        case.key_contract = bool(decision.key_contract)
        session.add(case)
    if kind is GateKind.REGISTER_VERIFICATION:
        register.mark_verified(session, case=case)


def _carry_out(
    session: Session, *, case: Case, kind: GateKind, user: User, decision: GateDecisionIn
) -> str:
    """Apply what the decision means (see rules.decision_effect); returns the next step,
    for the mail."""
    effect = decision_effect(kind, decision.decision, Route(case.route))
    if effect is Effect.CLOSE:
        progress.close(
            session, case=case, outcome=Outcome.REJECTED, actor_id=user.id, reason=decision.reason
        )
        return "The case is closed."
    if effect is Effect.SEND_BACK:
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
    _record_approval(session, case=case, kind=kind, decision=decision)
    if effect is Effect.AWAIT_AWARD_NOTICE:
        progress.set_status(
            session,
            case=case,
            status=Status.IN_PROGRESS,
            actor_id=user.id,
            action="award_approved",
            awaiting="award notice publication",
        )
        return "Publish the award notice; the standstill period starts on the day it is published."
    entered = progress.advance(
        session, case=case, actor_id=user.id, reason=f"{kind.value} approved"
    )
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
    outbox.enqueue_mail(
        session,
        key=f"gate:{gate.id}:decided",
        case=case,
        notification=Notification.GATE_DECIDED,
        to=users.case_people(session, case=case).everyone,
        gate_label=GATE_LABELS[kind],
        decision=gate.decision,
        decided_by=_decider_name(session, gate=gate, user=user),
        reason=gate.reason or "",
        next_step=next_step,
    )
    if gate.decision != Decision.REQUEST_CHANGES.value:
        return
    outbox.enqueue_mail(
        session,
        key=f"gate:{gate.id}:changes",
        case=case,
        notification=Notification.CHANGES_REQUESTED,
        to=_who_answers_changes(session, case=case, kind=kind),
        gate_label=GATE_LABELS[kind],
        decided_by=_decider_name(session, gate=gate, user=user),
        reason=gate.reason or "",
    )


def _decider_name(session: Session, *, gate: Gate, user: User) -> str:
    """Who decided, and for whom when it was by delegation (both names, for the mail)."""
    behalf = session.get(User, gate.decided_for) if gate.decided_for else None
    return f"{user.name} on behalf of {behalf.name}" if behalf else user.name


def _who_answers_changes(session: Session, *, case: Case, kind: GateKind) -> list[User]:
    """The people behind the party that answers this gate's requests for changes."""
    people = users.case_people(session, case=case)
    match CHANGES_ANSWERED_BY[kind]:
        case Party.PROCUREMENT_TEAM:
            return users.with_role(session, role=Role.PROCUREMENT)
        case Party.CONTRACT_MANAGER if people.manager is not None:
            return [people.manager]
    return [people.requester]


def _deciders_of(kind: GateKind) -> SelectOfScalar[User]:
    """Holders of the gate's role, not the case's requester, and nobody with an event on the
    case that prepared what the gate decides (rules.prepared_by), oldest first."""
    chosen = [users.holding(GATE_ROLE[kind]), col(User.id) != bindparam("requester_id")]
    preparations = list(PREPARATIONS.get(kind, {}))
    if preparations:
        chosen.append(
            ~exists().where(
                col(AuditEvent.case_id) == bindparam("case_id"),
                col(AuditEvent.actor_id) == User.id,
                col(AuditEvent.action).in_(preparations),
            )
        )
    return select(User).where(*chosen).order_by(col(User.id))


# Built once: a case's page asks who may decide its pending gate on every read.
DECIDERS = {kind: _deciders_of(kind) for kind in GateKind}


def deciders(session: Session, *, case: Case, kind: GateKind) -> list[User]:
    """Who may decide a gate of `kind` on this case: holders of its role, not the case's
    requester, and nobody who prepared what it decides (rules.may_decide), oldest first. One
    query, reading only those people."""
    assert case.id is not None
    people = {"case_id": case.id, "requester_id": case.requester_id}
    return list(session.exec(DECIDERS[kind], params=people))


def remind_overdue(session: Session, *, settings: Settings) -> int:
    """Remind deciders of gates past their due date (once per gate), and escalate to the
    system's admins once a gate is `gate_escalation_working_days` overdue. Returns mails added."""
    added = 0
    overdue = session.exec(
        select(Gate, Case).where(
            Gate.status == "pending", Gate.due_on < clock.today(), Gate.case_id == Case.id
        )
    ).all()
    for gate, case in overdue:
        context = {
            "gate_label": GATE_LABELS[GateKind(gate.kind)],
            "opened_on": clock.london_date(gate.opened_at).isoformat(),
            "due_on": gate.due_on.isoformat(),
        }
        people = deciders(session, case=case, kind=GateKind(gate.kind))
        escalate_from = add_working_days(gate.due_on, settings.gate_escalation_working_days)
        for key, to in (
            (f"gate:{gate.id}:reminder", people),
            (
                f"gate:{gate.id}:escalation",
                people + users.with_role(session, role=Role.ADMIN)
                if clock.today() > escalate_from
                else [],
            ),
        ):
            if outbox.enqueue_mail(
                session,
                key=key,
                case=case,
                notification=Notification.GATE_REMINDER,
                to=to,
                **context,
            ):
                added += 1
    return added
