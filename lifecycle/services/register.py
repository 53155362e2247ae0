"""The Transparency Code contract register: drafted from the case, completed by the contract
manager, verified by procurement, published when monitoring starts, marked ended at exit."""

import csv
import io

from sqlmodel import Session, col, select

from lifecycle.errors import Conflict, Forbidden, Invalid
from lifecycle.models import Bid, Case, RegisterEntry, User, utcnow
from lifecycle.rules import PROCUREMENT_PROCESS, Role, Route, Stage, Status, register_missing
from lifecycle.schemas import RegisterDetailsIn
from lifecycle.services import audit, outbox, progress, users
from lifecycle.services.progress import register_fields
from lifecycle.services.signing import get_contract

PUBLIC_STATUSES = ("published", "ended")

CSV_COLUMNS = (
    ("Reference", "reference"),
    ("OCID", "ocid"),
    ("Title", "title"),
    ("Department", "department"),
    ("Description", "description"),
    ("Supplier name", "supplier_name"),
    ("Supplier registration number", "supplier_registration_number"),
    ("SME", "sme"),
    ("VCSE", "vcse"),
    ("Start date", "start_date"),
    ("End date", "end_date"),
    ("Review date", "review_date"),
    ("Value (GBP, whole life)", "value_pence"),
    ("Irrecoverable VAT (GBP)", "irrecoverable_vat_pence"),
    ("Procurement process", "procurement_process"),
    ("Contract manager", "contract_manager_name"),
    ("Status", "status"),
    ("Ended on", "ended_on"),
)


def get_entry(session: Session, *, case_id: int) -> RegisterEntry | None:
    """The case's register entry, if drafted."""
    return session.exec(select(RegisterEntry).where(RegisterEntry.case_id == case_id)).first()


def refresh_draft(session: Session, *, case: Case) -> RegisterEntry:
    """Create or refresh the draft from what the case already knows: nobody retypes it."""
    assert case.id is not None
    entry = get_entry(session, case_id=case.id)
    if entry is None:
        entry = RegisterEntry(
            case_id=case.id,
            reference=case.reference,
            ocid=case.ocid,
            title=case.title,
            department=case.department,
            description=case.description,
            value_pence=case.estimated_value_pence,
            procurement_process=PROCUREMENT_PROCESS[Route(case.route)],
        )
    if entry.status not in ("draft", "submitted"):
        return entry
    bid = session.get(Bid, case.awarded_bid_id) if case.awarded_bid_id else None
    if bid is not None:
        entry.supplier_name = bid.supplier_name
        entry.supplier_registration_number = (
            entry.supplier_registration_number or bid.registration_number
        )
        entry.sme, entry.vcse = bid.sme, bid.vcse
        entry.value_pence = bid.price_pence
    contract = get_contract(session, case_id=case.id)
    if contract is not None:
        entry.start_date, entry.end_date = contract.start_date, contract.end_date
        entry.review_date = entry.review_date or contract.next_review_due
    manager = session.get(User, case.contract_manager_id) if case.contract_manager_id else None
    entry.contract_manager_name = manager.name if manager else None
    entry.irrecoverable_vat_pence = case.irrecoverable_vat_pence
    entry.updated_at = utcnow()
    session.add(entry)
    session.flush()
    return entry


def name_manager(session: Session, *, case: Case, manager: User) -> None:
    """Keep the register's contract manager current, published entries included."""
    assert case.id is not None
    entry = get_entry(session, case_id=case.id)
    if entry is None:
        if case.stage == Stage.REGISTER_ENTRY.value:
            refresh_draft(session, case=case)
        return
    if entry.status == "ended":
        return
    entry.contract_manager_name = manager.name
    entry.updated_at = utcnow()
    session.add(entry)


def _require_manager(case: Case, user: User) -> None:
    """The named contract manager completes the entry (procurement may help)."""
    if user.id != case.contract_manager_id and not users.has_role(user, Role.PROCUREMENT):
        raise Forbidden("only the case's contract manager or procurement edit its register entry")


