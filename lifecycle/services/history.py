"""Reading what happened: a case's timeline, its flow runs, the mail outbox."""

from sqlmodel import Session, col, select

from lifecycle.models import AuditEvent, FlowRequest, Mail, MailRecipient, User


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
    if recipient:
        # By the recipients' index: one person's mail among millions is a lookup, not a scan.
        query = query.where(
            col(Mail.id).in_(
                select(MailRecipient.mail_id).where(MailRecipient.address == recipient)
            )
        )
    return list(session.exec(query.order_by(col(Mail.id).desc()).limit(limit)))
