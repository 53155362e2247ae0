"""Stage runs executed in a long-lived process (flows/executor.py) on a real Prefect server:
each is a flow run named by the case reference; a decision's next stage overtakes a backlog of
bulk work; runs share one Prefect client and send no heartbeats, and wait while Prefect is
down; and an executor killed mid-run loses nothing: its run is settled as crashed and the stage
runs again."""

import asyncio
import contextlib
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from alembic import command
from httpx import URL
from prefect.client.orchestration import PrefectClient, SyncPrefectClient, get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.flow_engine import AsyncFlowRunEngine
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_DEFAULT_RESULT_STORAGE_BLOCK,
    get_current_settings,
    temporary_settings,
)
from prefect.states import Failed
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from flows import executor as executor_module
from flows.executor import (
    FINAL_STATUS,
    MAX_ATTEMPTS,
    Executor,
    release,
    runnable_flows,
    shared_prefect_clients,
)
from flows.orphans import crash_orphans
from flows.stages import STAGE_FLOWS
from flows.tracking import on_crashed
from lifecycle import schema
from lifecycle.db import transaction
from lifecycle.models import Case, FlowRequest, Gate, utcnow
from lifecycle.rules import Stage, Status
from lifecycle.runorder import Priority
from lifecycle.schemas import GateDecisionIn
from lifecycle.services import cases, gates
from lifecycle.settings import Settings
from tests.e2e.support import free_port, wait_until
from tests.flows.test_stage_flows import raise_case

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parents[2]


def requests_of(engine: Engine, case_id: int) -> list[FlowRequest]:
    """The case's flow requests, oldest first."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(FlowRequest)
                .where(FlowRequest.case_id == case_id)
                .order_by(col(FlowRequest.id))
            )
        )


def waiting_for(engine: Engine, holder: int) -> int:
    """Sessions held up by a lock that the session `holder` (its backend pid) holds."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE :holder = ANY(pg_blocking_pids(pid))"
                ),
                {"holder": holder},
            ).scalar_one()
        )


async def drain(executor: Executor) -> None:
    """Start due runs and wait for them, until nothing is due or running."""
    while executor.fill() or executor.running:
        await asyncio.gather(*(task for _, task in list(executor.running.values())))


def test_executor_runs_each_stage_as_a_flow_run_named_by_the_case(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    case_id, reference = raise_case(product_database, requester, settings)

    run(drain(Executor(settings, product_database)))

    rows = requests_of(product_database, case_id)
    assert [(r.flow_name, r.status) for r in rows] == [
        ("purchase-request", "completed"),
        ("legal-consultation", "completed"),
    ]
    # The request raised by a person is bulk; the stage that follows on from a flow too.
    assert {r.priority for r in rows} == {Priority.BULK}

    async def read_runs() -> list[Any]:
        async with get_client() as client:
            return [await client.read_flow_run(r.flow_run_id) for r in rows]

    flow_runs = run(read_runs())
    assert [f.name for f in flow_runs] == [
        f"purchase-request {reference}",
        f"legal-consultation {reference}",
    ]
    assert all(reference in f.tags and f.state_type == StateType.COMPLETED for f in flow_runs)
    with Session(product_database) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.stage, case.status) == (Stage.LEGAL_CONSULTATION, Status.AWAITING_DECISION)


