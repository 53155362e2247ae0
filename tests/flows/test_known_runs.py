"""The executor's client skips only the flow engine's update, first move to Running and first
read of the run the executor created Running and is running in that task; every other update,
state change and read goes to Prefect. Prefect's own calls are recorded here, not sent (the
real server: tests/flows/test_executor.py)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy, State
from prefect.client.schemas.responses import (
    OrchestrationResult,
    SetStateStatus,
    StateAcceptDetails,
)
from prefect.states import Completed, Failed, Pending, Running
from prefect.utilities.engine import propose_state

from flows.known_runs import KnownRunsClient, running_here


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any]]]:
    """What reached Prefect's own update, state change and read, in order."""
    calls: list[tuple[str, Any]] = []

    async def update_flow_run(self: PrefectClient, flow_run_id: Any, **values: Any) -> str:
        calls.append(("update", values))
        return "sent"

    async def set_flow_run_state(
        self: PrefectClient, flow_run_id: Any, state: State[Any], force: bool = False
    ) -> OrchestrationResult[Any]:
        calls.append(("set_state", state.type.value))
        # As Prefect accepts a move: the state as stored, with its own id and time.
        stored = state.model_copy(update={"id": uuid4(), "timestamp": datetime.now(UTC)})
        return OrchestrationResult(
            state=stored, status=SetStateStatus.ACCEPT, details=StateAcceptDetails()
        )

    async def read_flow_run(self: PrefectClient, flow_run_id: Any) -> str:
        calls.append(("read", flow_run_id))
        return "read from Prefect"

    monkeypatch.setattr(PrefectClient, "update_flow_run", update_flow_run)
    monkeypatch.setattr(PrefectClient, "set_flow_run_state", set_flow_run_state)
    monkeypatch.setattr(PrefectClient, "read_flow_run", read_flow_run)
    yield calls


def created_run(state: State[Any] | None = None) -> FlowRun:
    """A run as Prefect answers the executor's creation of it: its flow's version and retry
    policy set, Running, with the start time and run count Prefect sets on Running."""
    running = Running()
    running.id = uuid4()
    return FlowRun(
        id=uuid4(),
        flow_id=uuid4(),
        name="purchase-request PR-2026-0001",
        flow_version="abc123",
        empirical_policy=FlowRunPolicy(retries=3, retry_delay=3),
        state=state or running,
        run_count=0 if state else 1,
        start_time=None if state else running.timestamp,
    )


async def engine_moves(known: KnownRunsClient, run: FlowRun, state: State[Any]) -> State[Any]:
    """What the engine does to move the run it holds (`FlowRunEngine.set_state`)."""
    run.state = await propose_state(known, state, flow_run_id=run.id)
    return run.state


@contextlib.asynccontextmanager
async def client() -> AsyncIterator[KnownRunsClient]:
    async with KnownRunsClient("http://127.0.0.1:9/api") as known:
        yield known


