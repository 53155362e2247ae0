"""Moving a case: stage and status changes, each audited, each entry guarded by the rules."""

from typing import Any

from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.errors import Conflict
from lifecycle.guards import stage_conflict
from lifecycle.models import (
    AuditEvent,
    Case,
    Contract,
    Document,
    Gate,
    Lesson,
    RegisterEntry,
    utcnow,
)
from lifecycle.rules import (
    PREPARATIONS,
    CaseFacts,
    Decision,
    GateKind,
    Outcome,
    Route,
    Stage,
    Status,
    entry_problems,
    needs_standstill,
    next_stage,
    prepared_by,
    register_missing,
    stage_path,
)
from lifecycle.runorder import priority_of
from lifecycle.services import audit, outbox, performance
from lifecycle.settings import get_settings


def approved_gates(session: Session, *, case_id: int) -> set[GateKind]:
    """The gate kinds approved on this case."""
    rows = session.exec(
        select(Gate.kind).where(Gate.case_id == case_id, Gate.decision == Decision.APPROVE.value)
    )
    return {GateKind(kind) for kind in rows}


def document_types(session: Session, *, case_id: int) -> set[str]:
    """The OCDS document types held for this case."""
    return set(session.exec(select(Document.document_type).where(Document.case_id == case_id)))


def register_fields(entry: RegisterEntry) -> dict[str, object]:
    """The entry as a plain mapping, for the rules."""
    return entry.model_dump()


def facts_for(session: Session, *, case: Case) -> CaseFacts:
    """Everything the guards need, read from the database in one place."""
    assert case.id is not None
    approved = approved_gates(session, case_id=case.id)
    documents = document_types(session, case_id=case.id)
    contract = session.exec(select(Contract).where(Contract.case_id == case.id)).first()
    entry = session.exec(select(RegisterEntry).where(RegisterEntry.case_id == case.id)).first()
    lesson = session.exec(select(Lesson.id).where(Lesson.case_id == case.id)).first()
    standstill_over = not needs_standstill(Route(case.route)) or (
        case.standstill_last_day is not None and clock.today() > case.standstill_last_day
    )
    return CaseFacts(
        contract=case.contract,
        key_contract=case.key_contract,
        legal_approved=GateKind.LEGAL_CONSULTATION in approved,
        award_approved=GateKind.AWARD_APPROVAL in approved,
        standstill_over=standstill_over,
        signed_contract=contract is not None and "contractSigned" in documents,
        signing_confirmed=GateKind.SIGNING_CONFIRMATION in approved,
        contract_manager=case.contract_manager_id is not None,
        register_complete=entry is not None and not register_missing(register_fields(entry)),
        register_verified=GateKind.REGISTER_VERIFICATION in approved,
        exit_plan="contractArrangements" in documents,
        contract_summary="contractSummary" in documents,
        lessons_recorded=lesson is not None,
    )


def set_status(
    session: Session,
    *,
    case: Case,
    status: Status,
    actor_id: int | None,
    action: str,
    **detail: Any,
) -> None:
    """Change the status inside the current stage, with its audit event."""
    before = case.status
    case.status = status.value
    case.updated_at = utcnow()
    session.add(case)
    audit.record(
        session,
        case=case,
        actor_id=actor_id,
        action=action,
        from_status=before,
        to_status=status.value,
        **detail,
    )


def advance(session: Session, *, case: Case, actor_id: int | None, reason: str) -> Stage | None:
    """Move the case to the next stage on its path and ask for that stage's flow; complete it
    when the path is done. Refused, with the reasons, when the rules do not allow the entry."""
    current = Stage(case.stage)
    if current not in stage_path(case.contract):
        raise Conflict(f"case {case.reference} is in {current.value}, off its path")
    target = next_stage(case.contract, current)
    if target is None:
        close(session, case=case, outcome=Outcome.COMPLETED, actor_id=actor_id, reason=reason)
        return None
    problems = entry_problems(facts_for(session, case=case), target)
    if target is Stage.MONITORING and (
        short := performance.shortfall(session, case=case, settings=get_settings())
    ):
        problems.append(short)  # a contract goes live with its KPIs (Procurement Act s.52)
    if problems:
        raise Conflict(f"the case cannot enter {target.value}: " + "; ".join(problems))
    before_status = case.status
    case.stage = target.value
    case.status = Status.IN_PROGRESS.value
    case.updated_at = utcnow()
    session.add(case)
    audit.record(
        session,
        case=case,
        actor_id=actor_id,
        action="stage_entered",
        from_stage=current.value,
        to_stage=target.value,
        from_status=before_status,
        to_status=case.status,
        reason=reason,
    )
    # A person's decision is awaited; a stage that follows on from a flow is bulk work.
    urgency = priority_of(decided_by_person=actor_id is not None)
    outbox.enqueue_flow(session, case=case, stage=target, trigger="enter", priority=urgency)
    return target


def close(
    session: Session, *, case: Case, outcome: Outcome, actor_id: int | None, reason: str
) -> None:
    """Close the case for good."""
    before = case.status
    case.status = Status.CLOSED.value
    case.outcome = outcome.value
    case.closed_at = case.updated_at = utcnow()
    session.add(case)
    audit.record(
        session,
        case=case,
        actor_id=actor_id,
        action="case_closed",
        from_status=before,
        to_status=case.status,
        outcome=outcome.value,
        reason=reason,
    )


def require_stage(case: Case, *stages: Stage) -> None:
    """Refuse an action that belongs to another stage, or to a closed case."""
    conflict = stage_conflict(case.reference, Stage(case.stage), Status(case.status), *stages)
    if conflict:
        raise Conflict(conflict)


def pending_gate(session: Session, *, case_id: int) -> Gate | None:
    """The gate the case waits on, if any."""
    return session.exec(
        select(Gate)
        .where(Gate.case_id == case_id, Gate.status == "pending")
        .order_by(col(Gate.id).desc())
    ).first()


def list_gates(session: Session, *, case_id: int) -> list[Gate]:
    """Every gate of a case, oldest first."""
    return list(session.exec(select(Gate).where(Gate.case_id == case_id).order_by(col(Gate.id))))


def latest(session: Session, *, case_id: int, kind: GateKind) -> Gate | None:
    """The newest round of one kind of gate."""
    return session.exec(
        select(Gate)
        .where(Gate.case_id == case_id, Gate.kind == kind.value)
        .order_by(col(Gate.round).desc())
    ).first()


def preparers(session: Session, *, case_id: int, kind: GateKind) -> dict[int, str]:
    """Who prepared what a gate of `kind` on this case decides, each with what they did."""
    actions = list(PREPARATIONS.get(kind, {}))
    rows = session.exec(
        select(AuditEvent.actor_id, AuditEvent.action)
        .where(AuditEvent.case_id == case_id, col(AuditEvent.action).in_(actions))
        .order_by(col(AuditEvent.id))
    ).all()
    return prepared_by(kind, rows)
