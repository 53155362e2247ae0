"""What kinds of mail the product sends, and the shape of a rendered one."""

from dataclasses import dataclass
from enum import StrEnum


class Notification(StrEnum):
    """Each kind of mail; the value names its templates."""

    REQUEST_RECEIVED = "request_received"
    GATE_OPENED = "gate_opened"
    GATE_DECIDED = "gate_decided"
    CHANGES_REQUESTED = "changes_requested"
    MANAGER_NAMED = "manager_named"
    REVIEW_DUE = "review_due"
    REVIEW_OVERDUE = "review_overdue"
    ASSESSMENT_DUE = "assessment_due"
    ASSESSMENT_OVERDUE = "assessment_overdue"
    STAGE_OPEN = "stage_open"
    STANDSTILL_STARTED = "standstill_started"
    CASE_FLAGGED = "case_flagged"
    GATE_REMINDER = "gate_reminder"
    CONTRACT_EXPIRING = "contract_expiring"
    TERMINATION_NOTICE_DUE = "termination_notice_due"
    NOTICE_DUE = "notice_due"
    INVITATION = "invitation"


@dataclass(frozen=True)
class RenderedMail:
    """A mail ready for the outbox: one-line subject, plain-text body and HTML body."""

    subject: str
    text: str
    html: str


# Mail whose body holds a one-time secret (an invitation's set-password link): shown only to its
# recipient and to admins, and not kept once sent.
CARRIES_SECRET = frozenset({Notification.INVITATION})
SECRET_WITHHELD = "(Not shown: this email carries a one-time link to set a password.)"
