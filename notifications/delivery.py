"""Sends the mail outbox: due rows go out, failures back off and give up after a limit."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from lifecycle.db import transaction
from lifecycle.models import Case, Mail, User, utcnow
from lifecycle.settings import Settings
from notifications.sender import MailSender, build_message
from notifications.types import CARRIES_SECRET, SECRET_WITHHELD

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
ERROR_LIMIT = 500


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery pass did: mails sent, left to retry, and given up on."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0  # every recipient was deactivated after the mail was queued


def smtp_configured(settings: Settings) -> bool:
    """Whether there is an SMTP server to deliver to; without one, mail stays in the outbox."""
    return bool(settings.smtp_host.strip())


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failures: doubling from 30 s, at most 1 h."""
    # Cap the exponent first: 2**attempts would grow without bound for a long-failing row.
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), LONGEST_RETRY)


def _due(
    engine: Engine, now: datetime, batch: int
) -> tuple[Sequence[Mail], dict[int, str], set[str]]:
    """The pending mails due by `now`, oldest first, the references of their cases, and which
    of their recipients have been deactivated since they were queued."""
    with transaction(engine) as session:
        mails = session.exec(
            select(Mail)
            .where(Mail.status == "pending", Mail.next_attempt_at <= now)
            .order_by(col(Mail.id))
            .limit(batch)
        ).all()
        case_ids = {mail.case_id for mail in mails if mail.case_id is not None}
        references: dict[int, str] = {}
        if case_ids:
            rows = session.exec(
                select(Case.id, Case.reference).where(col(Case.id).in_(case_ids))
            ).all()
            references = {case_id: reference for case_id, reference in rows if case_id}
        addresses = {address for mail in mails for address in mail.recipients}
        leavers = set(
            session.exec(
                select(User.email).where(
                    col(User.email).in_(addresses), col(User.active).is_(False)
                )
            )
        )
    return mails, references, leavers


def _mark_sent(engine: Engine, mail_id: int, now: datetime) -> None:
    """Record that the mail went out; a one-time link it carried is not kept."""
    with transaction(engine) as session:
        mail = session.get_one(Mail, mail_id)
        mail.status = "sent"
        mail.sent_at = now
        if mail.notification in CARRIES_SECRET:
            mail.text_body = mail.html_body = SECRET_WITHHELD
        session.add(mail)


def _mark_cancelled(engine: Engine, mail_id: int) -> None:
    """Nobody is left to send the mail to: it is not sent, and says why."""
    with transaction(engine) as session:
        mail = session.get_one(Mail, mail_id)
        mail.status = "cancelled"
        mail.last_error = "every recipient was deactivated after the mail was queued"
        if mail.notification in CARRIES_SECRET:
            mail.text_body = mail.html_body = SECRET_WITHHELD
        session.add(mail)


def _mark_failed(
    engine: Engine, mail_id: int, now: datetime, error: Exception, max_attempts: int
) -> bool:
    """Record a failed try; returns True when the mail has now run out of attempts."""
    with transaction(engine) as session:
        mail = session.get_one(Mail, mail_id)
        mail.attempts += 1
        mail.last_error = (str(error) or repr(error))[:ERROR_LIMIT]
        if mail.attempts >= max_attempts:
            mail.status = "failed"
        else:
            mail.next_attempt_at = now + backoff(mail.attempts)
        session.add(mail)
        return mail.status == "failed"


async def deliver_due(
    engine: Engine,
    sender: MailSender,
    *,
    max_attempts: int,
    sender_address: str,
    now: datetime | None = None,
    batch: int = 50,
) -> DeliveryReport:
    """Send up to `batch` due mails, each settled in its own short transaction."""
    now = utcnow() if now is None else now
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    mails, references, leavers = _due(engine, now, batch)
    sent = retried = failed = cancelled = 0
    for mail in mails:
        assert mail.id is not None  # rows read from the table always have one
        # A leaver's mail is not sent, whenever it was queued (only this copy changes).
        staying = [address for address in mail.recipients if address not in leavers]
        if mail.recipients and not staying:
            _mark_cancelled(engine, mail.id)
            cancelled += 1
            continue
        mail.recipients = staying
        reference = references.get(mail.case_id) if mail.case_id is not None else None
        try:
            await sender.send(build_message(mail, sender_address, reference))
        # Any error (refused connection, timeout, rejected recipient, bad row) must leave this
        # mail for a later try and not stop the rest of the batch.
        except Exception as error:
            if _mark_failed(engine, mail.id, now, error, max_attempts):
                failed += 1
            else:
                retried += 1
            continue
        _mark_sent(engine, mail.id, now)
        sent += 1
    return DeliveryReport(sent=sent, retried=retried, failed=failed, cancelled=cancelled)
