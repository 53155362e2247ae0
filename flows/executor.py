"""Runs stage flows inside this long-lived process (the embedded default, `stage_execution =
in_process`): each due request is claimed, created as a Prefect flow run named by the case
reference, and run here by calling the flow, `stage_concurrency` at a time. No Python process
is started per run, and every run shares one Prefect client. A claim is a lease the executor
renews while the run goes on; one left to lapse (its executor killed) is settled as crashed and
the stage asked for again. A run left Running in Prefect with no request naming it (lost before
it was recorded, or given up) is marked crashed there."""

import asyncio
import contextlib
import copy
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
from prefect import Flow
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.actions import FlowRunCreate
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy, StateType
from prefect.context import AsyncClientContext, SyncClientContext
from prefect.flow_engine import run_flow_async
from prefect.settings import (
    PREFECT_API_AUTH_STRING,
    PREFECT_API_KEY,
    PREFECT_API_URL,
    PREFECT_CLIENT_MAX_RETRIES,
    PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)
from prefect.states import Crashed, Pending, Running, to_state_create
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from flows.busy_retry import retry_busy_quickly
from flows.known_runs import KnownRunsClient, running_here
from flows.orphans import crash_orphans
from flows.stages import STAGE_FLOWS
from lifecycle.db import transaction
from lifecycle.models import FlowRequest, utcnow
from lifecycle.runorder import Priority, may_start
from lifecycle.services import outbox
from lifecycle.settings import Settings

log = logging.getLogger("procure.executor")

MAX_BACKOFF_SECONDS = 30.0
MAX_ATTEMPTS = 20
# How often the executor looks for runs left Running in Prefect when it lost none itself.
ORPHAN_LOOK_SECONDS = 600.0
# A run's final state as the request shows it; a crash is settled (and asked for again).
FINAL_STATUS = {
    StateType.COMPLETED: "completed",
    StateType.FAILED: "failed",
    StateType.CANCELLED: "cancelled",
}


def runnable_flows() -> dict[str, Flow[Any, Any]]:
    """Each stage flow by name, as the executor runs it, without what would cost each run a
    call to Prefect or a write to the database for nothing:
    - no run-name template: the executor names the run when it creates it (the same name), so
      the engine need not rename it;
    - result storage named: left to find it, the engine asks the Prefect server for its
      default storage on every run. Unless Prefect's settings name a storage block (which
      needs no such call), it is Prefect's local storage. Stage flows keep no results, as
      before; only a failed attempt's error is written there;
    - no completion or failure hooks: the executor records how the run ended as it settles
      the request (`finish`), so the hooks' same update would be a second write;
    - no parameter check by the engine: the executor checks them before it creates the run
      (`checked_parameters`), and only the run of parameters that failed is left to the
      engine's check (`with_parameter_check`)."""
    results = get_current_settings().results
    storage = None if results.default_storage_block else Path(results.local_storage_path)
    flows: dict[str, Flow[Any, Any]] = {}
    for stage_flow in STAGE_FLOWS.values():
        runnable = stage_flow.with_options(result_storage=storage, persist_result=False)
        runnable.flow_run_name = None
        runnable.on_completion_hooks = []
        runnable.on_failure_hooks = []
        runnable.should_validate_parameters = False
        flows[stage_flow.name] = runnable
    return flows


def with_parameter_check(flow: Flow[Any, Any]) -> Flow[Any, Any]:
    """`flow` as the engine runs it with its parameters checked: for a request whose
    parameters failed the executor's check, so the run records the failure in Prefect."""
    checking = copy.copy(flow)
    checking.should_validate_parameters = True
    return checking


def checked_parameters(flow: Flow[Any, Any], parameters: dict[str, Any]) -> dict[str, Any] | None:
    """The parameters as the flow takes them (as the engine would check and convert them), or
    None if they do not fit it."""
    try:
        return flow.validate_parameters(parameters)
    except Exception:
        return None


