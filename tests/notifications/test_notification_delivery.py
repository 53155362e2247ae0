"""Delivering the outbox with a fake sender: sending, backing off, giving up, never repeating."""

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lifecycle.db import transaction
from lifecycle.models import Case, Mail, User
from lifecycle.settings import Settings
from notifications import (
    DeliveryReport,
    RecordingSender,
    build_message,
    deliver_due,
    smtp_configured,
)
from notifications.delivery import backoff

SENDER = "procure@council.example"
Fetch = Callable[[int], Mail]
Enqueue = Callable[..., int]


def deliver(
    engine: Engine, sender: RecordingSender, now: datetime, **options: int
) -> DeliveryReport:
    """One delivery pass at `now`, with at most 8 attempts unless told otherwise."""
    options.setdefault("max_attempts", 8)
    return asyncio.run(
        deliver_due(engine, sender, sender_address=SENDER, now=now, **options)  # type: ignore[arg-type]
    )


def test_due_mail_is_sent(engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime) -> None:
    """A due mail goes out as text plus HTML to every recipient and is marked sent."""
    mail_id = enqueue(recipients=["a@council.example", "b@council.example"])
    sender = RecordingSender()

    assert deliver(engine, sender, now) == DeliveryReport(sent=1, retried=0, failed=0)

    [message] = sender.messages
    assert message["From"] == SENDER
    assert message["To"] == "a@council.example, b@council.example"
    assert message["Subject"] == "PR-2026-0001: case flagged for attention"
    assert message["X-Procure-Reference"] is None
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert text.get_content() == "Plain text body 1\n"
    assert html.get_content() == "<p>HTML body 1</p>\n"
    row = fetch(mail_id)
    assert (row.status, row.sent_at, row.attempts, row.last_error) == ("sent", now, 0, None)


