"""The Transparency Code contract register: drafted from the case, completed by the contract
manager, verified by procurement, published when monitoring starts, marked ended at exit."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from operator import attrgetter
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from lifecycle.errors import Conflict, Forbidden, Invalid
from lifecycle.guards import (
    register_edit_conflict,
    register_editor_refusal,
    register_submit_conflict,
)
from lifecycle.models import Bid, Case, RegisterEntry, User, utcnow
from lifecycle.rules import PROCUREMENT_PROCESS, Route, Stage, Status, register_missing
from lifecycle.schemas import RegisterDetailsIn, RegisterFilter
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
    # Last, so the Transparency Code columns keep their places: the contract's reference in
    # the register it was imported from (a Contracts Finder notice id), to match the two.
    ("Source reference", "source_reference"),
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
        # Value and irrecoverable VAT from one source: the awarded bid once there is one,
        # until then the request's estimate.
        entry.value_pence = bid.price_pence
        entry.irrecoverable_vat_pence = bid.irrecoverable_vat_pence
    else:
        entry.value_pence = case.estimated_value_pence
        entry.irrecoverable_vat_pence = case.irrecoverable_vat_pence
    contract = get_contract(session, case_id=case.id)
    if contract is not None:
        entry.start_date, entry.end_date = contract.start_date, contract.end_date
        entry.review_date = entry.review_date or contract.next_review_due
    manager = session.get(User, case.contract_manager_id) if case.contract_manager_id else None
    entry.contract_manager_name = manager.name if manager else None
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
    if refusal := register_editor_refusal(user.id, users.roles_of(user), case.contract_manager_id):
        raise Forbidden(refusal)


def update_details(
    session: Session, *, case: Case, user: User, details: RegisterDetailsIn
) -> RegisterEntry:
    """The contract manager supplies the fields the case could not."""
    _require_manager(case, user)
    if conflict := register_edit_conflict(case.reference, Stage(case.stage), Status(case.status)):
        raise Conflict(conflict)
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
    if conflict := register_submit_conflict(
        case.reference,
        Stage(case.stage),
        Status(case.status),
        case.contract_manager_id is not None,
    ):
        raise Conflict(conflict)
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


# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# (=HYPERLINK(...), +SUM(...), @SUM(...), a DDE command after a tab or carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def _cell(name: str, value: object) -> str:
    """One CSV cell: money in pounds, flags as Yes/No, blanks empty, and text that a
    spreadsheet would run as a formula kept as text with a leading apostrophe (OWASP's advice
    for CSV injection): the published register is opened in spreadsheets by anyone."""
    if value is None:
        return ""
    if name.endswith("_pence") and isinstance(value, int):
        return f"{value // 100}.{value % 100:02d}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_header() -> str:
    """The CSV's first line: the Transparency Code column names."""
    out = io.StringIO()
    csv.writer(out).writerow([header for header, _ in CSV_COLUMNS])
    return out.getvalue()


def csv_lines(entries: Iterable[Any]) -> str:
    """CSV lines for entries (rows or anything with the register's attribute names). Text
    that needs nothing done (most cells) is written as it is, without a call for each cell:
    at 100,000 entries those calls were half the export's time."""
    names = [name for _, name in CSV_COLUMNS]
    values_of = attrgetter(*names)
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ""
            if value is None
            else value
            if value.__class__ is str and value[:1] not in _FORMULA_FIRST
            else _cell(name, value)
            for name, value in zip(names, values_of(entry), strict=True)
        ]
        for entry in entries
    )
    return out.getvalue()


def to_csv(entries: list[RegisterEntry]) -> str:
    """The register as the Transparency Code CSV."""
    return csv_header() + csv_lines(entries)


# Every sort key is never NULL and case-blind, so SQLite and PostgreSQL order alike and a
# batch can resume after the last (key, id) it sent.
SORT_KEYS: dict[str, Any] = {
    "reference": col(RegisterEntry.reference),
    "title": func.lower(col(RegisterEntry.title)),
    "supplier": func.lower(func.coalesce(col(RegisterEntry.supplier_name), "")),
    "value": col(RegisterEntry.value_pence),
    "start_date": func.coalesce(col(RegisterEntry.start_date), literal(date.max)),
    "end_date": func.coalesce(col(RegisterEntry.end_date), literal(date.max)),
}
SEARCHED = ("reference", "title", "description", "supplier_name", "source_reference")


def _on_sqlite(session: Session) -> bool:
    """Whether the session talks to SQLite."""
    return session.get_bind().dialect.name == "sqlite"


def _contains(column: Any, text: str, *, sqlite: bool) -> ColumnElement[bool]:
    """Case-blind 'contains'. SQLite's LIKE already ignores case (ASCII, as far as its lower()
    goes too), so each row is spared a lower() call; PostgreSQL's LIKE does not."""
    if sqlite:
        return col(column).contains(text, autoescape=True)
    return col(column).icontains(text, autoescape=True)


