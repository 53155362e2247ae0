"""The executor's Prefect client, which spares the Prefect server two calls a stage run makes
for nothing.

Handed a flow run to run, Prefect's flow engine first updates the run with the flow's version
and retry policy, then moves it to Running, and then reads the run back before calling the
flow. For a run the executor created a moment before with that same version and policy, the
update changes nothing, and the read returns what the engine already holds: the state it has
just set, with the run count and start time Prefect sets on entering Running. On the embedded
default the two calls still cost a stage slot a write and a read on a Prefect server that takes
one write at a time: two of every five calls a stage run made.

So, within the task that runs it (`running_here`), the client skips an update that would set a
run's version and policy to the values it was created with, and answers the engine's first read
of the run from the engine's own copy. Every other call goes to Prefect as before: every state
change, any update that changes something, and any later read (a retried run reads itself
afresh, and so sees a pause or a cancellation)."""

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy


@dataclass
class _CreatedHere:
    """The run as the engine holds it, and the version and policy it was created with (the
    engine fills in the policy of the run it holds, so that cannot be compared with itself)."""

    run: FlowRun
    flow_version: str | None
    empirical_policy: FlowRunPolicy
    read_once: bool = False


# The run the current task created and is running.
_CREATED_HERE: ContextVar[_CreatedHere | None] = ContextVar("created_here", default=None)


@contextlib.contextmanager
def running_here(flow_run: FlowRun) -> Iterator[None]:
    """Within this block (in this task), `flow_run` is the run this executor has just created:
    pass the same object to the flow engine."""
    token = _CREATED_HERE.set(
        _CreatedHere(
            run=flow_run,
            flow_version=flow_run.flow_version,
            empirical_policy=flow_run.empirical_policy.model_copy(),
        )
    )
    try:
        yield
    finally:
        _CREATED_HERE.reset(token)


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
        created = _CREATED_HERE.get()
        unchanged = (
            created is not None
            and created.run.id == flow_run_id
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

    async def read_flow_run(self, flow_run_id: UUID) -> FlowRun:
        created = _CREATED_HERE.get()
        run = created.run if created is not None and not created.read_once else None
        if run is None or run.id != flow_run_id or run.state is None or not run.state.is_running():
            return await super().read_flow_run(flow_run_id)
        assert created is not None
        created.read_once = True
        # With what Prefect's orchestration set as the run entered Running.
        return run.model_copy(
            update={
                "run_count": run.run_count + 1,
                "start_time": run.start_time or run.state.timestamp,
            }
        )
