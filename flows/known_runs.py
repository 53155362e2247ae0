"""The executor's Prefect client, which spares the Prefect server the calls a stage run makes
for nothing.

The executor creates each stage run already Running, since it runs it at once: the Prefect
server then sets the run's start time, run count and Running event as it would on a move to
Running, in the same write as the run. Handed that run, Prefect's flow engine would still
update it with the flow's version and retry policy, propose Running, and read the run back
before calling the flow. The update would set the values the run was created with, Running is
where the run already is, and the read would return what the engine already holds. On the
embedded default those three calls cost a stage slot two writes and a read on a Prefect server
that takes one write at a time: three of every five calls a stage run made.

So, within the task that runs it (`running_here`), the client skips an update that would set a
run's version and policy to the values it was created with, answers the engine's first
proposal of a state, if that is Running, with the Running state the run was created in, and
then answers the engine's first read of the run from the engine's own copy. Every other call
goes to Prefect as before: every other state change (Completed, Failed, a retry's Running,
any move after another), any update that changes something, and any later read (a retried run
reads itself afresh, and so sees a pause or a cancellation)."""

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy, State
from prefect.client.schemas.responses import (
    OrchestrationResult,
    SetStateStatus,
    StateAcceptDetails,
)


@dataclass
class _CreatedHere:
    """The run as the engine holds it; the version, policy and state it was created with (the
    engine fills in the policy and replaces the state of the run it holds, so those cannot be
    compared with themselves); and which of the engine's first calls have been answered."""

    run: FlowRun
    flow_version: str | None
    empirical_policy: FlowRunPolicy
    created_running: State | None
    moved: bool = False  # the engine has proposed a state for the run
    running_answered: bool = False
    read_answered: bool = False


# The run the current task created and is running.
_CREATED_HERE: ContextVar[_CreatedHere | None] = ContextVar("created_here", default=None)


@contextlib.contextmanager
def running_here(flow_run: FlowRun) -> Iterator[None]:
    """Within this block (in this task), `flow_run` is the run this executor has just created,
    as Prefect answered its creation: pass the same object to the flow engine."""
    state = flow_run.state
    # A state's own copy takes a new timestamp: this one keeps Prefect's.
    created_running = state.model_copy(update={"timestamp": state.timestamp}) if state else None
    token = _CREATED_HERE.set(
        _CreatedHere(
            run=flow_run,
            flow_version=flow_run.flow_version,
            empirical_policy=flow_run.empirical_policy.model_copy(),
            created_running=created_running if state and state.is_running() else None,
        )
    )
    try:
        yield
    finally:
        _CREATED_HERE.reset(token)


def _created_here(flow_run_id: UUID | str) -> _CreatedHere | None:
    created = _CREATED_HERE.get()
    if created is None or str(created.run.id) != str(flow_run_id):
        return None
    return created


class KnownRunsClient(PrefectClient):
    """A `PrefectClient` that does not ask Prefect what it already knows (see the module)."""

    async def update_flow_run(
        self,
        flow_run_id: UUID,
        flow_version: str | None = None,
        parameters: dict[str, Any] | None = None,
        name: str | None = None,
        tags: Iterable[str] | None = None,
        empirical_policy: FlowRunPolicy | None = None,
        infrastructure_pid: str | None = None,
        job_variables: dict[str, Any] | None = None,
    ) -> httpx.Response:
        created = _created_here(flow_run_id)
        unchanged = (
            created is not None
            and (parameters, name, tags, infrastructure_pid, job_variables)
            == (None, None, None, None, None)
            and flow_version == created.flow_version
            and empirical_policy == created.empirical_policy
        )
        if unchanged:
            # The engine does not look at the answer; this is the one Prefect would give.
            return httpx.Response(204)
        return await super().update_flow_run(
            flow_run_id,
            flow_version=flow_version,
            parameters=parameters,
            name=name,
            tags=tags,
            empirical_policy=empirical_policy,
            infrastructure_pid=infrastructure_pid,
            job_variables=job_variables,
        )

    async def set_flow_run_state(
        self, flow_run_id: UUID | str, state: State[Any], force: bool = False
    ) -> OrchestrationResult[Any]:
        created = _created_here(flow_run_id)
        if created is None:
            return await super().set_flow_run_state(flow_run_id, state, force=force)
        # Only the engine's first move, and only to Running: after any other (a failure, a
        # retry), Prefect decides.
        first_to_running = (
            not created.moved
            and created.created_running is not None
            and state.is_running()
            and not force
        )
        created.moved = True
        if not first_to_running:
            return await super().set_flow_run_state(flow_run_id, state, force=force)
        assert created.created_running is not None
        created.running_answered = True
        held = created.created_running
        # Accepted, as if the move changed nothing: the run keeps the Running state Prefect
        # stored as it created it (sent, a second Running would be stored, counted as a second
        # run of it).
        return OrchestrationResult(
            state=held.model_copy(update={"timestamp": held.timestamp}),
            status=SetStateStatus.ACCEPT,
            details=StateAcceptDetails(),
        )

    async def read_flow_run(self, flow_run_id: UUID) -> FlowRun:
        created = _created_here(flow_run_id)
        if created is None or not created.running_answered or created.read_answered:
            return await super().read_flow_run(flow_run_id)
        created.read_answered = True
        # Prefect set its run count and start time as it created the run Running.
        return created.run.model_copy()
