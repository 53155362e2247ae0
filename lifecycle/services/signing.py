"""Signing: the contract's dates, checked against the procurement and the start date."""

from sqlmodel import Session, select

from lifecycle import clock
from lifecycle.errors import Conflict, Forbidden, Invalid
from lifecycle.guards import contract_recording_conflict, contract_recording_refusal
from lifecycle.models import Case, Contract, User, utcnow
from lifecycle.rules import Stage, Status
from lifecycle.schemas import ContractIn
from lifecycle.services import audit, flags, outbox, progress, users
from lifecycle.services.procurement import award_approved_on
from lifecycle.services.progress import document_types


def get_contract(session: Session, *, case_id: int) -> Contract | None:
    """The case's contract, if recorded."""
    return session.exec(select(Contract).where(Contract.case_id == case_id)).first()


def record_contract(session: Session, *, case: Case, user: User, contract: ContractIn) -> Contract:
    """Record signature and contract dates once the signed contract is in the repository.
    Signing on or after the start date needs a reason and flags the case for audit."""
    if refusal := contract_recording_refusal(users.roles_of(user)):
        raise Forbidden(refusal)
    assert case.id is not None and user.id is not None
    if conflict := contract_recording_conflict(
        case.reference,
        Stage(case.stage),
        Status(case.status),
        "contractSigned" in document_types(session, case_id=case.id),
    ):
        raise Conflict(conflict)
    signed = max(contract.supplier_signed_on, contract.council_signed_on)
    if signed > clock.today():
        raise Invalid("signature dates must not be in the future", field="council_signed_on")
    first_signature = min(contract.supplier_signed_on, contract.council_signed_on)
    if first_signature < award_approved_on(session, case_id=case.id):
        raise Invalid(
            "the contract cannot be signed before the award was approved",
            field="supplier_signed_on",
        )
    if case.standstill_last_day and first_signature <= case.standstill_last_day:
        raise Invalid(
            "the contract cannot be signed before the standstill period ended",
            field="supplier_signed_on",
        )
    late = signed >= contract.start_date
    if late and not contract.late_signing_reason:
        raise Invalid(
            "the contract was signed on or after its start date: give late_signing_reason",
            field="late_signing_reason",
        )
    row = get_contract(session, case_id=case.id) or Contract(
        case_id=case.id, recorded_by=user.id, **contract.model_dump()
    )
    for name, value in contract.model_dump().items():
        setattr(row, name, value)
    row.late_signing_reason = contract.late_signing_reason if late else None
    row.recorded_by, row.recorded_at = user.id, utcnow()
    session.add(row)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="contract_recorded",
        start_date=contract.start_date,
        end_date=contract.end_date,
        supplier_signed_on=contract.supplier_signed_on,
        council_signed_on=contract.council_signed_on,
        late_signing_reason=row.late_signing_reason,
    )
    if late:
        flags.raise_flag(
            session,
            case=case,
            code="signed_on_or_after_start",
            message=f"signed {signed} for a contract starting {contract.start_date}: "
            f"{contract.late_signing_reason}",
        )
    progress.set_status(
        session, case=case, status=Status.IN_PROGRESS, actor_id=user.id, action="signing_ready"
    )
    outbox.enqueue_flow_again(session, case=case, stage=Stage.SIGNING, why="contract-recorded")
    return row
