"""Audit events: written in the same transaction as the change they describe, each chained to
the case's event before it (lifecycle/chain.py)."""

from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from lifecycle.chain import event_hash, genesis
from lifecycle.models import AuditEvent, Case, utcnow

# Events about no case (user changes) form one chain: on PostgreSQL its appends take this
# advisory lock, as a case's take the case's row lock. (SQLite serialises every writer.)
_NO_CASE_CHAIN_LOCK = 7_148_331


def record(
    session: Session,
    *,
    case: Case | None,
    actor_id: int | None,
    action: str,
    from_stage: str | None = None,
    to_stage: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit event, chained to the case's last; `actor_id` None means the system."""
    case_id = case.id if case else None
    event = AuditEvent(
        case_id=case_id,
        actor_id=actor_id,
        at=utcnow(),
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        from_status=from_status,
        to_status=to_status,
        detail={k: _plain(v) for k, v in detail.items() if v is not None},
    )
    event.prev_hash = _chain_head(session, case_id)
    event.hash = event_hash(
        event.prev_hash,
        case_id=case_id,
        actor_id=actor_id,
        at=event.at,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        from_status=from_status,
        to_status=to_status,
        detail=event.detail,
    )
    session.add(event)
    # Written now, so the next event of this transaction chains to this one.
    session.flush()
    return event


def _chain_head(session: Session, case_id: int | None) -> str:
    """The hash of the chain's last event, with the chain locked so no other transaction can
    append between reading it and adding to it."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and case_id is not None:
        session.exec(select(Case.id).where(Case.id == case_id).with_for_update())
    elif postgres:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NO_CASE_CHAIN_LOCK})
    same_chain = (
        AuditEvent.case_id == case_id if case_id is not None else col(AuditEvent.case_id).is_(None)
    )
    head = session.exec(
        select(AuditEvent.hash).where(same_chain).order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    return head or genesis(case_id)


def _plain(value: Any) -> Any:
    """JSON-safe: dates and enums become strings."""
    if isinstance(value, str | int | bool | float | list | dict):
        return value
    return str(value)
