"""New cases for contracts imported from an existing register, written in bulk: a case already
in monitoring, its contract (when the register gives its dates), its published register line,
flags for what the register lacks, and a history that says it was imported, chained as
`audit.record` chains it. A few multi-row INSERTs per batch rather than ORM objects one by one:
two thousand contracts are written in seconds."""

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from lifecycle import clock
from lifecycle.chain import event_hash, genesis
from lifecycle.models import (
    AuditEvent,
    Case,
    Contract,
    Flag,
    ReferenceCounter,
    RegisterEntry,
    User,
    utcnow,
)
from lifecycle.register_import import ImportedContract
from lifecycle.rules import Category, Stage, Status, register_missing, route_for
from lifecycle.services.cases import thresholds
from lifecycle.settings import Settings

NO_MANAGER = "no_contract_manager"
INCOMPLETE = "register_incomplete"
UNSIGNED = "no_signed_contract"
PAST_END = "end_date_passed"
UNSIGNED_MESSAGE = "no signed contract is held: it came from a register, upload the signed copy"


@dataclass(frozen=True)
class NewContract:
    """A row to create, the manager matched to it (if any), and its case reference."""

    row: ImportedContract
    manager: User | None
    reference: str = ""


def flags_for(
    entry: dict[str, Any], row: ImportedContract, manager: User | None, today: date
) -> list[tuple[str, str]]:
    """What a new imported contract is flagged for, as (code, message): no manager, the
    register fields (and the category) the file left empty, no signed contract held, and an
    end date already past (the register does not say whether it was extended or ended)."""
    flags = []
    if manager is None:
        named = "a contract manager who is not one here" if row.manager_name else "no manager"
        flags.append((NO_MANAGER, f"the register names {named}"))
    # The reference is ours to give (not yet, in a dry run); the manager has a flag of its own.
    given = ("reference", "contract_manager_name")
    lacks = [name for name in register_missing(entry) if name not in given]
    if row.category is None:
        lacks.append("category")
    if lacks:
        words = ", ".join(name.replace("_", " ") for name in lacks)
        flags.append((INCOMPLETE, f"the register lacks: {words}"))
    flags.append((UNSIGNED, UNSIGNED_MESSAGE))
    if row.end_date is not None and row.end_date < today:
        flags.append(
            (
                PAST_END,
                f"the register's end date, {row.end_date}, has passed: record what became of it",
            )
        )
    return flags


def first_review(row: ImportedContract, interval: timedelta, today: date) -> date | None:
    """When a live imported contract is first reviewed, as the monitoring stage sets it (from
    its start, or today if it started already); None when its dates are unknown or it ended."""
    if row.start_date is None or row.end_date is None or row.end_date < today:
        return None
    return max(row.start_date, today) + interval


def case_values(new: NewContract, requester_id: int, settings: Settings) -> dict[str, Any]:
    """The case's columns: in monitoring, the importer as its requester."""
    row = new.row
    return {
        "reference": new.reference,
        "ocid": f"{settings.ocid_prefix}-{new.reference}",
        "title": row.title,
        "description": row.description,
        "category": row.category.value if row.category else "",
        "department": row.department or "",
        "estimated_value_pence": row.value_pence,
        # The date it was needed by: its start, else its award (else the day it came in).
        "needed_by": row.start_date or row.awarded_on or clock.today(),
        "contract_required": True,
        "route": route_for(
            row.value_pence, row.category or Category.GOODS, False, thresholds(settings)
        ).value,
        "contract": True,
        "stage": Stage.MONITORING.value,
        "status": Status.IN_PROGRESS.value,
        "requester_id": requester_id,
        "contract_manager_id": new.manager.id if new.manager else None,
    }


def entry_values(new: NewContract, settings: Settings, review: date | None) -> dict[str, Any]:
    """The published register line's columns (its case id set on writing)."""
    row = new.row
    return {
        "status": "published",
        "reference": new.reference,
        "ocid": f"{settings.ocid_prefix}-{new.reference}",
        "title": row.title,
        "department": row.department or "",
        "description": row.description,
        "supplier_name": row.supplier_name,
        "supplier_registration_number": row.supplier_registration_number,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "review_date": row.review_date or review,
        "value_pence": row.value_pence,
        "procurement_process": row.procurement_process,
        "contract_manager_name": new.manager.name if new.manager else None,
        "source_reference": row.reference,
    }


def review_interval(key_contract: bool, settings: Settings) -> timedelta:
    """How often a contract is reviewed (key contracts more often), as monitoring has it."""
    days = settings.key_review_interval_days if key_contract else settings.review_interval_days
    return timedelta(days=days)