def _matching(filters: RegisterFilter, *, sqlite: bool) -> list[ColumnElement[bool]]:
    """The WHERE clauses for a filter: published entries only, whatever was asked."""
    conditions: list[ColumnElement[bool]] = [col(RegisterEntry.status).in_(PUBLIC_STATUSES)]
    if filters.q:
        conditions.append(
            or_(
                *(
                    _contains(getattr(RegisterEntry, name), filters.q, sqlite=sqlite)
                    for name in SEARCHED
                )
            )
        )
    if filters.department:
        conditions.append(col(RegisterEntry.department) == filters.department)
    if filters.supplier:
        conditions.append(_contains(RegisterEntry.supplier_name, filters.supplier, sqlite=sqlite))
    bounds = (
        (RegisterEntry.start_date, filters.start_from, filters.start_to),
        (RegisterEntry.end_date, filters.end_from, filters.end_to),
        (RegisterEntry.value_pence, filters.min_value_pence, filters.max_value_pence),
    )
    for column, lowest, highest in bounds:
        if lowest is not None:
            conditions.append(col(column) >= lowest)
        if highest is not None:
            conditions.append(col(column) <= highest)
    return conditions


def _ordering(filters: RegisterFilter) -> tuple[Any, Any]:
    """ORDER BY the chosen key, then by id so equal keys keep one order."""
    key, row_id = SORT_KEYS[filters.sort], col(RegisterEntry.id)
    if filters.order == "desc":
        return key.desc(), row_id.desc()
    return key.asc(), row_id.asc()


def search(
    session: Session, *, filters: RegisterFilter, limit: int | None, offset: int = 0
) -> tuple[list[RegisterEntry], int]:
    """One page of the published register matching `filters` (every match when `limit` is
    None), and how many match in all."""
    conditions = _matching(filters, sqlite=_on_sqlite(session))
    page = select(RegisterEntry).where(*conditions).order_by(*_ordering(filters))
    if filters.q or filters.supplier:
        # Matching text reads every row: count in that same pass rather than a second one.
        # (Without text a separate count is cheaper than counting over every row.)
        counted = session.exec(
            select(RegisterEntry, func.count().over())
            .where(*conditions)
            .order_by(*_ordering(filters))
            .offset(offset)
            .limit(limit)
        ).all()
        if counted or offset == 0:
            return [entry for entry, _ in counted], counted[0][1] if counted else 0
    total = session.exec(select(func.count(col(RegisterEntry.id))).where(*conditions)).one()
    return list(session.exec(page.offset(offset).limit(limit))), total


def departments(session: Session) -> list[str]:
    """The departments that have contracts on the published register, A to Z."""
    return list(
        session.exec(
            select(RegisterEntry.department)
            .where(col(RegisterEntry.status).in_(PUBLIC_STATUSES))
            .distinct()
            .order_by(col(RegisterEntry.department))
        )
    )


def count(session: Session, *, filters: RegisterFilter) -> int:
    """How many published entries match `filters`."""
    conditions = _matching(filters, sqlite=_on_sqlite(session))
    return session.exec(select(func.count(col(RegisterEntry.id))).where(*conditions)).one()


def batches(
    session: Session,
    *,
    filters: RegisterFilter,
    names: Iterable[str],
    size: int = 500,
    offset: int = 0,
) -> Iterator[list[Any]]:
    """The entries matching `filters` in their order, after skipping `offset`, `size` at a
    time as plain rows with the columns `names`: each batch its own query resuming after the
    last entry sent, so the caller may end its transaction in between. No ORM objects: at
    100,000 entries building and then expiring them cost more than the queries. The (key, id)
    to resume after is compared as a row value, so the index on the register's order
    (reference, id) serves each batch."""
    key = SORT_KEYS[filters.sort]
    row_id = col(RegisterEntry.id)
    query = (
        sa_select(*(col(getattr(RegisterEntry, name)).label(name) for name in names))
        .add_columns(row_id.label("_id"), key.label("_sort_key"))
        .where(*_matching(filters, sqlite=_on_sqlite(session)))
        .order_by(*_ordering(filters))
        .limit(size)
    )
    batch = query.offset(offset) if offset else query
    while True:
        rows = list(session.connection().execute(batch))
        if rows:
            yield rows
        if len(rows) < size:
            return
        position, last = tuple_(key, row_id), tuple_(rows[-1]._sort_key, rows[-1]._id)
        batch = query.where(position < last if filters.order == "desc" else position > last)


def csv_batches(
    session: Session, *, filters: RegisterFilter, size: int = 500
) -> Iterator[list[Any]]:
    """The entries matching `filters` for the CSV, `size` at a time (see `batches`)."""
    return batches(session, filters=filters, names=[name for _, name in CSV_COLUMNS], size=size)
