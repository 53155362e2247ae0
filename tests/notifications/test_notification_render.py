"""Rendering: every notification renders, escapes HTML, and refuses an incomplete context."""

from importlib.resources import files

import jinja2
import pytest

from notifications import Notification, RenderedMail, render

COMMON: dict[str, object] = {
    "reference": "PR-2026-0042",
    "title": "Replacement laptops for Revenues & Benefits",
    "case_url": "https://procure.council.example/cases/42",
}

EXTRA: dict[Notification, dict[str, object]] = {
    Notification.REQUEST_RECEIVED: {
        "route_label": "Three written quotes",
        "value_gbp": "£12,500.00",
        "next_step": "Your budget holder will now be asked to approve the spend.",
    },
    Notification.GATE_OPENED: {
        "gate_label": "Budget approval",
        "role": "budget holder",
        "due_on": "Friday 16 January 2026",
        "value_gbp": "£12,500.00",
        "requester_name": "Priya Shah",
    },
    Notification.GATE_DECIDED: {
        "gate_label": "Budget approval",
        "decision": "approve",
        "decided_by": "Tom Evans",
        "reason": "",
        "next_step": "Legal Services will now review the case.",
    },
    Notification.CHANGES_REQUESTED: {
        "gate_label": "Legal review",
        "decided_by": "Sam Okafor",
        "reason": "The specification does not say who owns the data.",
    },
    Notification.MANAGER_NAMED: {
        "manager_name": "Jo Bloggs",
        "named_by": "Priya Shah",
        "key_contract": True,
    },
    Notification.REVIEW_DUE: {"due_on": "31 March 2026", "manager_name": "Jo Bloggs"},
    Notification.REVIEW_OVERDUE: {
        "due_on": "31 March 2026",
        "days_overdue": 3,
        "manager_name": "Jo Bloggs",
    },
    Notification.ASSESSMENT_DUE: {"due_on": "31 March 2026", "manager_name": "Jo Bloggs"},
    Notification.ASSESSMENT_OVERDUE: {
        "due_on": "31 March 2026",
        "days_overdue": 14,
        "manager_name": "Jo Bloggs",
    },
    Notification.STAGE_OPEN: {
        "stage_label": "Procurement",
        "instructions": "Invite at least three suppliers to quote and record each bid.",
    },
    Notification.STANDSTILL_STARTED: {
        "published_on": "2 February 2026",
        "last_day": "12 February 2026",
        "opens_on": "13 February 2026",
    },
    Notification.CASE_FLAGGED: {"flag_message": "The contract was signed after it started."},
    Notification.GATE_REMINDER: {
        "gate_label": "Budget approval",
        "opened_on": "9 January 2026",
        "due_on": "16 January 2026",
    },
    Notification.CONTRACT_EXPIRING: {
        "end_date": "2027-08-31",
        "months": 6,
        "extension_until": "2028-08-31",
        "escalated": False,
    },
    Notification.TERMINATION_NOTICE_DUE: {
        "ended_on": "2026-03-02",
        "due_on": "2026-03-31",
        "days_left": 7,
        "overdue": False,
        "escalated": False,
    },
    Notification.NOTICE_DUE: {
        "notice_key": "UK7",
        "notice_name": "Contract details notice",
        "why": "s.53: within 30 days of entering the contract",
        "due_on": "2026-12-18",
        "days_left": 7,
        "overdue": False,
        "escalated": False,
    },
    Notification.INVITATION: {
        "name": "Priya Shah",
        "invited_by": "Tom Evans",
        "roles": "requester",
        "invitation_url": "https://procure.council.example/app/set-password?token=abc",
        "expires_in_hours": 72,
    },
}


def context_for(notification: Notification, **overrides: object) -> dict[str, object]:
    """The full context for `notification`, with any keys overridden."""
    return {**COMMON, **EXTRA[notification], **overrides}


ALL = list(Notification)
# Mail about a case; an invitation is about a person's account and names no case.
CASE_MAILS = [item for item in Notification if item is not Notification.INVITATION]


def test_every_notification_has_a_context_here() -> None:
    """The shared contexts cover every member, so the tests below cover every template."""
    assert set(EXTRA) == set(Notification)
    assert len(Notification) == 17


@pytest.mark.parametrize("notification", ALL, ids=str)
def test_templates_ship_inside_the_package(notification: Notification) -> None:
    """Each notification's three templates are package data, not files beside the source."""
    templates = files("notifications") / "templates"
    for suffix in ("subject.j2", "txt.j2", "html.j2"):
        assert (templates / f"{notification.value}.{suffix}").is_file()


@pytest.mark.parametrize("notification", CASE_MAILS, ids=str)
def test_renders_with_a_full_context(notification: Notification) -> None:
    """Subject is one line with the reference; both bodies show reference, title and link."""
    mail = render(notification, context_for(notification))
    assert isinstance(mail, RenderedMail)
    assert mail.subject.strip() == mail.subject
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert str(COMMON["reference"]) in mail.subject
    assert mail.text.strip() and mail.html.strip()
    assert "\n\n\n" not in mail.text
    for body in (mail.text, mail.html):
        assert "PR-2026-0042" in body
        assert "What you need to do" in body
    assert "Replacement laptops for Revenues & Benefits" in mail.text
    assert "Replacement laptops for Revenues &amp; Benefits" in mail.html
    assert f'href="{COMMON["case_url"]}"' in mail.html
    assert f"Open the case: {COMMON['case_url']}" in mail.text