@contextlib.asynccontextmanager
async def shared_prefect_clients() -> AsyncIterator[None]:
    """One Prefect client, async and sync, for every run started inside (the runs are tasks
    of this context, so they inherit it). Left to itself, the flow engine opens a new client
    for each run, and a sync one to read the default result storage: each builds a TLS
    context, which here cost a third of the executor's CPU. Opening them asks nothing of
    Prefect (no version check), so the executor starts while Prefect is down and its runs
    wait as before. A request that finds Prefect gone is tried twice more (2 s, then 4 s)
    rather than Prefect's five times over a minute, which a long-lived client would otherwise
    do: the run is then put back to wait, and the executor backs off as a whole. A 503 (the
    Prefect server's database was busy) is first tried again within a second
    (`flows/busy_retry.py`), and the client skips the three calls of each run that ask Prefect
    for nothing new (`flows/known_runs.py`).

    No flow-run heartbeats either: the first goes out as each run starts, as an event the
    Prefect server must store, while a stage run takes well under a second and a run whose
    executor dies is caught by its lapsed claim (`recover_lapsed`), not by a heartbeat.

    Without a Prefect API URL there is nothing to share: opening a client would start
    Prefect's temporary server, tens of seconds in which this loop could do nothing else."""
    if not PREFECT_API_URL.value():
        yield
        return
    with (
        temporary_settings(
            updates={
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED: False,
                PREFECT_CLIENT_MAX_RETRIES: 2,
            }
        ),
        SyncClientContext.get_or_create(),
    ):
        existing = AsyncClientContext.get()
        if existing and asyncio.get_running_loop() is existing.client.loop:
            yield
            return
        client = KnownRunsClient(
            PREFECT_API_URL.value(),
            auth_string=PREFECT_API_AUTH_STRING.value(),
            api_key=PREFECT_API_KEY.value(),
        )
        # Built around this client rather than the one its constructor would open for nothing.
        context = AsyncClientContext.model_construct(client=client)
        http = getattr(client, "_client", None)
        if isinstance(http, httpx.AsyncClient):
            retry_busy_quickly(http)
        async with context:
            yield


async def create_flow_run(
    client: PrefectClient,
    flow: Flow[Any, Any],
    flow_id: UUID,
    request: FlowRequest,
    *,
    running: bool = True,
) -> FlowRun:
    """What `PrefectClient.create_flow_run` does, but for a flow already registered: that
    call registers the flow again on every run, a write the Prefect server must make each
    time. The run is named by the case reference and tagged with it, and created Running,
    since the executor runs it at once: Prefect sets its start time and run count and records
    the move to Running as it creates it, rather than in a second write a moment later
    (`flows/known_runs.py` answers the engine's own move to Running). A run whose parameters
    failed the executor's check is created Pending (`running=False`): the engine then fails it
    from there, as Prefect would any run, rather than as a failed attempt of a Running run,
    which Prefect would retry. Its idempotency key is
    new for each call, and the same in every resend of the call's request: a create that was
    answered 503 although it had been made (a connection lost as it committed) returns that run
    when sent again, rather than making a second."""
    reference = str(request.parameters.get("reference", ""))
    body = FlowRunCreate(
        flow_id=flow_id,
        idempotency_key=f"{request.key}:{uuid4()}",
        flow_version=flow.version,
        name=request.run_name,
        parameters=request.parameters,
        tags=[reference],
        state=to_state_create(Running() if running else Pending()),
        empirical_policy=FlowRunPolicy(
            retries=flow.retries, retry_delay=int(flow.retry_delay_seconds or 0)
        ),
    )
    response = await client.request(
        "POST", "/flow_runs/", json=body.model_dump(mode="json", exclude_unset=True)
    )
    return FlowRun.model_validate(response.json())


def due(engine: Engine, *, limit: int) -> list[FlowRequest]:
    """Pending requests whose time has come: the awaited first, then the oldest."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.exec(
                select(FlowRequest)
                .where(FlowRequest.status == "pending", FlowRequest.not_before <= utcnow())
                .order_by(
                    col(FlowRequest.priority), col(FlowRequest.not_before), col(FlowRequest.id)
                )
                .limit(limit)
            )
        )


def claim(engine: Engine, request_id: int, *, lease: timedelta) -> bool:
    """Take a pending request for this executor; False if another took it first."""
    with transaction(engine) as session:
        taken = session.execute(
            update(FlowRequest)
            .where(col(FlowRequest.id) == request_id, col(FlowRequest.status) == "pending")
            .values(status="submitted", claimed_until=utcnow() + lease, updated_at=utcnow())
        )
        return bool(getattr(taken, "rowcount", 0))


def renew(engine: Engine, request_ids: list[int], *, lease: timedelta) -> None:
    """Extend this executor's claims on the runs it still holds."""
    if not request_ids:
        return
    with transaction(engine) as session:
        session.execute(
            update(FlowRequest)
            .where(
                col(FlowRequest.id).in_(request_ids),
                col(FlowRequest.status).in_(("submitted", "running")),
            )
            .values(claimed_until=utcnow() + lease)
        )