def test_a_decision_overtakes_a_backlog_of_new_cases(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    lawyer, _ = make_user("legal")
    case_id, _ = raise_case(product_database, requester, settings)
    executor = Executor(settings.model_copy(update={"stage_concurrency": 2}), product_database)
    run(drain(executor))
    backlog = [raise_case(product_database, requester, settings)[0] for _ in range(4)]
    with transaction(product_database) as session:
        case = cases.get_for_change(session, case_id=case_id, user=None)
        gate = session.exec(select(Gate).where(Gate.case_id == case_id)).one()
        decision = GateDecisionIn(decision="approve", contract_type="Services", key_contract=False)
        gates.decide(session, case=case, gate=gate, user=lawyer, decision=decision)

    async def first_round() -> list[int | None]:
        executor.fill()
        started = [row_id for row_id in executor.running]
        await asyncio.gather(*(task for _, task in executor.running.values()))
        return started

    started = run(first_round())
    with Session(product_database) as session:
        first = session.get(FlowRequest, started[0])
        assert first is not None
    # Decided last, started first, beside one bulk run: the other slot waits for people.
    assert (first.case_id, first.flow_name, first.priority) == (
        case_id,
        "procurement",
        Priority.PERSON_WAITS,
    )
    assert len(started) == 2
    run(drain(executor))
    assert all(requests_of(product_database, c)[0].status == "completed" for c in backlog)


def test_runs_share_one_prefect_client_and_register_each_flow_once(
    prefect: str,
    product_database: Engine,
    make_user: Any,
    settings: Settings,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    # Opening a Prefect client builds a TLS context: the cost that sharing one avoids.
    opened: list[Any] = []
    create_default_context = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        opened.append(args)
        return create_default_context(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    registered: list[str] = []
    create_flow = PrefectClient.create_flow

    async def counting_create_flow(self: PrefectClient, flow: Any) -> Any:
        registered.append(flow.name)
        return await create_flow(self, flow)

    monkeypatch.setattr(PrefectClient, "create_flow", counting_create_flow)
    heartbeats: list[Any] = []
    monkeypatch.setattr(
        AsyncFlowRunEngine, "_emit_flow_run_heartbeat", lambda *args: heartbeats.append(args)
    )
    executor = Executor(
        settings.model_copy(update={"dispatch_interval_seconds": 0.1}), product_database
    )

    async def all_completed(count: int) -> None:
        while True:
            with Session(product_database) as session:
                statuses = session.exec(select(FlowRequest.status)).all()
            if len(statuses) == count and set(statuses) == {"completed"}:
                return
            await asyncio.sleep(0.1)

    async def execute() -> tuple[list[Any], list[Any]]:
        # The executor as the dispatcher runs it, until the runs asked for are done.
        executing = asyncio.create_task(executor.execute_forever())
        try:
            raise_case(product_database, requester, settings)
            await asyncio.wait_for(all_completed(2), timeout=60)
            warmed_up = list(opened)
            for _ in range(3):
                raise_case(product_database, requester, settings)
            await asyncio.wait_for(all_completed(8), timeout=60)
            return warmed_up, opened[len(warmed_up) :]
        finally:
            executing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await executing

    warmed_up, after = run(execute())
    # The shared clients open as the executor starts (a TLS context each); the six runs after
    # the first case's two open none (without sharing: three for each run).
    assert after == [] and len(warmed_up) <= 3
    assert sorted(registered) == ["legal-consultation", "purchase-request"]
    assert heartbeats == []


def test_a_stage_run_asks_prefect_only_what_it_must(
    prefect: str,
    product_database: Engine,
    make_user: Any,
    settings: Settings,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    case_id, reference = raise_case(product_database, requester, settings)
    executor = Executor(settings, product_database)
    storage_asked: list[str] = []
    for client_class in (PrefectClient, SyncPrefectClient):
        read_storage = client_class.read_server_default_result_storage

        def recorded(*args: Any, read: Any = read_storage) -> Any:
            storage_asked.append("asked")
            return read(*args)

        monkeypatch.setattr(client_class, "read_server_default_result_storage", recorded)
    sent: list[tuple[str, str]] = []  # answered, so a request tried again counts once

    async def execute() -> list[FlowRun]:
        async with shared_prefect_clients():
            client = get_client()
            transport = client._client._transport_for_url(client.api_url)
            real = transport.inner

            class Recording(httpx.AsyncBaseTransport):
                async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                    path = request.url.path.removeprefix(URL(client.api_url).path.rstrip("/"))
                    answer = await real.handle_async_request(request)
                    if answer.status_code < 500:
                        sent.append((request.method, re.sub(r"[0-9a-f-]{36}", "{id}", path)))
                    return answer

            transport.inner = Recording()
            await drain(executor)
            ids = [r.flow_run_id for r in requests_of(product_database, case_id)]
            states = [[s.type for s in await client.read_flow_run_states(i)] for i in ids]
            return [await client.read_flow_run(i) for i in ids], states

    flow_runs, histories = run(execute())
    assert [r.status for r in requests_of(product_database, case_id)] == ["completed"] * 2
    # Per run: created Running, then Completed. Neither the engine's update of the run to what
    # it was created with, nor its move to where the run already is, nor its read of the run it
    # was just handed, nor a read of the server's default result storage.
    calls = [call for call in sent if call != ("POST", "/flows/")]
    assert calls.count(("POST", "/flow_runs/")) == 2
    assert calls.count(("POST", "/flow_runs/{id}/set_state")) == 2
    assert ("PATCH", "/flow_runs/{id}") not in calls
    assert ("GET", "/flow_runs/{id}") not in calls[:-4]  # the test's own reads are the last
    assert not [call for call in calls if call[1].startswith("/admin/storage")]
    assert storage_asked == []
    # What the skipped calls would have set is there all the same, from the run's creation.
    flows = runnable_flows()
    for flow_run, name in zip(flow_runs, ["purchase-request", "legal-consultation"], strict=True):
        assert flow_run.name == f"{name} {reference}" and reference in flow_run.tags
        assert flow_run.state_type == StateType.COMPLETED and flow_run.run_count == 1
        assert flow_run.start_time is not None and flow_run.end_time is not None
        assert flow_run.flow_version == flows[name].version
        assert (flow_run.empirical_policy.retries, flow_run.empirical_policy.retry_delay) == (3, 3)
    # In the Prefect UI each run went from Running (as it was created) to Completed.
    assert histories == [[StateType.RUNNING, StateType.COMPLETED]] * 2

    async def lines_in_prefect() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(
                LogFilter(flow_run_id=LogFilterFlowRunId(any_=[f.id for f in flow_runs]))
            )
        return [log.message for log in logs]

    # The run's own lines are in Prefect with the run (the stage runner keeps them off its
    # console: tests/flows/test_console.py).
    wait_until(
        lambda: any(
            line.startswith(f"purchase_request {reference}: ") for line in run(lines_in_prefect())
        ),
        timeout=30,
        what="the stage run's log lines in Prefect",
    )


def test_the_executors_flows_cost_no_call_or_write_for_nothing() -> None:
    flows = runnable_flows()
    assert sorted(flows) == sorted(stage.name for stage in STAGE_FLOWS.values())
    for flow in flows.values():
        assert flow.flow_run_name is None
        # Named storage (a path: no block to load), so no run asks the server for its default.
        assert flow.result_storage == Path(get_current_settings().results.local_storage_path)
        assert flow.persist_result is False
        assert flow.on_completion_hooks == [] and flow.on_failure_hooks == []
        # A run whose process is stopping still asks for its stage again.
        assert flow.on_crashed_hooks == [on_crashed]
        assert (flow.retries, flow.retry_delay_seconds) == (3, 3)


def test_a_storage_block_named_in_prefects_settings_is_left_to_prefect() -> None:
    # Prefect resolves a block named in its settings without asking the server.
    with temporary_settings(updates={PREFECT_DEFAULT_RESULT_STORAGE_BLOCK: "local-file-system/x"}):
        flows = runnable_flows()
    assert {flow.result_storage for flow in flows.values()} == {None}


@pytest.mark.parametrize("ended", [StateType.COMPLETED, StateType.FAILED])
def test_a_run_that_ended_in_prefect_before_its_executor_died_is_recorded_as_it_ended(
    ended: StateType,
    prefect: str,
    product_database: Engine,
    make_user: Any,
    settings: Settings,
    run: Any,
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    case_id, _ = raise_case(product_database, requester, settings)
    run(drain(Executor(settings, product_database)))
    first = requests_of(product_database, case_id)[0]
    flow_run_id = UUID(first.flow_run_id or "")

    async def end_in_prefect() -> None:
        if ended is StateType.FAILED:  # as after its last retry
            async with get_client() as client:
                await client.set_flow_run_state(flow_run_id, Failed(), force=True)

    run(end_in_prefect())
    # Its executor died after Prefect had the run ended, before recording it.
    with transaction(product_database) as session:
        row = session.get(FlowRequest, first.id)
        assert row is not None
        row.status, row.claimed_until = "running", utcnow() - timedelta(seconds=1)
        row.last_error = "ReadTimeout: from an earlier attempt"
    assert run(Executor(settings, product_database).recover_lapsed()) == 1

    async def prefect_state() -> StateType | None:
        async with get_client() as client:
            return (await client.read_flow_run(flow_run_id)).state_type

    assert run(prefect_state()) == ended  # not overwritten as crashed
    rows = requests_of(product_database, case_id)
    # Recorded as it ended, and the stage not asked for again.
    assert [(r.flow_name, r.status) for r in rows] == [
        ("purchase-request", FINAL_STATUS[ended]),
        ("legal-consultation", "completed"),
    ]
    assert rows[0].claimed_until is None and rows[0].last_error is None


def test_a_run_left_running_in_prefect_by_a_lost_answer_is_marked_crashed_and_run_again(
    prefect: str,
    product_database: Engine,
    make_user: Any,
    settings: Settings,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    settings = settings.model_copy(update={"stage_lease_seconds": 2})
    case_id, _ = raise_case(product_database, requester, settings)
    executor = Executor(settings, product_database)
    create = executor_module.create_flow_run
    made: list[FlowRun] = []

    async def made_but_answer_lost(*args: Any, **kwargs: Any) -> FlowRun:
        made.append(await create(*args, **kwargs))
        raise httpx.ReadError("the connection closed as Prefect answered")

    async def executor_looks() -> asyncio.Task[None] | None:
        executor.resume_at = 0.0
        executor._look_for_orphans()
        if executor.orphan_look is not None:
            await executor.orphan_look
        return executor.orphan_look

    as_it_started = run(executor_looks())  # for runs an executor before it left
    assert as_it_started is not None
    monkeypatch.setattr(executor_module, "create_flow_run", made_but_answer_lost)
    run(drain(executor))
    monkeypatch.setattr(executor_module, "create_flow_run", create)
    [lost] = made
    [row] = requests_of(product_database, case_id)
    assert (row.status, row.flow_run_id) == ("pending", None)  # the stage is queued again

    async def state_of(flow_run_id: UUID) -> StateType | None:
        async with get_client() as client:
            return (await client.read_flow_run(flow_run_id)).state_type

    def look(lease: timedelta) -> int:
        return int(run(crash_orphans(product_database, sorted(executor.flows), lease=lease)))

    assert run(state_of(lost.id)) == StateType.RUNNING
    # Younger than a lease, it may be another executor's run about to be recorded: left.
    look(timedelta(hours=1))
    assert run(state_of(lost.id)) == StateType.RUNNING
    # Nor is a run left whose request is claimed and has not recorded its run yet: its
    # executor may be awaiting the answer to the create.
    with transaction(product_database) as session:
        claimed = session.get(FlowRequest, row.id)
        assert claimed is not None
        claimed.status, claimed.claimed_until = "submitted", utcnow() + timedelta(minutes=1)
    look(timedelta(0))
    assert run(state_of(lost.id)) == StateType.RUNNING
    with transaction(product_database) as session:
        released = session.get(FlowRequest, row.id)
        assert released is not None
        released.status, released.claimed_until = "pending", None

    # The executor looks again a lease after it lost the run, not before.
    assert run(executor_looks()) is as_it_started
    assert run(state_of(lost.id)) == StateType.RUNNING
    wait_until(lambda: time.monotonic() >= executor.orphans_due, timeout=10, what="a lease gone by")
    assert run(executor_looks()) is not as_it_started
    assert run(state_of(lost.id)) == StateType.CRASHED
    run(drain(executor))  # the stage runs again, as a new run
    rows = requests_of(product_database, case_id)
    assert [r.status for r in rows] == ["completed", "completed"]
    assert all(run(state_of(UUID(r.flow_run_id or ""))) == StateType.COMPLETED for r in rows)


def test_a_run_whose_parameters_do_not_fit_fails_in_prefect_once(
    prefect: str,
    product_database: Engine,
    make_user: Any,
    settings: Settings,
    run: Any,
) -> None:
    requester, _ = make_user("requester")
    case_id, _ = raise_case(product_database, requester, settings)
    with transaction(product_database) as session:
        [request] = session.exec(select(FlowRequest).where(FlowRequest.case_id == case_id))
        request.parameters = {**request.parameters, "case_id": "not a number"}
    # Bounded: run as a failed attempt of a Running run, it would be tried again for good.
    run(asyncio.wait_for(drain(Executor(settings, product_database)), timeout=60))
    [row] = requests_of(product_database, case_id)

    async def history() -> list[StateType]:
        async with get_client() as client:
            states = await client.read_flow_run_states(UUID(row.flow_run_id or ""))
        return [state.type for state in states]

    # Created Pending and failed from there by the engine's check, as Prefect fails any run
    # whose parameters do not fit: not retried as a failed attempt would be.
    assert row.status == "failed" and run(history()) == [StateType.PENDING, StateType.FAILED]


def test_runs_wait_while_prefect_is_down(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    case_id, _ = raise_case(product_database, requester, settings)
    executor = Executor(settings, product_database)

    async def execute() -> None:
        # Nobody listens there: the shared clients open all the same, and the run waits.
        with temporary_settings(updates={PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}):
            async with shared_prefect_clients():
                executor.fill()
                await asyncio.gather(*(task for _, task in executor.running.values()))

    run(execute())
    [row] = requests_of(product_database, case_id)
    assert (row.status, row.attempts, row.flow_run_id) == ("pending", 1, None)
    assert row.last_error and row.last_error.startswith("ConnectError")
    assert executor.backoff == 1.0


def test_prefect_out_of_reach_never_fails_a_request_for_good(
    product_database: Engine, make_user: Any, settings: Settings
) -> None:
    requester, _ = make_user("requester")
    case_id, _ = raise_case(product_database, requester, settings)
    [row] = requests_of(product_database, case_id)
    row.attempts = MAX_ATTEMPTS - 1
    release(product_database, row, httpx.ConnectError("All connection attempts failed"))
    [waiting] = requests_of(product_database, case_id)
    assert (waiting.status, waiting.attempts) == ("pending", MAX_ATTEMPTS)
    # Prefect answering and refusing, as often, is another matter.
    release(product_database, waiting, ValueError("refused"))
    assert requests_of(product_database, case_id)[0].status == "failed"


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_an_executor_killed_mid_run_loses_nothing(
    prefect: str,
    product_database: Engine,
    make_user: Any,
    settings: Settings,
    tmp_path: Path,
    run: Any,
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    case_id, _ = raise_case(product_database, requester, settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PROCURE_"))}
    env.update(
        PREFECT_API_URL=prefect,
        PROCURE_DATA_DIR=str(tmp_path / "data"),
        PROCURE_DATABASE_URL=product_database.url.render_as_string(hide_password=False),
        PROCURE_DISPATCH_INTERVAL_SECONDS="0.2",
        PROCURE_STAGE_LEASE_SECONDS="3",
    )
    # The test's schema is the models' (create_all): mark it as the newest revision, so the
    # executor's process does not migrate it again as it starts.
    with product_database.begin() as connection:
        command.stamp(schema.config(connection), "head")
    argv = [sys.executable, "-m", "api.cli", "dispatcher"]
    log = (tmp_path / "executor.log").open("ab")
    # The case row is held locked, so the run stops at its first change, mid-run, every time.
    with product_database.connect() as holder:
        holder.execute(text('SELECT id FROM "case" WHERE id = :id FOR UPDATE'), {"id": case_id})
        holder_pid = int(holder.execute(text("SELECT pg_backend_pid()")).scalar_one())
        first = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            # Its steps under way: the run waits for the case's lock.
            wait_until(
                lambda: waiting_for(product_database, holder_pid) > 0,
                timeout=120,
                what="the run to reach the case",
            )
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        holder.rollback()
    crashed = requests_of(product_database, case_id)[0]
    assert crashed.status == "running" and crashed.flow_run_id

    second = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_until(
            lambda: (
                [r.status for r in requests_of(product_database, case_id)][-1:] == ["completed"]
                and len(requests_of(product_database, case_id)) == 3
            ),
            timeout=120,
            what="the rerun, and the legal consultation after it",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    rows = requests_of(product_database, case_id)
    assert [(r.flow_name, r.status) for r in rows] == [
        ("purchase-request", "crashed"),
        ("purchase-request", "completed"),
        ("legal-consultation", "completed"),
    ]
    assert rows[1].key.endswith(":purchase_request:after-crash-1")
    with Session(product_database) as session:
        assert [g.kind for g in session.exec(select(Gate).where(Gate.case_id == case_id))] == [
            "legal_consultation"
        ]

    async def state_of_killed_run() -> Any:
        async with get_client() as client:
            return (await client.read_flow_run(crashed.flow_run_id)).state_type

    assert run(state_of_killed_run()) == StateType.CRASHED