def test_the_engines_update_to_the_values_the_run_was_created_with_is_not_sent(
    sent: list[tuple[str, Any]],
) -> None:
    run = created_run()

    async def engine_starts() -> Any:
        async with client() as known:
            with running_here(run):
                # The engine fills in its copy's policy, then sends it.
                return await known.update_flow_run(
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
    values = {"empirical_policy": run.empirical_policy, **values}

    async def update() -> Any:
        async with client() as known:
            with running_here(run):
                return await known.update_flow_run(run.id, **values)

    assert asyncio.run(update()) == "sent"
    assert [call for call, _ in sent] == ["update"]


def test_updates_moves_and_reads_of_other_runs_or_outside_a_run_are_sent(
    sent: list[tuple[str, Any]],
) -> None:
    run, other = created_run(), created_run()
    unchanged = {"flow_version": "abc123", "empirical_policy": run.empirical_policy}

    async def calls() -> None:
        async with client() as known:
            with running_here(run):
                await known.update_flow_run(other.id, **unchanged)
                await engine_moves(known, other, Running())
                await known.read_flow_run(other.id)
            await known.update_flow_run(run.id, **unchanged)
            await engine_moves(known, run, Running())
            await known.read_flow_run(run.id)

    asyncio.run(calls())
    assert [call for call, _ in sent] == ["update", "set_state", "read"] * 2


def test_the_engines_policy_filled_in_is_sent(sent: list[tuple[str, Any]]) -> None:
    run = created_run()
    run.empirical_policy = FlowRunPolicy(retries=None, retry_delay=None)

    async def engine_starts() -> Any:
        async with client() as known:
            with running_here(run):
                # As the engine does with a run created without a policy: filled in, in place.
                run.empirical_policy.retries, run.empirical_policy.retry_delay = 3, 3
                return await known.update_flow_run(
                    run.id, flow_version="abc123", empirical_policy=run.empirical_policy
                )

    assert asyncio.run(engine_starts()) == "sent"


def test_the_first_move_to_running_is_answered_with_the_state_the_run_was_created_in(
    sent: list[tuple[str, Any]],
) -> None:
    run = created_run()
    assert run.state is not None
    created_in = run.state.model_copy(update={"timestamp": run.state.timestamp})

    async def engine_runs() -> list[State[Any]]:
        async with client() as known:
            with running_here(run):
                running = await engine_moves(known, run, Running())
                completed = await engine_moves(known, run, Completed())
                # A retried run moves to Running again: Prefect decides that one.
                again = await engine_moves(known, run, Running())
        return [running, completed, again]

    running, completed, again = asyncio.run(engine_runs())
    # The engine holds the state Prefect stored as it created the run, not a new one.
    assert running.is_running() and (running.id, running.timestamp) == (
        created_in.id,
        created_in.timestamp,
    )
    assert completed.is_completed() and again.is_running() and again.id != created_in.id
    assert sent == [("set_state", "COMPLETED"), ("set_state", "RUNNING")]


def test_a_forced_move_and_a_run_not_created_running_go_to_prefect(
    sent: list[tuple[str, Any]],
) -> None:
    forced, pending = created_run(), created_run(Pending())

    async def engine_runs() -> None:
        async with client() as known:
            with running_here(forced):
                forced.state = await propose_state(known, Running(), forced.id, force=True)
            with running_here(pending):
                await engine_moves(known, pending, Running())
                await known.read_flow_run(pending.id)

    asyncio.run(engine_runs())
    assert sent == [("set_state", "RUNNING"), ("set_state", "RUNNING"), ("read", pending.id)]


def test_after_any_other_first_move_every_move_goes_to_prefect(
    sent: list[tuple[str, Any]],
) -> None:
    run = created_run()

    async def engine_runs() -> None:
        async with client() as known:
            with running_here(run):
                # As when a run fails before it starts, and Prefect sets it to try again.
                await engine_moves(known, run, Failed())
                await engine_moves(known, run, Running())
                await known.read_flow_run(run.id)

    asyncio.run(engine_runs())
    assert sent == [("set_state", "FAILED"), ("set_state", "RUNNING"), ("read", run.id)]


def test_the_first_read_once_running_is_the_engines_own_and_later_reads_go_to_prefect(
    sent: list[tuple[str, Any]],
) -> None:
    run = created_run()

    async def engine_reads() -> list[Any]:
        async with client() as known:
            with running_here(run):
                before = await known.read_flow_run(run.id)  # not yet moved: from Prefect
                await engine_moves(known, run, Running())
                first = await known.read_flow_run(run.id)
                # A retried run reads itself again: that read sees what Prefect holds now.
                again = await known.read_flow_run(run.id)
        return [before, first, again]

    before, first, again = asyncio.run(engine_reads())
    assert before == again == "read from Prefect" and sent == [("read", run.id)] * 2
    assert isinstance(first, FlowRun) and first.state is run.state
    assert (first.id, first.name, first.flow_version) == (run.id, run.name, run.flow_version)
    # As Prefect set them in creating the run Running.
    assert first.run_count == 1 and first.start_time == run.start_time is not None


def test_each_task_knows_only_its_own_run(sent: list[tuple[str, Any]]) -> None:
    runs = [created_run(), created_run()]

    async def one(known: KnownRunsClient, run: FlowRun) -> Any:
        with running_here(run):
            await asyncio.sleep(0)  # the other task's run is set meanwhile
            await engine_moves(known, run, Running())
            await asyncio.sleep(0)
            return (await known.read_flow_run(run.id)).id

    async def both() -> list[Any]:
        async with client() as known:
            return await asyncio.gather(*(one(known, run) for run in runs))

    assert asyncio.run(both()) == [run.id for run in runs] and sent == []
