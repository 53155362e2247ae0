"""Everything kept about one case, as read for its page and its API view: one prebuilt
statement per part (gates, timeline, documents, ...), so a case costs the same number of
queries however long its history, and each query skips building its statement and ORM objects
(at 50 readers those were most of a read's time)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, Table, bindparam, func, select
from sqlmodel import Session, SQLModel

from lifecycle.models import (
    AuditEvent,
    Bid,
    Contract,
    Document,
    Flag,
    FlowRequest,
    Gate,
    RegisterEntry,
    Review,
    User,
)

Row = dict[str, Any]
CASE_ID = bindparam("case_id", type_=Integer)


def _table(model: type[SQLModel]) -> Table:
    """The model's table."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _of_case(model: type[SQLModel]) -> Select[Any]:
    """Every row of `model` for the case, oldest first."""
    table = _table(model)
    return select(table).where(table.c.case_id == CASE_ID).order_by(table.c.id)


_events, _people = _table(AuditEvent), _table(User)
STATEMENTS: dict[str, Select[Any]] = {
    "gates": _of_case(Gate),
    # Each event with its actor's name ("system" for none, as the timeline says).
    "timeline": select(_events, func.coalesce(_people.c.name, "system").label("actor"))
    .outerjoin(_people, _people.c.id == _events.c.actor_id)
    .where(_events.c.case_id == CASE_ID)
    .order_by(_events.c.id),
    "documents": _of_case(Document),
    "flow_runs": _of_case(FlowRequest),
    "bids": _of_case(Bid),
    "contract": _of_case(Contract),
    "register_entry": _of_case(RegisterEntry),
    "reviews": _of_case(Review),
    # Flags in the order they were raised (the database's order before, for the same rows).
    "flags": _of_case(Flag),
}


@dataclass(frozen=True)
class CaseFile:
    """The parts of one case, each row a dict of its columns."""

    gates: list[Row]
    timeline: list[Row]
    documents: list[Row]
    flow_runs: list[Row]
    bids: list[Row]
    contract: Row | None
    register_entry: Row | None
    reviews: list[Row]
    flags: list[Row]


def read(session: Session, *, case_id: int) -> CaseFile:
    """Every part of the case, one query each, as the session's transaction sees them (what
    it changed but has not yet sent is sent first)."""
    session.flush()
    connection = session.connection()
    parts = {
        name: [dict(row) for row in connection.execute(statement, {"case_id": case_id}).mappings()]
        for name, statement in STATEMENTS.items()
    }
    contract, entry = parts.pop("contract"), parts.pop("register_entry")
    return CaseFile(
        **parts,
        contract=contract[0] if contract else None,
        register_entry=entry[0] if entry else None,
    )