def update_details(
    session: Session, *, case: Case, user: User, details: RegisterDetailsIn
) -> RegisterEntry:
    """The contract manager supplies the fields the case could not."""
    _require_manager(case, user)
    progress.require_stage(case, Stage.REGISTER_ENTRY)
    if case.status == Status.AWAITING_DECISION.value:
        raise Conflict("the entry is waiting on procurement's verification")
    changes = details.changes()
    if not changes:
        raise Invalid("no register fields were sent")
    entry = refresh_draft(session, case=case)
    if entry.start_date and "review_date" in changes and changes["review_date"] < entry.start_date:
        raise Invalid("review_date must not be before the contract start date", field="review_date")
    for name, value in changes.items():
        setattr(entry, name, value)
    entry.status = "draft"
    session.add(entry)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="register_details_updated",
        fields=sorted(changes),
    )
    return entry


def submit(session: Session, *, case: Case, user: User) -> RegisterEntry:
    """Send a complete entry to procurement for verification."""
    _require_manager(case, user)
    progress.require_stage(case, Stage.REGISTER_ENTRY)
    if case.status == Status.AWAITING_DECISION.value:
        raise Conflict("the entry is already waiting on procurement's verification")
    if case.contract_manager_id is None:
        raise Conflict("name a contract manager first")
    entry = refresh_draft(session, case=case)
    missing = register_missing(register_fields(entry))
    if missing:
        raise Invalid("the register entry is missing: " + ", ".join(missing), field=missing[0])
    entry.status = "submitted"
    session.add(entry)
    progress.set_status(
        session,
        case=case,
        status=Status.IN_PROGRESS,
        actor_id=user.id,
        action="register_submitted",
    )
    outbox.enqueue_flow_again(session, case=case, stage=Stage.REGISTER_ENTRY, why="submitted")
    return entry


def mark_verified(session: Session, *, case: Case) -> None:
    """Procurement verified the submitted entry."""
    assert case.id is not None
    entry = get_entry(session, case_id=case.id)
    if entry is None:
        raise Conflict(f"case {case.reference} has no register entry to verify")
    entry.status = "verified"
    entry.updated_at = utcnow()
    session.add(entry)


def publish(session: Session, *, case: Case) -> RegisterEntry:
    """Publish the verified entry (once)."""
    assert case.id is not None
    entry = get_entry(session, case_id=case.id)
    if entry is None or entry.status not in ("verified", "published"):
        raise Conflict(f"case {case.reference} has no verified register entry to publish")
    if entry.status == "published":
        return entry
    entry.status = "published"
    entry.published_at = entry.updated_at = utcnow()
    session.add(entry)
    audit.record(session, case=case, actor_id=None, action="register_published", ocid=entry.ocid)
    return entry


def mark_ended(session: Session, *, case: Case) -> None:
    """At closure the register shows the contract ended, and when."""
    assert case.id is not None
    entry = get_entry(session, case_id=case.id)
    if entry is None:
        return
    contract = get_contract(session, case_id=case.id)
    entry.status = "ended"
    entry.ended_on = (contract.ended_on if contract else None) or entry.end_date
    entry.updated_at = utcnow()
    session.add(entry)
    audit.record(
        session, case=case, actor_id=None, action="register_ended", ended_on=entry.ended_on
    )


def published(session: Session) -> list[RegisterEntry]:
    """What the public register shows, by reference."""
    return list(
        session.exec(
            select(RegisterEntry)
            .where(col(RegisterEntry.status).in_(PUBLIC_STATUSES))
            .order_by(col(RegisterEntry.reference))
        )
    )


def _cell(name: str, value: object) -> str:
    """One CSV cell: money in pounds, flags as Yes/No, blanks empty."""
    if value is None:
        return ""
    if name.endswith("_pence") and isinstance(value, int):
        return f"{value // 100}.{value % 100:02d}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def to_csv(entries: list[RegisterEntry]) -> str:
    """The register as the Transparency Code CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in CSV_COLUMNS])
    for entry in entries:
        writer.writerow([_cell(name, getattr(entry, name)) for _, name in CSV_COLUMNS])
    return out.getvalue()
