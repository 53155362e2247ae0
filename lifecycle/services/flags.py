"""Flags: what an auditor must see about a case (signed late, started unsigned), raised once
per code with an alert to legal and procurement."""

from sqlmodel import Session, select

from lifecycle.models import Case, Flag
from lifecycle.rules import Role
from lifecycle.services import audit, outbox, users
from notifications import Notification


def raise_flag(session: Session, *, case: Case, code: str, message: str) -> Flag | None:
    """Flag the case once per code, and alert legal and procurement."""
    assert case.id is not None
    if session.exec(select(Flag).where(Flag.case_id == case.id, Flag.code == code)).first():
        return None
    flag = Flag(case_id=case.id, code=code, message=message)
    session.add(flag)
    audit.record(
        session, case=case, actor_id=None, action="case_flagged", code=code, message=message
    )
    alerted = users.with_role(session, role=Role.LEGAL) + users.with_role(
        session, role=Role.PROCUREMENT
    )
    outbox.enqueue_mail(
        session,
        key=f"flag:{code}",
        case=case,
        notification=Notification.CASE_FLAGGED,
        to=alerted,
        flag_message=message,
    )
    return flag


def list_for_case(session: Session, *, case_id: int) -> list[Flag]:
    """The flags raised on a case."""
    return list(session.exec(select(Flag).where(Flag.case_id == case_id)))
