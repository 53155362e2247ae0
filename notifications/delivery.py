"""Sends the mail outbox: due rows go out, failures back off and give up after a limit.

Any number of dispatchers may run. Each claims the rows it will send (PostgreSQL skips rows
another is claiming, SQLite serialises the claim) and holds them for a lease; a dispatcher that
dies mid-send lets its claim lapse, and the mail goes out again with the same Message-ID, so
the recipient's mail program can tell it is the same message."""

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, or_, select

from lifecycle.db import transaction
from lifecycle.models import Case, Mail, User, utcnow
from lifecycle.settings import Settings
from notifications.sender import MailSender, build_message
from notifications.types import CARRIES_SECRET, SECRET_WITHHELD

# Names this process's claims, for whoever reads the outbox while it sends.
_THIS_PROCESS = f"{socket.gethostname()}:{os.getpid()}"
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


def attempts_within(hours: float) -> int:
    """How many tries the backoff fits into `hours`: mail is given up only after that long."""
    window, waited, attempts = timedelta(hours=hours), timedelta(), 1
    while waited < window:
        waited += backoff(attempts)
        attempts += 1
    return attempts


def _claim(
    engine: Engine, now: datetime, batch: int, dispatcher: str, lease: timedelta
) -> tuple[Sequence[Mail], dict[int, str], set[str]]:
    """Claim the pending mails due by `now`, oldest first, that nobody holds; with the
    references of their cases and which of their recipients have since been deactivated."""
    with transaction(engine) as session:
        mails = session.exec(
            select(Mail)
            .where(
                Mail.status == "pending",
                Mail.next_attempt_at <= now,
                or_(col(Mail.claimed_until).is_(None), col(Mail.claimed_until) <= now),
            )
            .order_by(col(Mail.id))
            .limit(batch)
            # Another dispatcher's claim in progress is skipped, not waited for. (SQLite has
            # no row locks: its claim is serialised by the write lock taken at BEGIN.)
            .with_for_update(skip_locked=True)
        ).all()
        for mail in mails:
            mail.claimed_by, mail.claimed_until = dispatcher, now + lease
            session.add(mail)
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


def _still_ours(engine: Engine, mail_id: int, dispatcher: str, until: datetime) -> bool:
    """Renew this dispatcher's claim just before the mail is sent, so a slow batch never lets
    a claim lapse under a mail not yet sent; False if another dispatcher holds it now."""
    with transaction(engine) as session:
        mail = session.get_one(Mail, mail_id)
        if mail.status != "pending" or mail.claimed_by != dispatcher:
            return False
        mail.claimed_until = until
        session.add(mail)
        return True


def _mark_sent(engine: Engine, mail_id: int, now: datetime) -> None:
    """Record that the mail went out; a one-time link it carried is not kept."""
    with transaction(engine) as session:
        mail = session.get_one(Mail, mail_id)
        mail.status = "sent"
        mail.sent_at = now
        mail.claimed_until = None
        if mail.notification in CARRIES_SECRET:
            mail.text_body = mail.html_body = SECRET_WITHHELD
        session.add(mail)


def _mark_cancelled(engine: Engine, mail_id: int) -> None:
    """Nobody is left to send the mail to: it is not sent, and says why."""
    with transaction(engine) as session:
        mail = session.get_one(Mail, mail_id)
        mail.status = "cancelled"
        mail.claimed_until = None
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
        mail.claimed_until = None
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
    batch: int = 20,
    dispatcher: str = "",
    lease: timedelta = timedelta(minutes=5),
) -> DeliveryReport:
    """Claim up to `batch` due mails for `dispatcher` and send them, each settled in its own
    short transaction."""
    now = utcnow() if now is None else now
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    me = dispatcher or _THIS_PROCESS
    mails, references, leavers = _claim(engine, now, batch, me, lease)
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
        if not _still_ours(engine, mail.id, me, max(now, utcnow()) + lease):
            continue
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
