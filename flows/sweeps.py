"""Scheduled flows: the monitoring sweep (reviews due, overdue, unsigned starts) and the SLA
sweep (gates past their due date). Mail keys make each reminder go once."""

from prefect import flow, get_run_logger, task
from sqlmodel import select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Case, Gate
from lifecycle.rules import GateKind, Role
from lifecycle.services import gates, monitoring, outbox, users
from lifecycle.settings import get_settings
from notifications import Notification


@task(retries=3, retry_delay_seconds=2)
def remind_reviews() -> int:
    """Review-due reminders and overdue escalations."""
    with transaction() as session:
        return monitoring.remind_due_reviews(session, settings=get_settings())


@task(retries=3, retry_delay_seconds=2)
def flag_unsigned() -> int:
    """Flag contracts that started before signing was confirmed."""
    with transaction() as session:
        return monitoring.flag_unsigned_starts(session)


@task(retries=3, retry_delay_seconds=2)
def remind_overdue_gates() -> int:
    """Remind deciders of gates past their SLA (once per gate)."""
    sent = 0
    with transaction() as session:
        overdue = session.exec(
            select(Gate, Case).where(
                Gate.status == "pending", Gate.due_on < clock.today(), Gate.case_id == Case.id
            )
        ).all()
        for gate, case in overdue:
            deciders = [
                user
                for user in users.with_role(session, role=Role(gate.role))
                if user.id != case.requester_id
            ]
            if outbox.enqueue_mail(
                session,
                key=f"gate:{gate.id}:reminder",
                case=case,
                notification=Notification.GATE_REMINDER,
                to=deciders,
                gate_label=gates.GATE_LABELS[GateKind(gate.kind)],
                opened_on=gate.opened_at.date().isoformat(),
                due_on=gate.due_on.isoformat(),
            ):
                sent += 1
    return sent


@flow(name="monitoring-sweep", flow_run_name=lambda: f"monitoring-sweep {clock.today()}")
async def monitoring_sweep() -> dict[str, int]:
    """Daily: reviews due and overdue, contracts started unsigned."""
    result = {"review_reminders": remind_reviews(), "flagged": flag_unsigned()}
    get_run_logger().info("monitoring sweep: %s", result)
    return result


@flow(name="sla-sweep", flow_run_name=lambda: f"sla-sweep {clock.today()}")
async def sla_sweep() -> dict[str, int]:
    """Daily: gates waiting past their SLA."""
    result = {"gate_reminders": remind_overdue_gates()}
    get_run_logger().info("SLA sweep: %s", result)
    return result


SCHEDULES = {
    monitoring_sweep: "0 7 * * *",
    sla_sweep: "30 7 * * 1-5",
}
