"""Outbox rows: flow runs to submit and mail to send, written with the change that causes
them. Keys make a repeat (a retried flow, a redelivered request) a no-op."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from lifecycle.models import Case, FlowRequest, Mail, User, utcnow
from lifecycle.rules import Stage
from lifecycle.runorder import Priority
from lifecycle.settings import get_settings
from notifications import Notification, render

FLOW_NAMES: dict[Stage, str] = {stage: stage.value.replace("_", "-") for stage in Stage}
STAGES_BY_FLOW: dict[str, Stage] = {name: stage for stage, name in FLOW_NAMES.items()}


def enqueue_flow(
    session: Session,
    *,
    case: Case,
    stage: Stage,
    trigger: str,
    not_before: datetime | None = None,
    priority: Priority = Priority.BULK,
) -> FlowRequest:
    """Ask for the stage flow of `stage` to run for `case` (once per trigger); a run a person
    waits for goes before bulk work."""
    key = f"{case.reference}:{stage.value}:{trigger}"
    existing = session.exec(select(FlowRequest).where(FlowRequest.key == key)).first()
    if existing:
        return existing
    flow_name = FLOW_NAMES[stage]
    request = FlowRequest(
        key=key,
        case_id=case.id,
        flow_name=flow_name,
        run_name=f"{flow_name} {case.reference}",
        parameters={"case_id": case.id, "reference": case.reference},
        not_before=not_before or utcnow(),
        priority=priority.value,
    )
    session.add(request)
    return request


def enqueue_flow_again(session: Session, *, case: Case, stage: Stage, why: str) -> FlowRequest:
    """Ask for a stage flow once more, after something it waits for has changed (a person's
    change: a recommendation, a contract, a submission), ahead of bulk work."""
    earlier = session.exec(
        select(FlowRequest.id).where(
            FlowRequest.case_id == case.id, FlowRequest.flow_name == FLOW_NAMES[stage]
        )
    ).all()
    return enqueue_flow(
        session,
        case=case,
        stage=stage,
        trigger=f"{why}-{len(earlier) + 1}",
        priority=Priority.PERSON_WAITS,
    )


# A stage run whose process died (a worker killed mid-run) is asked for again this many times
# at most: its steps are safe to repeat, and a run that keeps dying needs a person.
RERUNS_AFTER_CRASH = 3
# Keys asked about in one IN list: well under the bound-parameter limits of both databases.
KEY_BATCH = 900


def settle_crash(session: Session, *, flow_run_id: str) -> FlowRequest | None:
    """A run crashed with its process: mark its request crashed and ask for the stage again,
    once, however many see the crash (the run's own hook, any number of dispatchers): the
    request is locked and settled only if it is not already. Returns the new request."""
    request = session.exec(
        select(FlowRequest).where(FlowRequest.flow_run_id == flow_run_id).with_for_update()
    ).first()
    if request is None or request.status == "crashed":
        return None
    request.status = "crashed"
    request.updated_at = utcnow()
    session.add(request)
    return rerun_after_crash(session, request=request)


def rerun_after_crash(session: Session, *, request: FlowRequest) -> FlowRequest | None:
    """Ask again for a stage run that crashed with its process, so the case is not left
    without its next step; None once it has crashed too often (or it is not a stage)."""
    case = session.get(Case, request.case_id) if request.case_id else None
    stage = STAGES_BY_FLOW.get(request.flow_name)
    if case is None or stage is None:
        return None
    crashed_before = session.exec(
        select(FlowRequest.id).where(
            FlowRequest.case_id == case.id,
            FlowRequest.flow_name == request.flow_name,
            col(FlowRequest.key).contains(":after-crash-"),
        )
    ).all()
    if len(crashed_before) >= RERUNS_AFTER_CRASH:
        return None
    return enqueue_flow(
        session,
        case=case,
        stage=stage,
        trigger=f"after-crash-{len(crashed_before) + 1}",
        priority=Priority(request.priority),
    )


def enqueue_account_mail(
    session: Session, *, key: str, notification: Notification, to: User, **context: Any
) -> Mail | None:
    """Mail about a person's account rather than a case (an invitation), once per key."""
    if not to.active:
        return None
    if session.exec(select(Mail.id).where(Mail.key == key)).first() is not None:
        return None
    rendered = render(notification, context)
    mail = Mail(
        key=key,
        notification=notification.value,
        recipients=[to.email],
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
    )
    session.add(mail)
    return mail


def case_context(case: Case) -> dict[str, Any]:
    """What every mail about a case shows."""
    return {
        "reference": case.reference,
        "title": case.title,
        # The case page; a signed-out reader is asked to sign in and then sent on to it.
        "case_url": f"{get_settings().base_url}/app/cases/{case.id}",
    }


def enqueue_mail(
    session: Session,
    *,
    key: str,
    case: Case,
    notification: Notification,
    to: Iterable[User],
    **context: Any,
) -> Mail | None:
    """Render a notification into the outbox for `to`, once per key. Returns the new mail, or
    None when nothing was added (already queued under this key, or nobody to tell)."""
    recipients = sorted({user.email for user in to if user.active})
    if not recipients:
        return None
    full_key = f"{case.reference}:{key}"
    if session.exec(select(Mail.id).where(Mail.key == full_key)).first() is not None:
        return None
    rendered = render(notification, {**case_context(case), **context})
    mail = Mail(
        key=full_key,
        case_id=case.id,
        notification=notification.value,
        recipients=recipients,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
    )
    session.add(mail)
    return mail


def present_keys(session: Session, *, full_keys: Iterable[str]) -> set[str]:
    """Which of these mail keys ('<reference>:<key>') are in the outbox already, in a few reads
    however many: a daily sweep asks once for all its candidates instead of once per contract."""
    names = list(full_keys)
    found: set[str] = set()
    for start in range(0, len(names), KEY_BATCH):
        batch = names[start : start + KEY_BATCH]
        found.update(session.exec(select(Mail.key).where(col(Mail.key).in_(batch))))
    return found


def queued_keys(session: Session, *, keys: Iterable[tuple[Case, str]]) -> set[tuple[int, str]]:
    """Which of these (case, key) mails are already queued, as (case id, key)."""
    wanted = {f"{case.reference}:{key}": (case.id or 0, key) for case, key in keys}
    return {wanted[name] for name in present_keys(session, full_keys=wanted)}


def retry_failed_mail(session: Session) -> list[Mail]:
    """Queue every mail that was given up on again, with a fresh round of tries: after an
    outage longer than the retry window, nothing has to be re-typed. Returns them."""
    failed = list(session.exec(select(Mail).where(Mail.status == "failed")))
    for mail in failed:
        mail.status = "pending"
        mail.attempts = 0
        mail.next_attempt_at = utcnow()
        mail.claimed_until = None
        session.add(mail)
    return failed