@pytest.mark.parametrize("notification", CASE_MAILS, ids=str)
def test_html_escapes_the_title(notification: Notification) -> None:
    """A hostile title is escaped in HTML but left alone in the text body and subject."""
    title = '<script>alert("x")</script>'
    mail = render(notification, context_for(notification, title=title))
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert title in mail.text


def test_subject_stays_on_one_line_when_a_value_has_a_line_break() -> None:
    """A line break in a value cannot split the subject header."""
    mail = render(
        Notification.STAGE_OPEN, context_for(Notification.STAGE_OPEN, title="Line one\r\nTwo")
    )
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "Line one Two" in mail.subject


@pytest.mark.parametrize(
    ("notification", "key"),
    [(n, key) for n in ALL for key in [*(COMMON if n in CASE_MAILS else ()), *EXTRA[n]]],
    ids=lambda value: str(value),
)
def test_every_context_key_is_required(notification: Notification, key: str) -> None:
    """Leaving out any key the notification receives raises rather than rendering a gap."""
    context = context_for(notification)
    del context[key]
    with pytest.raises(jinja2.UndefinedError):
        render(notification, context)


def test_key_contract_wording_only_for_key_contracts() -> None:
    """A key contract's manager is told about the exit plan, summary and training."""
    key = render(Notification.MANAGER_NAMED, context_for(Notification.MANAGER_NAMED))
    plain = render(
        Notification.MANAGER_NAMED,
        context_for(Notification.MANAGER_NAMED, key_contract=False),
    )
    for body in (key.text, key.html):
        assert "exit plan" in body
        assert "contract summary" in body
        assert "contract-management training" in body
    for body in (plain.text, plain.html):
        assert "exit plan" not in body


@pytest.mark.parametrize(
    ("decision", "words"),
    [("approve", "approved"), ("request_changes", "changes requested"), ("reject", "rejected")],
)
def test_gate_decision_in_words(decision: str, words: str) -> None:
    """The decision reads as English, and a reason shows only when one was given."""
    context = context_for(Notification.GATE_DECIDED, decision=decision)
    mail = render(Notification.GATE_DECIDED, context)
    assert words in mail.subject and words in mail.text and words in mail.html
    assert "Reason given" not in mail.text
    with_reason = render(Notification.GATE_DECIDED, {**context, "reason": "Over budget <by far>"})
    assert "Reason given: Over budget <by far>" in with_reason.text
    assert "Over budget &lt;by far&gt;" in with_reason.html


def test_unknown_gate_decision_raises() -> None:
    """A decision outside the three known ones is a bug, not a blank in the mail."""
    with pytest.raises(jinja2.UndefinedError):
        render(
            Notification.GATE_DECIDED,
            context_for(Notification.GATE_DECIDED, decision="maybe"),
        )


def test_days_overdue_is_pluralised() -> None:
    """One day overdue reads "1 day", more read "N days"."""
    one = render(
        Notification.REVIEW_OVERDUE, context_for(Notification.REVIEW_OVERDUE, days_overdue=1)
    )
    assert "1 day overdue" in one.text and "1 day " in one.subject
    three = render(Notification.REVIEW_OVERDUE, context_for(Notification.REVIEW_OVERDUE))
    assert "3 days overdue" in three.text


def test_render_accepts_the_plain_value() -> None:
    """A notification stored as its string value renders the same as the member."""
    context = context_for(Notification.CASE_FLAGGED)
    assert render("case_flagged", context) == render(Notification.CASE_FLAGGED, context)  # type: ignore[arg-type]


def test_invitation_carries_the_one_time_link_and_escapes_the_name() -> None:
    """The invitation shows the link in both bodies and escapes a hostile name in HTML."""
    link = "https://procure.council.example/app/set-password?token=abc"
    mail = render(Notification.INVITATION, context_for(Notification.INVITATION, name="<b>x</b>"))
    assert mail.subject == "Set your password for procure"
    assert link in mail.text and f'href="{link}"' in mail.html
    assert "<b>x</b>" not in mail.html and "&lt;b&gt;x&lt;/b&gt;" in mail.html
    assert "72 hours" in mail.text


def test_a_value_cannot_forge_a_line_of_the_mail_or_carry_a_nul() -> None:
    """A CR/LF in a title cannot start a line of its own ("Open the case: <elsewhere>"), and
    neither a NUL nor a lone CR reaches the subject or the body."""
    forged = "Laptops\r\nOpen the case: https://evil.example/\r\n\x00Reply now"
    mail = render(Notification.GATE_OPENED, context_for(Notification.GATE_OPENED, title=forged))
    assert "\x00" not in mail.subject + mail.text + mail.html
    assert "\r" not in mail.subject + mail.text
    lines = mail.text.splitlines()
    assert not any(line.startswith("Open the case: https://evil") for line in lines)
    assert f"Open the case: {COMMON['case_url']}" in lines
    assert "    Open the case: https://evil.example/" in lines
