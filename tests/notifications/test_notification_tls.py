"""Mail is private in transit: implicit TLS, required STARTTLS, and opportunistic STARTTLS
against a real SMTP server (aiosmtpd) holding a certificate from a test CA; a server that
cannot be verified gets nothing. And mail to someone deactivated after it was queued is not
sent."""

import asyncio
import ipaddress
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine

from lifecycle.db import transaction
from lifecycle.models import Mail
from lifecycle.services import users
from lifecycle.settings import Settings
from notifications import DeliveryReport, RecordingSender, SmtpSender, deliver_due
from notifications.delivery import attempts_within
from tests.notifications.test_notification_smtp import Collector, flagged_mail, free_port


def _name(common_name: str) -> x509.Name:
    """An X.509 name with one common name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificates(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A test CA (its PEM file, for the client to trust) and a server context holding a
    certificate it signed for 127.0.0.1."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("procure test CA"))
        .issuer_name(_name("procure test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


def deliver(engine: Engine, settings: Settings, now: datetime) -> DeliveryReport:
    """One delivery pass through the SMTP server the settings name."""
    return asyncio.run(
        deliver_due(
            engine,
            SmtpSender(settings),
            max_attempts=attempts_within(settings.mail_retry_hours),
            sender_address=settings.mail_from,
            now=now,
        )
    )


@pytest.mark.parametrize(
    ("security", "server_options", "trusted", "delivered"),
    [
        pytest.param("tls", "implicit", True, True, id="implicit-tls"),
        pytest.param("starttls", "starttls-required", True, True, id="starttls-required"),
        pytest.param("opportunistic", "starttls-required", True, True, id="opportunistic"),
        pytest.param("none", "starttls-required", True, False, id="plain-refused-by-server"),
        pytest.param("tls", "implicit", False, False, id="unverified-server"),
        pytest.param("starttls", "plain", True, False, id="starttls-not-offered"),
    ],
)
def test_mail_is_protected_in_transit(
    engine: Engine,
    enqueue: Callable[..., int],
    fetch: Callable[[int], Mail],
    now: datetime,
    tmp_path: Path,
    security: str,
    server_options: str,
    trusted: bool,
    delivered: bool,
) -> None:
    """Each setting of PROCURE_SMTP_SECURITY against a server that offers, requires or speaks
    only TLS: delivered when the channel is private and the server verified, else retried."""
    ca_file, context = certificates(tmp_path)
    collector = Collector()
    options: dict[str, object] = {
        "implicit": {"ssl_context": context},
        "starttls-required": {"tls_context": context, "require_starttls": True},
        "plain": {},
    }[server_options]
    controller = Controller(collector, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        settings = Settings(
            data_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security=security,  # type: ignore[arg-type]
            smtp_ca_file=str(ca_file) if trusted else "",
        )
        mail_id = enqueue(**flagged_mail("PR-2026-0001", ["a@council.example"]))
        report = deliver(engine, settings, now)
    finally:
        controller.stop()
    if delivered:
        assert report == DeliveryReport(sent=1) and len(collector.envelopes) == 1
        assert fetch(mail_id).status == "sent"
    else:
        assert report == DeliveryReport(retried=1) and collector.envelopes == []
        assert fetch(mail_id).last_error


def test_mail_to_someone_deactivated_after_it_was_queued_is_not_sent(
    engine: Engine, enqueue: Callable[..., int], fetch: Callable[[int], Mail], now: datetime
) -> None:
    """The leaver is dropped from a shared mail; a mail to them alone is cancelled."""
    with transaction(engine) as session:
        leaver, _ = users.create(
            session, name="Lee Leaver", email="leaver@council.example", roles=["legal"]
        )
        users.create(session, name="Sam Stayer", email="stayer@council.example", roles=["legal"])
    shared = enqueue(**flagged_mail("PR-2026-0001", [leaver.email, "stayer@council.example"]))
    alone = enqueue(**{**flagged_mail("PR-2026-0002", [leaver.email]), "key": "alone"})
    with transaction(engine) as session:
        users.deactivate(session, email=leaver.email)

    sender = RecordingSender()
    report = asyncio.run(
        deliver_due(
            engine, sender, max_attempts=8, sender_address="procure@council.example", now=now
        )
    )
    assert report == DeliveryReport(sent=1, cancelled=1)
    [message] = sender.messages
    assert message["To"] == "stayer@council.example"
    assert fetch(shared).status == "sent" and fetch(shared).recipients == [
        leaver.email,
        "stayer@council.example",
    ]
    assert fetch(alone).status == "cancelled"
