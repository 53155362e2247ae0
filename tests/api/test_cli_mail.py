"""`procure mail failed` lists mail given up on and `procure mail retry` queues it again with a
fresh round of tries; the assurance report counts it until it is delivered."""

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.db import transaction
from lifecycle.models import Mail, utcnow
from lifecycle.services import assurance
from lifecycle.settings import Settings


def add_mail(engine: Engine, key: str, status: str, case_id: int | None = None) -> None:
    """One outbox row in `status`."""
    with transaction(engine) as session:
        session.add(
            Mail(
                key=key,
                case_id=case_id,
                notification="gate_reminder",
                recipients=["legal@council.example"],
                subject=f"Subject of {key}",
                text_body="Text\n",
                html_body="<p>HTML</p>\n",
                status=status,
                attempts=81 if status == "failed" else 0,
                last_error="connection refused" if status == "failed" else None,
            )
        )


def mail_measure(engine: Engine, settings: Settings, make_user: Any) -> Any:
    """The report's mail line, as an auditor reads it."""
    auditor, _ = make_user("auditor")
    with Session(engine) as session:
        report = assurance.report(session, by=auditor, settings=settings)
    return next(measure for measure in report if measure.key == "mail_delivered")


def test_failed_mail_is_listed_counted_and_queued_again(
    cli: Any, engine: Engine, settings: Settings, make_user: Any
) -> None:
    add_mail(engine, "sent-one", "sent")
    add_mail(engine, "given-up", "failed")
    measure = mail_measure(engine, settings, make_user)
    assert (measure.met, measure.of, measure.shortfalls) == (1, 2, ["mail 2 (no case)"])
    assert not measure.on_target

    code, out, err = cli("mail", "failed")
    assert code == 0 and "Subject of given-up\tconnection refused" in out
    assert "Subject of sent-one" not in out and "1 failed mail(s)" in err

    before = utcnow()
    code, out, _ = cli("mail", "retry")
    assert code == 0 and "queued 1 failed mail(s) again" in out
    with Session(engine) as session:
        mail = session.exec(select(Mail).where(Mail.key == "given-up")).one()
    assert (mail.status, mail.attempts) == ("pending", 0)
    assert mail.next_attempt_at >= before
    measure = mail_measure(engine, settings, make_user)
    assert (measure.met, measure.of) == (1, 1)  # pending again: not given up
