"""The outbox dispatcher: runs due stage flows in this process (flows/executor.py, the
embedded default) or submits them to Prefect deployments for workers (one at a time, which a
SQLite-backed Prefect server needs), and delivers mail when an SMTP server is configured.
While Prefect or SMTP is down the rows stay pending and go when it is back."""

import asyncio
import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows.executor import Executor, due
from flows.runner import deployment_name, serve_all
from lifecycle.db import get_engine, transaction
from lifecycle.models import FlowRequest, utcnow
from lifecycle.services import outbox
from lifecycle.settings import Settings, get_settings
from notifications import SmtpSender, deliver_due, smtp_configured
from notifications.delivery import attempts_within

log = logging.getLogger("procure.dispatcher")

MAX_BACKOFF_SECONDS = 30.0
MAX_ATTEMPTS = 20
RECONCILE_EVERY_SECONDS = 5.0
RECONCILE_AFTER = timedelta(seconds=10)
# Prefect's final states as the API shows them; other states leave the row as it is.
RUN_STATUS = {
    StateType.COMPLETED: "completed",
    StateType.FAILED: "failed",
    StateType.CRASHED: "crashed",
    StateType.CANCELLED: "cancelled",
    StateType.RUNNING: "running",
}
# Errors that mean "Prefect is not there yet", not "this request is wrong": wait, retry all.
WAIT_ON = (httpx.TransportError, ObjectNotFound)


