"""Keeps each flow request's row in step with its Prefect flow run, so the API can show run
states from the database without asking Prefect."""

from typing import Any

from sqlalchemy import update
from sqlmodel import col

from lifecycle.db import transaction
from lifecycle.models import FlowRequest, utcnow
from lifecycle.services import outbox


def record_state(flow_run_id: Any, status: str) -> None:
    """Set the status of the request that created this flow run (if one did)."""
    with transaction() as session:
        session.execute(
            update(FlowRequest)
            .where(col(FlowRequest.flow_run_id) == str(flow_run_id))
            .values(status=status, updated_at=utcnow())
        )


def on_completion(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook: the run finished."""
    record_state(flow_run.id, "completed")


def on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook: the run failed."""
    record_state(flow_run.id, "failed")


def on_crashed(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook: the run's process is dying (SIGTERM): the stage is asked for again."""
    with transaction() as session:
        outbox.settle_crash(session, flow_run_id=str(flow_run.id))


HOOKS: dict[str, Any] = {
    "on_completion": [on_completion],
    "on_failure": [on_failure],
    "on_crashed": [on_crashed],
}
