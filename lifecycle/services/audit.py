"""Audit events: written in the same transaction as the change they describe."""

from typing import Any

from sqlmodel import Session

from lifecycle.models import AuditEvent, Case, utcnow


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
    """Add one audit event; `actor_id` None means the system did it."""
    event = AuditEvent(
        case_id=case.id if case else None,
        actor_id=actor_id,
        at=utcnow(),
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        from_status=from_status,
        to_status=to_status,
        detail={k: _plain(v) for k, v in detail.items() if v is not None},
    )
    session.add(event)
    return event


def _plain(value: Any) -> Any:
    """JSON-safe: dates and enums become strings."""
    if isinstance(value, str | int | bool | float | list | dict):
        return value
    return str(value)
