"""Building email messages from outbox rows, and the ways of sending them."""

import hashlib
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

import aiosmtplib

from lifecycle.models import Mail
from lifecycle.settings import Settings

# Per SMTP step, per message: a server that accepts a connection and never answers costs one
# mail ten seconds, not the batch a stall.
SMTP_TIMEOUT_SECONDS = 10
# aiosmtplib's switches for each setting of PROCURE_SMTP_SECURITY. start_tls=None is its own
# opportunistic mode: STARTTLS whenever the server offers it.
TLS_OPTIONS: dict[str, dict[str, bool | None]] = {
    "opportunistic": {"use_tls": False, "start_tls": None},
    "starttls": {"use_tls": False, "start_tls": True},
    "tls": {"use_tls": True, "start_tls": False},
    "none": {"use_tls": False, "start_tls": False},
}


class MailSender(Protocol):
    """Anything that can hand one message to a mail server."""

    async def send(self, message: EmailMessage) -> None:
        """Send `message`, raising on any failure."""
        ...


class SmtpSender:
    """Sends through the SMTP server named in the settings."""

    def __init__(self, settings: Settings) -> None:
        """Keep the connection details; each send opens its own connection."""
        self.hostname = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username or None
        self.password = settings.smtp_password or None
        self.tls = TLS_OPTIONS[settings.smtp_security]
        self.cert_bundle = settings.smtp_ca_file or None

    async def send(self, message: EmailMessage) -> None:
        """Send `message` to every address in its To header."""
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=bool(self.tls["use_tls"]),
            start_tls=self.tls["start_tls"],
            cert_bundle=self.cert_bundle,
            timeout=SMTP_TIMEOUT_SECONDS,
        )


class RecordingSender:
    """A fake for tests: keeps what it was given, and fails the next N sends when told to."""

    def __init__(self) -> None:
        """Start with nothing sent and no failures queued."""
        self.messages: list[EmailMessage] = []
        self._failures = 0
        self._error: Exception = ConnectionError("simulated SMTP failure")

    def fail_next(self, count: int, error: Exception | None = None) -> None:
        """Make the next `count` sends raise `error` (a ConnectionError by default)."""
        self._failures = count
        if error is not None:
            self._error = error

    async def send(self, message: EmailMessage) -> None:
        """Record `message`, or raise if a failure is queued."""
        if self._failures > 0:
            self._failures -= 1
            raise self._error
        self.messages.append(message)


def message_id(key: str, sender_address: str) -> str:
    """A Message-ID fixed by the outbox key, so a re-send after a crash carries the same one."""
    # Keys may hold characters a Message-ID may not, so the ID carries a digest of the key.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender_address.rpartition("@")[2] or "procure.invalid"
    return f"<procure.{digest}@{domain}>"


def build_message(mail: Mail, sender_address: str, reference: str | None = None) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) for one outbox row."""
    if not mail.recipients:
        raise ValueError(f"mail {mail.key!r} has no recipients")
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Message-ID"] = message_id(mail.key, sender_address)
    # The event's time, not the send time, so every attempt builds the same message.
    message["Date"] = format_datetime(mail.created_at)
    # RFC 3834: tells out-of-office responders not to answer an automatic message.
    message["Auto-Submitted"] = "auto-generated"
    # Lets a council's mail rules file each kind of notification.
    message["X-Procure-Notification"] = mail.notification
    if reference:
        message["X-Procure-Reference"] = reference
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message
