"""Email for officers: templates, rendering, and delivery of the mail outbox."""

from notifications.delivery import DeliveryReport, deliver_due, smtp_configured
from notifications.render import render
from notifications.sender import MailSender, RecordingSender, SmtpSender, build_message
from notifications.types import CARRIES_SECRET, SECRET_WITHHELD, Notification, RenderedMail

__all__ = [
    "CARRIES_SECRET",
    "SECRET_WITHHELD",
    "DeliveryReport",
    "MailSender",
    "Notification",
    "RecordingSender",
    "RenderedMail",
    "SmtpSender",
    "build_message",
    "deliver_due",
    "render",
    "smtp_configured",
]
