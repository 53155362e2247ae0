"""Loads what the assurance report measures, one record per case that needed a contract."""

from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.assurance import ContractRecord, Measure, assess
from lifecycle.models import AuditEvent, Case, RegisterEntry
from lifecycle.rules import Decision, GateKind, Outcome, Stage, Status, register_missing
from lifecycle.services import progress, register, signing
from lifecycle.settings import Settings


def _entered(session: Session, case_id: int) -> dict[str, AuditEvent]:
    """When the case entered each stage."""
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "stage_entered"
        )
    ).all()
    return {event.to_stage: event for event in events if event.to_stage}


def _complete_on_register(entry: RegisterEntry | None) -> bool:
    """Published (or ended) with every Transparency Code field."""
    return (
        entry is not None
        and entry.status in register.PUBLIC_STATUSES
        and not register_missing(entry.model_dump())
    )


def record_for(session: Session, *, case: Case) -> ContractRecord:
    """The report's view of one case."""
    assert case.id is not None
    entered = _entered(session, case.id)
    legal = progress.latest(session, case_id=case.id, kind=GateKind.LEGAL_CONSULTATION)
    procurement_entered = entered.get(Stage.PROCUREMENT.value)
    legal_first = (
        legal is not None
        and legal.decision == Decision.APPROVE.value
        and legal.decided_at is not None
        and procurement_entered is not None
        and legal.decided_at <= procurement_entered.at
    )
    contract = signing.get_contract(session, case_id=case.id)
    documents = progress.document_types(session, case_id=case.id)
    facts = progress.facts_for(session, case=case)
    signed_before_start = (
        None
        if contract is None
        else max(contract.supplier_signed_on, contract.council_signed_on) < contract.start_date
    )
    overdue = (
        case.stage == Stage.MONITORING.value
        and contract is not None
        and contract.next_review_due is not None
        and contract.next_review_due < clock.today()
    )
    return ContractRecord(
        reference=case.reference,
        value_pence=case.estimated_value_pence,
        key_contract=case.key_contract,
        reached_procurement=procurement_entered is not None,
        legal_before_procurement=legal_first,
        in_force=Stage.MONITORING.value in entered,
        manager_named=case.contract_manager_id is not None,
        register_complete=_complete_on_register(register.get_entry(session, case_id=case.id)),
        signed_before_start=signed_before_start,
        exit_plan="contractArrangements" in documents,
        contract_summary="contractSummary" in documents,
        review_overdue=overdue,
        closed_completed=case.status == Status.CLOSED.value
        and case.outcome == Outcome.COMPLETED.value,
        lessons_recorded=facts.lessons_recorded,
    )


def report(session: Session, *, settings: Settings) -> list[Measure]:
    """The assurance report over every case that needed a contract."""
    contract_cases = session.exec(
        select(Case).where(col(Case.contract).is_(True)).order_by(col(Case.id))
    ).all()
    records = [record_for(session, case=case) for case in contract_cases]
    return assess(records, register_threshold_pence=settings.register_threshold_pence)