def lapsed(engine: Engine, *, not_ids: list[int]) -> list[FlowRequest]:
    """Claimed runs whose executor stopped renewing them: it died mid-run."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.exec(
                select(FlowRequest)
                .where(
                    col(FlowRequest.status).in_(("submitted", "running")),
                    col(FlowRequest.claimed_until) < utcnow(),
                    col(FlowRequest.id).not_in(not_ids or [0]),
                )
                .limit(200)
            )
        )


def attach(engine: Engine, request_id: int, *, flow_run_id: str) -> None:
    """Record the flow run a claimed request became, about to run here (its claim kept)."""
    with transaction(engine) as session:
        session.execute(
            update(FlowRequest)
            .where(col(FlowRequest.id) == request_id)
            .values(flow_run_id=flow_run_id, status="running", updated_at=utcnow())
        )


def finish(engine: Engine, request_id: int, **values: Any) -> None:
    """Update one request and drop its claim, in its own transaction."""
    with transaction(engine) as session:
        session.execute(
            update(FlowRequest)
            .where(col(FlowRequest.id) == request_id)
            .values(claimed_until=None, updated_at=utcnow(), **values)
        )


def release(engine: Engine, request: FlowRequest, error: BaseException) -> None:
    """Put a request that could not run back in the queue, counting the attempt; one refused
    MAX_ATTEMPTS times fails for good. Prefect out of reach is no refusal: however long it
    is down, the request waits."""
    assert request.id is not None
    attempts = request.attempts + 1
    unreachable = isinstance(error, httpx.TransportError)
    finish(
        engine,
        request.id,
        status="failed" if attempts >= MAX_ATTEMPTS and not unreachable else "pending",
        flow_run_id=None,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:500],
    )


class Executor:
    """Claims and runs due stage flows in this process, several at once."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.lease = timedelta(seconds=settings.stage_lease_seconds)
        self.flows = runnable_flows()
        # Each stage flow's id in Prefect, registered on its first run.
        self.flow_ids: dict[str, UUID] = {}
        self.running: dict[int, tuple[Priority, asyncio.Task[None]]] = {}
        self.wake = asyncio.Event()
        self.backoff = 0.0
        self.resume_at = 0.0
        # When next to look for runs left Running in Prefect (`_look_for_orphans`): at once,
        # for those an executor before it left; then soon after a run that may have left one.
        self.orphans_due = 0.0
        self.orphan_look: asyncio.Task[None] | None = None

    def _now(self) -> float:
        """The event loop's clock."""
        return asyncio.get_running_loop().time()

    def _wait_on_prefect(self) -> None:
        """Prefect refused or is unreachable: claim nothing more for a while, longer each time."""
        self.backoff = min(max(self.backoff * 2, 1.0), MAX_BACKOFF_SECONDS)
        self.resume_at = self._now() + self.backoff
        log.warning("stage runs wait %.0f s: Prefect did not accept them", self.backoff)

    def _look_for_orphans_later(self) -> None:
        """A run may have been left Running in Prefect: look once it is older than a lease
        (`crash_orphans` looks at none younger)."""
        due = self._now() + self.lease.total_seconds() + 1
        self.orphans_due = min(self.orphans_due, due)

    def fill(self) -> int:
        """Start due runs in the free slots, the awaited first; bulk work leaves one slot for
        a person. Returns how many started."""
        room = self.settings.stage_concurrency - len(self.running)
        if room <= 0 or self._now() < self.resume_at:
            return 0
        started = 0
        for request in due(self.engine, limit=room):
            assert request.id is not None
            priority = Priority(request.priority)
            bulk = sum(p is Priority.BULK for p, _ in self.running.values())
            if not may_start(
                priority,
                running=len(self.running),
                running_bulk=bulk,
                concurrency=self.settings.stage_concurrency,
            ):
                continue
            if claim(self.engine, request.id, lease=self.lease):
                task = asyncio.create_task(self.run(request), name=request.run_name)
                self.running[request.id] = (priority, task)
                task.add_done_callback(partial(self._done, request.id))
                started += 1
        return started

    def _done(self, request_id: int, _task: "asyncio.Task[None]") -> None:
        """A run ended: free its slot and look for the next at once."""
        self.running.pop(request_id, None)
        self.wake.set()

    async def run(self, request: FlowRequest) -> None:
        """Create the flow run (named by the case reference, tagged with it) and run it here."""
        assert request.id is not None
        flow = self.flows[request.flow_name]
        parameters = checked_parameters(flow, request.parameters)
        checked = parameters is not None
        if parameters is None:
            # Left to the engine's check, so that the run records in Prefect why it failed.
            flow, parameters = with_parameter_check(flow), request.parameters
        try:
            async with get_client() as client:
                if flow.name not in self.flow_ids:
                    self.flow_ids[flow.name] = await client.create_flow(flow)
                flow_run = await create_flow_run(
                    client,
                    flow,
                    self.flow_ids[flow.name],
                    request,
                    running=checked,
                )
        except Exception as exc:
            # A Prefect server started afresh knows none of the flows: register them again.
            self.flow_ids.clear()
            # The create may have been made though its answer was lost.
            self._look_for_orphans_later()
            release(self.engine, request, exc)
            self._wait_on_prefect()
            return
        attach(self.engine, request.id, flow_run_id=str(flow_run.id))
        try:
            with running_here(flow_run):
                state = await run_flow_async(
                    flow, flow_run=flow_run, parameters=parameters, return_type="state"
                )
        except Exception as exc:
            # The engine lost Prefect mid-run: every step is safe to repeat, so queue it again.
            log.warning("stage run %s lost Prefect (%s); queued again", request.run_name, exc)
            self._look_for_orphans_later()
            release(self.engine, request, exc)
            self._wait_on_prefect()
            return
        self.backoff = 0.0
        status = FINAL_STATUS.get(state.type) if state is not None else None
        if status is None:
            with transaction(self.engine) as session:
                outbox.settle_crash(session, flow_run_id=str(flow_run.id))
            return
        finish(self.engine, request.id, status=status, last_error=None)

    async def recover_lapsed(self) -> int:
        """Settle the runs of executors that died: the Prefect run is marked crashed and the
        stage asked for again (once, however many executors see it); a run that had ended in
        Prefect is recorded as it ended; a claim that never became a run simply goes back in
        the queue. Once Prefect is found out of reach, the rest are settled without it: each
        try would hold up this executor's loop (and the renewal of its own claims) for
        seconds."""
        rows = lapsed(self.engine, not_ids=list(self.running))
        reachable = True
        for row in rows:
            assert row.id is not None
            if row.flow_run_id is None:
                # Its executor may have died between creating the run and recording it.
                self._look_for_orphans_later()
                finish(self.engine, row.id, status="pending")
                continue
            ended: str | None = None
            try:
                if reachable:
                    async with get_client() as client:
                        state = (await client.read_flow_run(UUID(row.flow_run_id))).state_type
                        ended = FINAL_STATUS.get(state) if state else None
                        if ended is None and state is not StateType.CRASHED:
                            await client.set_flow_run_state(
                                row.flow_run_id, Crashed(message="its executor stopped"), force=True
                            )
            except Exception as exc:
                reachable = not isinstance(exc, httpx.TransportError)
                log.warning("could not read or mark %s crashed in Prefect: %s", row.run_name, exc)
            if ended is not None:
                # It ended in Prefect, and its executor died before recording it. Should this
                # write fail, the claim stays lapsed and is looked at again, not taken for a crash.
                finish(self.engine, row.id, status=ended, last_error=None)
                log.warning(
                    "stage run %s had ended (%s) as its executor stopped", row.run_name, ended
                )
                continue
            with transaction(self.engine) as session:
                again = outbox.settle_crash(session, flow_run_id=row.flow_run_id)
            log.warning(
                "stage run %s lost its executor; %s",
                row.run_name,
                "asked for again" if again else "already settled, or too often",
            )
        return len(rows)

    def _look_for_orphans(self) -> None:
        """When due, mark crashed the runs left Running in Prefect (`flows/orphans.py`), in a
        task of its own, bounded in time, so that a slow Prefect holds up neither the runs
        nor the renewal of their claims. Not without a Prefect API URL: a client opened then
        would start Prefect's temporary server, blocking this loop for tens of seconds."""
        busy = self.orphan_look is not None and not self.orphan_look.done()
        if busy or self._now() < max(self.orphans_due, self.resume_at):
            return
        if not PREFECT_API_URL.value():
            return
        self.orphans_due = self._now() + ORPHAN_LOOK_SECONDS
        self.orphan_look = asyncio.create_task(self._crash_orphans(), name="orphan look")

    async def _crash_orphans(self) -> None:
        try:
            await asyncio.wait_for(
                crash_orphans(self.engine, sorted(self.flows), lease=self.lease),
                timeout=ORPHAN_LOOK_SECONDS / 2,
            )
        except Exception as exc:
            log.warning("could not look for stage runs left running in Prefect: %r", exc)

    async def execute_forever(self) -> None:
        """Fill free slots as they free up or every dispatch interval; renew this executor's
        claims and settle lapsed ones a few times a lease. Every run shares one client."""
        async with shared_prefect_clients():
            await self._execute()

    async def _execute(self) -> None:
        """The executor's loop (see `execute_forever`)."""
        housekeeping_every = self.settings.stage_lease_seconds / 4
        next_housekeeping = 0.0
        while True:
            self.wake.clear()
            try:
                if self._now() >= next_housekeeping:
                    renew(self.engine, list(self.running), lease=self.lease)
                    await self.recover_lapsed()
                    self._look_for_orphans()
                    next_housekeeping = self._now() + housekeeping_every
                self.fill()
            except Exception:
                log.exception("stage runs: the database did not answer; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.wake.wait(), timeout=self.settings.dispatch_interval_seconds
                )
