"""Scheduled flows: the records check (the audit history and the document repository, and the
daily anchor), the monitoring sweep (reviews due, overdue, unsigned starts, Procurement Act
notices due, training needs, the month's assurance snapshot, expired sign-in records) and the
SLA sweep (gates past their due date).
Mail keys make each reminder go once; the snapshot is one row per month and measure, updated
in place."""

from prefect import flow, get_run_logger, task
from sqlmodel import Session

from lifecycle import clock, db
from lifecycle.db import reading, transaction
from lifecycle.services import (
    accounts,
    assessment_reminders,
    assurance,
    audit_chain,
    documents,
    expiry,
    gates,
    monitoring,
    notice_reminders,
    termination,
    training,
    variations,
)
from lifecycle.settings import get_settings


@task(retries=3, retry_delay_seconds=2)
def remind_reviews() -> int:
    """Review-due reminders and overdue escalations."""
    with transaction() as session:
        return monitoring.remind_due_reviews(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def remind_assessments() -> int:
    """KPI assessment reminders and overdue escalations (Procurement Act s.71)."""
    with transaction() as session:
        return assessment_reminders.remind_due_assessments(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def check_expiry() -> int:
    """Expiry alerts at each lead time and escalations (once each); contracts left to end
    move to exit once their end date has passed. Returns the alerts added."""
    with transaction() as session:
        expiry.end_expired(session)
        return expiry.send_alerts(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def remind_termination_notices() -> int:
    """Termination notices (s.80) not yet recorded as published: each reminder once."""
    with transaction() as session:
        return termination.remind_notices(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def remind_notices() -> int:
    """Procurement Act notices not yet published (UK4 to UK10): each reminder once, and
    escalated once long overdue."""
    with transaction() as session:
        return notice_reminders.remind_due_notices(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def flag_unsigned() -> int:
    """Flag contracts that started before signing was confirmed."""
    with transaction() as session:
        return monitoring.flag_unsigned_starts(session)


@task(retries=3, retry_delay_seconds=2)
def record_assurance() -> int:
    """This month's assurance snapshot, so the page can draw how each measure moved (a second
    sweep racing this one to a new month's rows fails on the unique key; the retry updates)."""
    with transaction() as session:
        return assurance.record_snapshot(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def check_history() -> int:
    """Check every case's audit chain, flag what was altered, and anchor the day."""
    # Checked from a snapshot (no write lock however long the history), then acted on.
    with Session(reading(db.get_engine())) as session:
        report = audit_chain.verify(session)
    with transaction() as session:
        audit_chain.act_on(session, report=report, day=clock.today())
    return len(report.altered)


@task(retries=3, retry_delay_seconds=2)
def check_documents() -> int:
    """Check every stored document against its SHA-256 and flag the damaged ones' cases."""
    # Every file hashed from a snapshot (no write lock however large the repository).
    with Session(reading(db.get_engine())) as session:
        damaged = documents.verify_repository(session, settings=get_settings())
    with transaction() as session:
        documents.flag_damaged(session, damaged=damaged)
    return len(damaged)


@task(retries=3, retry_delay_seconds=2)
def check_training() -> int:
    """Training needs of the managers of large or complex contracts: lapsed training raises
    one again, new training meets it. Returns how many are open."""
    with transaction() as session:
        return training.sweep(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def purge_sign_ins() -> int:
    """Expired browser sessions, old failed sign-ins and expired invitations go."""
    with transaction() as session:
        return accounts.purge_expired(session)


@task(retries=3, retry_delay_seconds=2)
def remind_overdue_gates() -> int:
    """Reminders and escalations for gates past their SLA (once each)."""
    with transaction() as session:
        return gates.remind_overdue(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def remind_overdue_variations() -> int:
    """Reminders and escalations for variation approvals past their SLA (once each)."""
    with transaction() as session:
        return variations.remind_overdue(session, settings=get_settings())


@flow(name="monitoring-sweep", flow_run_name=lambda: f"monitoring-sweep {clock.today()}")
async def monitoring_sweep() -> dict[str, int]:
    """Daily: reviews due and overdue, contracts started unsigned, this month's assurance,
    and sign-in records that have expired."""
    result = {"review_reminders": remind_reviews(), "flagged": flag_unsigned()}
    result["assessment_reminders"] = remind_assessments()
    result["expiry_alerts"] = check_expiry()
    result["termination_notice_reminders"] = remind_termination_notices()
    result["notice_reminders"] = remind_notices()
    result["training_needs_open"] = check_training()
    result["assurance_measures"] = record_assurance()
    result["sign_in_records_removed"] = purge_sign_ins()
    get_run_logger().info("monitoring sweep: %s", result)
    return result


@flow(name="records-check", flow_run_name=lambda: f"records-check {clock.today()}")
async def records_check() -> dict[str, int]:
    """Nightly: every audit chain and every stored document checked, and the day anchored. Its
    own flow, since its cost follows the size of the history and the repository, not the
    number of contracts; it runs before the monitoring sweep, whose assurance snapshot counts
    what it flags."""
    result = {"histories_altered": check_history(), "documents_damaged": check_documents()}
    get_run_logger().info("records check: %s", result)
    return result


@flow(name="sla-sweep", flow_run_name=lambda: f"sla-sweep {clock.today()}")
async def sla_sweep() -> dict[str, int]:
    """Daily: gates waiting past their SLA."""
    result = {"gate_reminders": remind_overdue_gates()}
    result["variation_reminders"] = remind_overdue_variations()
    get_run_logger().info("SLA sweep: %s", result)
    return result


SCHEDULES = {
    records_check: "0 2 * * *",
    monitoring_sweep: "0 7 * * *",
    sla_sweep: "30 7 * * 1-5",
}
