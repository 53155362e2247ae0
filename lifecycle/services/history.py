"""Reading what happened: a case's timeline, its flow runs, the mail outbox."""

from sqlmodel import Session, col, select

from lifecycle.models import AuditEvent, FlowRequest, Mail, User


def timeline(session: Session, *, case_id: int) -> list[tuple[AuditEvent, User | None]]:
    """Every audit event of a case with its actor (None for the system), oldest first."""
    rows = session.exec(
        select(AuditEvent, User)
        .join(User, col(AuditEvent.actor_id) == col(User.id), isouter=True)
        .where(AuditEvent.case_id == case_id)
        .order_by(col(AuditEvent.id))
    ).all()
    return [(event, user) for event, user in rows]


def flow_runs(session: Session, *, case_id: int) -> list[FlowRequest]:
    """The stage flow runs asked for on a case, oldest first."""
    return list(
        session.exec(
            select(FlowRequest).where(FlowRequest.case_id == case_id).order_by(col(FlowRequest.id))
        )
    )


def mail(
    session: Session,
    *,
    status: str | None = None,
    recipient: str | None = None,
    case_id: int | None = None,
    limit: int = 200,
) -> list[Mail]:
    """Outbox mail, newest first, optionally only one status, one recipient or one case."""
    query = select(Mail)
    if status:
        query = query.where(Mail.status == status)
    if case_id is not None:
        query = query.where(Mail.case_id == case_id)
    query = query.order_by(col(Mail.id).desc())
    if not recipient:
        return list(session.exec(query.limit(limit)))
    # Recipients are a JSON list, which SQLite and PostgreSQL search differently: filter
    # while streaming, so older mail of one person is still found.
    found: list[Mail] = []
    for row in session.exec(query.execution_options(yield_per=500)):
        if recipient in row.recipients:
            found.append(row)
            if len(found) == limit:
                break
    return found