def reserve_references(session: Session, *, count: int, settings: Settings) -> list[str]:
    """`count` new case references (PR-YYYY-NNNN), taken in one atomic UPDATE."""
    if count == 0:
        return []
    year = clock.today().year
    if session.get(ReferenceCounter, year) is None:
        # As cases.create: two may race to create the year's counter; the loser carries on.
        with suppress(IntegrityError), session.begin_nested():
            session.add(ReferenceCounter(year=year, last=0))
    last = session.execute(
        update(ReferenceCounter)
        .where(col(ReferenceCounter.year) == year)
        .values(last=col(ReferenceCounter.last) + count)
        .returning(col(ReferenceCounter.last))
    ).scalar_one()
    prefix = settings.reference_prefix
    return [f"{prefix}-{year}-{number:04d}" for number in range(last - count + 1, last + 1)]


def write(
    session: Session, *, batch: Sequence[NewContract], by: User, settings: Settings
) -> list[tuple[int, list[tuple[str, str]]]]:
    """Write one batch of new contracts; returns each one's case id and flags, in order."""
    assert by.id is not None
    now, today = utcnow(), clock.today()
    interval = review_interval(False, settings)
    connection = session.connection()
    cases = _table(Case)
    case_ids = list(
        connection.execute(
            insert(cases).returning(cases.c.id, sort_by_parameter_order=True),
            [
                {**case_values(new, by.id, settings), "created_at": now, "updated_at": now}
                for new in batch
            ],
        ).scalars()
    )
    contracts, entries, flags, events, written = [], [], [], [], []
    for new, case_id in zip(batch, case_ids, strict=True):
        row = new.row
        review = first_review(row, interval, today)
        entry = entry_values(new, settings, review)
        entries.append({**entry, "case_id": case_id, "published_at": now, "updated_at": now})
        if row.start_date and row.end_date:
            contracts.append(
                {
                    "case_id": case_id,
                    "start_date": row.start_date,
                    "end_date": row.end_date,
                    "next_review_due": review,
                    "recorded_by": by.id,
                    "recorded_at": now,
                }
            )
        raised = flags_for(entry, row, new.manager, today)
        flags += [
            {"case_id": case_id, "code": code, "message": message, "raised_at": now}
            for code, message in raised
        ]
        events += _history(case_id, new, review, raised, by.id, now)
        written.append((case_id, raised))
    for model, rows in ((Contract, contracts), (RegisterEntry, entries), (Flag, flags)):
        if rows:
            connection.execute(insert(_table(model)), rows)
    # In order: each case's events are numbered in the order they are chained.
    connection.execute(insert(_table(AuditEvent)), events)
    return written


def _table(model: type[SQLModel]) -> Table:
    """A model's table, for Core's multi-row INSERT (the ORM's costs as much again per row)."""
    return model.__table__  # type: ignore[attr-defined,no-any-return]


def _history(
    case_id: int,
    new: NewContract,
    review: date | None,
    flags: Sequence[tuple[str, str]],
    actor_id: int,
    at: datetime,
) -> list[dict[str, Any]]:
    """A new imported case's first events, chained from the start of its chain: imported
    (with the row and the file's reference), entered monitoring, the manager named, the first
    review scheduled, and each flag raised."""
    monitoring = {"to_stage": Stage.MONITORING.value, "to_status": Status.IN_PROGRESS.value}
    plain = {"from_stage": None, "to_stage": None, "from_status": None, "to_status": None}
    wanted: list[tuple[int | None, str, dict[str, Any], dict[str, Any]]] = [
        (
            actor_id,
            "contract_imported",
            monitoring,
            {
                "row": new.row.row,
                "source_reference": new.row.reference,
                "value_pence": new.row.value_pence,
            },
        ),
        (actor_id, "stage_entered", monitoring, {"reason": "imported"}),
    ]
    if new.manager is not None:
        wanted.append((actor_id, "contract_manager_named", {}, {"manager_id": new.manager.id}))
    if review is not None:
        wanted.append((None, "review_scheduled", {}, {"due_on": review.isoformat()}))
    wanted += [
        (None, "case_flagged", {}, {"code": code, "message": message}) for code, message in flags
    ]
    previous, events = genesis(case_id), []
    for actor, action, moves, detail in wanted:
        columns = {**plain, **moves}
        digest = event_hash(
            previous,
            case_id=case_id,
            actor_id=actor,
            at=at,
            action=action,
            detail=detail,
            **columns,
        )
        events.append(
            {
                "case_id": case_id,
                "actor_id": actor,
                "at": at,
                "action": action,
                **columns,
                "detail": detail,
                "prev_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    return events
