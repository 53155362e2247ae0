"""Delivery through a real SMTP server (aiosmtpd on localhost), and what happens when it is down."""

import asyncio
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from lifecycle.models import Mail
from lifecycle.settings import Settings
from notifications import (
    DeliveryReport,
    Notification,
    SmtpSender,
    deliver_due,
    render,
)
from notifications.delivery import attempts_within

SENDER = "procure@council.example"


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept the message and keep it."""
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port on localhost that nothing is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    """An aiosmtpd server on localhost and what it has received."""

    collector: Collector
    controller: Controller
    running: bool = False

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.controller.port)

    def start(self) -> None:
        """Start listening."""
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        """Stop listening, as a server outage would."""
        if self.running:
            self.controller.stop()
            self.running = False


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on localhost that collects what it receives."""
    collector = Collector()
    server = SmtpServer(collector, Controller(collector, hostname="127.0.0.1", port=free_port()))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def flagged_mail(reference: str, recipients: list[str]) -> dict[str, Any]:
    """Outbox fields for a rendered case_flagged mail about `reference`."""
    rendered = render(
        Notification.CASE_FLAGGED,
        {
            "reference": reference,
            "title": "Grounds maintenance",
            "case_url": f"https://procure.council.example/cases/{reference}",
            "flag_message": "The contract was signed after it started.",
        },
    )
    return {
        "key": f"case_flagged:{reference}",
        "notification": Notification.CASE_FLAGGED.value,
        "recipients": recipients,
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
    }


def test_delivers_through_smtp_and_retries_when_the_server_is_down(
    engine: Engine,
    enqueue: Callable[..., int],
    fetch: Callable[[int], Mail],
    now: datetime,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    """Two mails arrive intact; with the server gone, a third is kept for a retry."""
    collector = smtp_server.collector
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_server.port, data_dir=tmp_path)
    sender = SmtpSender(settings)
    first = enqueue(**flagged_mail("PR-2026-0001", ["a@council.example", "b@council.example"]))
    second = enqueue(**flagged_mail("PR-2026-0002", ["c@council.example"]))

    def deliver() -> DeliveryReport:
        """One delivery pass at `now`."""
        return asyncio.run(
            deliver_due(
                engine,
                sender,
                max_attempts=attempts_within(settings.mail_retry_hours),
                sender_address=settings.mail_from,
                now=now,
            )
        )

    assert deliver() == DeliveryReport(sent=2)
    assert [fetch(first).status, fetch(second).status] == ["sent", "sent"]

    assert [e.rcpt_tos for e in collector.envelopes] == [
        ["a@council.example", "b@council.example"],
        ["c@council.example"],
    ]
    for envelope, reference in zip(
        collector.envelopes, ["PR-2026-0001", "PR-2026-0002"], strict=True
    ):
        assert envelope.mail_from == SENDER
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert (
            message["Subject"] == f"{reference}: case flagged for attention - Grounds maintenance"
        )
        assert message.get_content_type() == "multipart/alternative"
        assert message["Message-ID"].endswith("@council.example>")
        assert message["X-Procure-Reference"] is None
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
        assert "The contract was signed after it started." in text.get_content()
        assert reference in text.get_content()
        assert "<!DOCTYPE html>" in html.get_content()
        assert f'href="https://procure.council.example/cases/{reference}"' in html.get_content()

    smtp_server.stop()
    third = enqueue(**flagged_mail("PR-2026-0003", ["d@council.example"]))

    assert deliver() == DeliveryReport(retried=1)
    row = fetch(third)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.last_error
    assert len(collector.envelopes) == 2