def test_sent_mail_is_never_sent_again(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """A second pass, even much later, leaves a sent mail alone."""
    mail_id = enqueue()
    sender = RecordingSender()
    deliver(engine, sender, now)

    assert deliver(engine, sender, now + timedelta(days=1)) == DeliveryReport(0, 0, 0)
    assert len(sender.messages) == 1
    assert fetch(mail_id).sent_at == now


def test_mail_not_yet_due_is_skipped(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """A mail whose next attempt is in the future waits for it, then goes."""
    mail_id = enqueue(next_attempt_at=now + timedelta(minutes=5))
    sender = RecordingSender()

    assert deliver(engine, sender, now) == DeliveryReport(0, 0, 0)
    assert sender.messages == []
    assert fetch(mail_id).status == "pending"

    later = now + timedelta(minutes=5)
    assert deliver(engine, sender, later) == DeliveryReport(sent=1)
    assert fetch(mail_id).sent_at == later


def test_failed_and_given_up_mail_is_not_picked_up(
    engine: Engine, enqueue: Enqueue, now: datetime
) -> None:
    """Only pending rows are candidates."""
    enqueue(status="failed")
    enqueue(status="sent", sent_at=now)
    sender = RecordingSender()
    assert deliver(engine, sender, now) == DeliveryReport(0, 0, 0)
    assert sender.messages == []


def test_failing_send_backs_off_then_gives_up(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """Each failure waits twice as long as the last; the last allowed failure marks it failed."""
    mail_id = enqueue()
    sender = RecordingSender()
    sender.fail_next(100, ConnectionRefusedError("connection refused"))

    for attempt, wait in enumerate([30, 60, 120], start=1):
        assert deliver(engine, sender, now, max_attempts=4) == DeliveryReport(retried=1)
        row = fetch(mail_id)
        assert (row.status, row.attempts, row.last_error) == (
            "pending",
            attempt,
            "connection refused",
        )
        assert row.next_attempt_at == now + timedelta(seconds=wait)
        # Not due a moment before the back-off ends.
        early = row.next_attempt_at - timedelta(seconds=1)
        assert deliver(engine, sender, early, max_attempts=4) == DeliveryReport()
        now = row.next_attempt_at

    assert deliver(engine, sender, now, max_attempts=4) == DeliveryReport(failed=1)
    row = fetch(mail_id)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 4, None)
    assert deliver(engine, sender, now + timedelta(days=1), max_attempts=4) == (DeliveryReport())
    assert sender.messages == []


def test_mail_recovers_after_a_failure(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """A retried mail is sent once the server is back, keeping its attempt count."""
    mail_id = enqueue()
    sender = RecordingSender()
    sender.fail_next(1)
    assert deliver(engine, sender, now) == DeliveryReport(retried=1)
    retry_at = fetch(mail_id).next_attempt_at

    assert deliver(engine, sender, retry_at) == DeliveryReport(sent=1)
    row = fetch(mail_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, retry_at)


def test_one_failure_does_not_stop_the_batch(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """The first mail fails, the second still goes out in the same pass."""
    first, second = enqueue(), enqueue()
    sender = RecordingSender()
    sender.fail_next(1)
    assert deliver(engine, sender, now) == DeliveryReport(sent=1, retried=1)
    assert fetch(first).status == "pending"
    assert fetch(second).status == "sent"


def test_batch_takes_oldest_first(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """A pass sends at most `batch` mails, in id order; the next pass takes the rest."""
    ids = [enqueue() for _ in range(3)]
    sender = RecordingSender()
    assert deliver(engine, sender, now, batch=2) == DeliveryReport(sent=2)
    assert [fetch(i).status for i in ids] == ["sent", "sent", "pending"]
    assert deliver(engine, sender, now, batch=2) == DeliveryReport(sent=1)
    subjects = [m["Subject"] for m in sender.messages]
    assert subjects == [f"PR-2026-{n:04d}: case flagged for attention" for n in (1, 2, 3)]


def test_long_errors_are_truncated(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """Only the first 500 characters of an error are kept."""
    mail_id = enqueue()
    sender = RecordingSender()
    sender.fail_next(1, RuntimeError("x" * 2000))
    deliver(engine, sender, now)
    assert fetch(mail_id).last_error == "x" * 500


def test_mail_without_recipients_is_not_sent(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """A row with nobody to send to is an error on that row, not a crash of the pass."""
    mail_id = enqueue(recipients=[])
    sender = RecordingSender()
    assert deliver(engine, sender, now, max_attempts=1) == DeliveryReport(failed=1)
    row = fetch(mail_id)
    assert row.status == "failed"
    assert row.last_error is not None and "no recipients" in row.last_error


def test_case_reference_header(engine: Engine, enqueue: Enqueue, now: datetime) -> None:
    """A mail about a case carries the case reference in X-Procure-Reference."""
    with transaction(engine) as session:
        user = User(
            name="Priya Shah", email="priya@council.example", roles="requester", token_hash="h"
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        case = Case(
            reference="PR-2026-0042",
            ocid="ocds-procure-PR-2026-0042",
            title="Laptops",
            description="Replacement laptops",
            category="goods",
            department="Revenues",
            estimated_value_pence=12_500_00,
            needed_by=date(2026, 3, 31),
            contract_required=False,
            route="quotes",
            contract=False,
            stage="purchase_request",
            status="in_progress",
            requester_id=user.id,
        )
        session.add(case)
        session.flush()
        case_id = case.id
    enqueue(case_id=case_id)
    sender = RecordingSender()
    deliver(engine, sender, now)
    assert sender.messages[0]["X-Procure-Reference"] == "PR-2026-0042"


def test_message_id_is_stable_per_key(engine: Engine, enqueue: Enqueue, fetch: Fetch) -> None:
    """The same row always builds the same Message-ID; different rows build different ones."""
    first, second = fetch(enqueue()), fetch(enqueue())
    one = build_message(first, SENDER)["Message-ID"]
    assert one == build_message(first, SENDER, "PR-2026-0001")["Message-ID"]
    assert one != build_message(second, SENDER)["Message-ID"]
    assert one.startswith("<") and one.endswith("@council.example>")


def test_backoff_doubles_and_is_capped_at_an_hour() -> None:
    """30 s, 60 s, 120 s ... never more than an hour."""
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    assert backoff(1000) == timedelta(hours=1)


def test_naive_now_is_refused(engine: Engine) -> None:
    """Outbox times are aware UTC; a naive `now` would compare wrongly."""
    with pytest.raises(ValueError):
        deliver(engine, RecordingSender(), datetime(2026, 1, 12, 9, 0))


def test_smtp_configured(tmp_path: Path) -> None:
    """Delivery is on only when an SMTP host is set."""
    assert not smtp_configured(Settings(data_dir=tmp_path, smtp_host=""))
    assert smtp_configured(Settings(data_dir=tmp_path, smtp_host="smtp.council.example"))


def test_a_sent_invitation_keeps_no_copy_of_its_one_time_link(
    engine: Engine, enqueue: Enqueue, fetch: Fetch, now: datetime
) -> None:
    """The invitation goes out with its link; the outbox row then forgets the link."""
    link = "https://procure.council.example/app/set-password?token=secret-token"
    mail_id = enqueue(notification="invitation", text_body=f"Choose: {link}\n", html_body=link)
    sender = RecordingSender()
    deliver(engine, sender, now)
    [message] = sender.messages
    text = message.get_body(("plain",))
    assert isinstance(text, EmailMessage) and link in text.get_content()
    row = fetch(mail_id)
    assert row.status == "sent" and "secret-token" not in row.text_body + row.html_body