def mark(engine: Engine, request_id: int, **values: Any) -> None:
    """Update one request row in its own transaction."""
    with transaction(engine) as session:
        row = session.get(FlowRequest, request_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        session.add(row)


class Dispatcher:
    """Drains both outboxes. Several may run: mail rows are claimed, and a flow request
    submitted twice is one run (its idempotency key)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._deployments: dict[str, UUID] = {}
        self.sender = SmtpSender(settings) if smtp_configured(settings) else None

    async def _deployment_id(self, client: Any, flow_name: str) -> UUID:
        """Deployment ids never change while the runner lives; look each up once."""
        if flow_name not in self._deployments:
            deployment = await client.read_deployment_by_name(deployment_name(flow_name))
            self._deployments[flow_name] = deployment.id
        return self._deployments[flow_name]

    async def submit_due(self) -> int:
        """Submit due flow requests. Prefect unreachable (or the runner not yet serving):
        stop and leave everything pending. A request Prefect refuses: count the attempt and
        go on with the others, failing it for good after MAX_ATTEMPTS."""
        submitted = 0
        requests = due(self.engine, limit=20)
        if not requests:
            return 0
        async with get_client() as client:
            for request in requests:
                assert request.id is not None
                try:
                    deployment_id = await self._deployment_id(client, request.flow_name)
                    run = await client.create_flow_run_from_deployment(
                        deployment_id,
                        parameters=request.parameters,
                        name=request.run_name,
                        # The case's reference as a tag: the Prefect UI filters a case's runs.
                        tags=[str(request.parameters.get("reference", ""))],
                        idempotency_key=request.key,
                    )
                except Exception as exc:
                    self._deployments.pop(request.flow_name, None)
                    attempts = request.attempts + 1
                    waiting = isinstance(exc, WAIT_ON)
                    mark(
                        self.engine,
                        request.id,
                        attempts=attempts,
                        last_error=f"{type(exc).__name__}: {exc}"[:500],
                        status="failed" if attempts >= MAX_ATTEMPTS and not waiting else "pending",
                    )
                    if waiting:
                        raise
                    log.error("flow request %s refused by Prefect: %s", request.key, exc)
                    continue
                mark(
                    self.engine,
                    request.id,
                    status="submitted",
                    flow_run_id=str(run.id),
                    last_error=None,
                )
                submitted += 1
        return submitted

    async def reconcile_states(self) -> int:
        """Copy Prefect's state onto requests still shown as submitted or running. The flow's
        own hooks usually do it; a run killed with its process (or cancelled, or late) runs
        no hook, and the API must not show it running for ever."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(FlowRequest)
                .where(
                    col(FlowRequest.status).in_(("submitted", "running")),
                    col(FlowRequest.flow_run_id).is_not(None),
                    FlowRequest.updated_at < utcnow() - RECONCILE_AFTER,
                )
                .limit(200)
            ).all()
        if not rows:
            return 0
        ids = [UUID(row.flow_run_id) for row in rows if row.flow_run_id]
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids))
            )
        states = {str(run.id): run.state.type for run in runs if run.state is not None}
        changed = 0
        for row in rows:
            assert row.id is not None
            state = states.get(row.flow_run_id or "")
            status = RUN_STATUS.get(state, row.status) if state else row.status
            changed += status != row.status
            if status == "crashed" and row.flow_run_id:
                # Its process died mid-run (a worker killed): the case still needs the step.
                # Marked and asked for again in one locked step, so two dispatchers (or the
                # run's own hook) seeing the same crash ask once.
                with transaction(self.engine) as session:
                    again = outbox.settle_crash(session, flow_run_id=row.flow_run_id)
                log.warning(
                    "flow run %s crashed; %s",
                    row.run_name,
                    "asked for again" if again else "already settled, or too often",
                )
                continue
            # Touch unchanged rows too, so each is looked at again only after a pause.
            mark(self.engine, row.id, status=status)
        return changed

    async def deliver_mail(self) -> None:
        """Send due mail, if an SMTP server is configured."""
        if self.sender is None:
            return
        await deliver_due(
            self.engine,
            self.sender,
            max_attempts=attempts_within(self.settings.mail_retry_hours),
            sender_address=self.settings.mail_from,
            lease=timedelta(seconds=self.settings.mail_lease_seconds),
        )

    async def submit_forever(self) -> None:
        """Submit due flow requests; back off while Prefect is unreachable."""
        delay = self.settings.dispatch_interval_seconds
        next_reconcile = 0.0
        while True:
            try:
                await self.submit_due()
                if asyncio.get_running_loop().time() >= next_reconcile:
                    await self.reconcile_states()
                    next_reconcile = asyncio.get_running_loop().time() + RECONCILE_EVERY_SECONDS
                delay = self.settings.dispatch_interval_seconds
            except Exception as exc:
                log.warning("flow requests wait: Prefect did not accept them (%s)", exc)
                delay = min(max(delay * 2, 1.0), MAX_BACKOFF_SECONDS)
            await asyncio.sleep(delay)

    async def deliver_forever(self) -> None:
        """Send due mail, in its own loop: an SMTP server that hangs delays only mail."""
        while True:
            try:
                await self.deliver_mail()
            except Exception:
                log.exception("mail delivery failed; it is retried")
            await asyncio.sleep(self.settings.dispatch_interval_seconds)

    async def run_forever(self) -> None:
        """Both loops side by side: stage runs never wait on mail, nor mail on them. The
        stage runs go in this process, or to the deployments (`stage_execution`)."""
        if self.settings.stage_execution == "in_process":
            stages = Executor(self.settings, self.engine).execute_forever()
        else:
            stages = self.submit_forever()
        await asyncio.gather(stages, self.deliver_forever())


async def serve_schedules_until_stopped() -> None:
    """Serve the deployments (the daily sweeps' schedules, and the stages for a run started
    from the Prefect UI) from this process, when stage runs run here too: a stage runner of
    its own would hold another Python process, about 130 MB, to start three runs a day.
    Returns when the runner is told to stop (SIGTERM); if it fails (Prefect out of reach),
    it starts again after a pause while mail and stage runs go on."""
    delay = 1.0
    while True:
        try:
            await serve_all()
            return
        except Exception as exc:
            log.warning("the schedules wait: Prefect did not accept them (%s)", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)


async def dispatch_forever() -> None:
    """Run the dispatcher with the process settings; in process mode, serve the schedules
    beside it, and stop both when either ends (the runner stopped by SIGTERM)."""
    settings = get_settings()
    dispatcher = Dispatcher(settings, get_engine())
    if settings.stage_execution != "in_process":
        await dispatcher.run_forever()
        return
    parts = [
        asyncio.create_task(dispatcher.run_forever()),
        asyncio.create_task(serve_schedules_until_stopped()),
    ]
    try:
        ended, _ = await asyncio.wait(parts, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for part in parts:
            part.cancel()
        await asyncio.gather(*parts, return_exceptions=True)
    for part in ended:
        part.result()  # a part that failed fails the process, for its supervisor to restart
