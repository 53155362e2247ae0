"""The executor's client skips only the flow engine's update and first read of the run the
executor created and is running in that task; every other update and read goes to Prefect.
Prefect's own calls are recorded here, not sent (the real server: tests/flows/test_executor.py)."""

import asyncio
import logging
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy

from flows.executor import StageRunLinesStayInPrefect, runnable_flows
from flows.known_runs import KnownRunsClient, running_here
from flows.tracking import on_crashed


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any]]]:
    """What reached Prefect's own update and read, in order."""
    calls: list[tuple[str, Any]] = []

    async def update_flow_run(self: PrefectClient, flow_run_id: Any, **values: Any) -> str:
        calls.append(("update", values))
        return "sent"

    async def read_flow_run(self: PrefectClient, flow_run_id: Any) -> str:
        calls.append(("read", flow_run_id))
        return "read from Prefect"

    monkeypatch.setattr(PrefectClient, "update_flow_run", update_flow_run)
    monkeypatch.setattr(PrefectClient, "read_flow_run", read_flow_run)
    yield calls


def created_run() -> FlowRun:
    """A run as the executor creates it: its flow's version and retry policy set."""
    return FlowRun(
        id=uuid4(),
        flow_id=uuid4(),
        name="purchase-request PR-2026-0001",
        flow_version="abc123",
        empirical_policy=FlowRunPolicy(retries=3, retry_delay=3),
    )


def client() -> KnownRunsClient:
    return KnownRunsClient("http://127.0.0.1:9/api")


def test_the_engines_update_to_the_values_the_run_was_created_with_is_not_sent(
    sent: list[tuple[str, Any]],
) -> None:
    run = created_run()

    async def engine_starts() -> Any:
        with running_here(run):
            return await client().update_flow_run(
                run.id, flow_version="abc123", empirical_policy=run.empirical_policy
            )

    answer = asyncio.run(engine_starts())
    assert sent == [] and answer.status_code == 204


@pytest.mark.parametrize(
    "values",
    [
        {"flow_version": "changed", "empirical_policy": FlowRunPolicy(retries=3, retry_delay=3)},
        {"flow_version": "abc123", "empirical_policy": FlowRunPolicy(retries=1, retry_delay=3)},
        {"flow_version": "abc123", "empirical_policy": None},
        {"flow_version": "abc123", "name": "renamed"},
        {"flow_version": "abc123", "tags": ["other"]},
        {"flow_version": "abc123", "parameters": {"case_id": 2}},
    ],
)
def test_an_update_that_changes_anything_is_sent(
    values: dict[str, Any], sent: list[tuple[str, Any]]
) -> None:
    run = created_run()
    values.setdefault("empirical_policy", run.empirical_policy)

    async def update() -> Any:
        with running_here(run):
            return await client().update_flow_run(run.id, **values)

    assert asyncio.run(update()) == "sent"
    assert [call for call, _ in sent] == ["update"]


def test_updates_and_reads_of_other_runs_or_outside_a_run_are_sent(
    sent: list[tuple[str, Any]],
) -> None:
    run, other = created_run(), created_run()
    unchanged = {"flow_version": "abc123", "empirical_policy": run.empirical_policy}

    async def calls() -> None:
        with running_here(run):
            await client().update_flow_run(other.id, **unchanged)
            await client().read_flow_run(other.id)
        await client().update_flow_run(run.id, **unchanged)
        await client().read_flow_run(run.id)

    asyncio.run(calls())
    assert [(call, arg) for call, arg in sent if call == "read"] == [
        ("read", other.id),
        ("read", run.id),
    ]
    assert len([call for call, _ in sent if call == "update"]) == 2


def test_the_first_read_is_the_engines_own_copy_and_later_reads_go_to_prefect(
    sent: list[tuple[str, Any]],
) -> None:
    run = created_run()

    async def engine_reads() -> list[Any]:
        with running_here(run):
            first = await client().read_flow_run(run.id)
            # A retried run reads itself again: that read sees what Prefect holds now.
            again = await client().read_flow_run(run.id)
        return [first, again]

    first, again = asyncio.run(engine_reads())
    assert first is run
    assert again == "read from Prefect" and sent == [("read", run.id)]


def test_each_task_knows_only_its_own_run(sent: list[tuple[str, Any]]) -> None:
    runs = [created_run(), created_run()]

    async def one(run: FlowRun) -> Any:
        with running_here(run):
            await asyncio.sleep(0)  # the other task's run is set meanwhile
            return await client().read_flow_run(run.id)

    async def both() -> list[Any]:
        return await asyncio.gather(*(one(run) for run in runs))

    assert asyncio.run(both()) == runs and sent == []


def test_the_executors_flows_need_nothing_of_prefect_or_the_database_for_nothing() -> None:
    flows = runnable_flows()
    assert sorted(flows) == [
        "exit",
        "legal-consultation",
        "monitoring",
        "procurement",
        "purchase-request",
        "register-entry",
        "signing",
    ]
    for flow in flows.values():
        assert flow.flow_run_name is None
        # Named storage (a path), so no run asks the server for its default; no results kept.
        assert flow.persist_result is False and flow.result_storage is not None
        assert flow.on_completion_hooks == [] and flow.on_failure_hooks == []
        # A run whose process is stopping still asks for its stage again.
        assert flow.on_crashed_hooks == [on_crashed]
        assert (flow.retries, flow.retry_delay_seconds) == (3, 3)


@pytest.mark.parametrize(
    ("logger", "level", "shown"),
    [
        ("prefect.flow_runs", logging.INFO, False),
        ("prefect.flow_runs", logging.WARNING, True),
        ("prefect.flow_runs", logging.ERROR, True),
        ("procure.executor", logging.INFO, True),
        ("prefect.flow_runs.subflow", logging.INFO, False),
        ("prefect.flow_runs_elsewhere", logging.INFO, True),
    ],
)
def test_only_a_stage_runs_routine_lines_stay_off_the_console(
    logger: str, level: int, shown: bool
) -> None:
    record = logging.LogRecord(logger, level, __file__, 1, "a line", None, None)
    assert StageRunLinesStayInPrefect().filter(record) is shown
