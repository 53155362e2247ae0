"""The executor's Prefect client, which spares the Prefect server two calls a stage run makes
for nothing.

Handed a flow run to run, Prefect's flow engine first updates the run with the flow's version
and retry policy, and then reads the run back before calling the flow. For a run the executor
created a moment before with that same version and policy, and then moved to Running through
this engine, neither call tells Prefect or the engine anything new. On the embedded default
they still cost a stage slot a write and a read on a Prefect server that takes one write at a
time, which is two of every five calls a stage run makes.

So, within the task that runs it (`running_here`), the client skips an update that would set a
run's version and policy to the values it was created with, and answers the engine's first
read of the run with the engine's own copy of it, which the engine keeps in step with each
state it sets. Every other call goes to Prefect as before, including every state change and
any later read (a retried run reads itself afresh)."""

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy

# The run the current task created and is running, until the engine has read it once.
_RUN_CREATED_HERE: ContextVar[FlowRun | None] = ContextVar("run_created_here", default=None)


@contextlib.contextmanager
def running_here(flow_run: FlowRun) -> Iterator[None]:
    """Within this block (in this task), `flow_run` is the run this executor just created:
    pass the same object to the flow engine."""
    token = _RUN_CREATED_HERE.set(flow_run)
    try:
        yield
    finally:
        _RUN_CREATED_HERE.reset(token)


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
        run = _RUN_CREATED_HERE.get()
        unchanged = (
            run is not None
            and run.id == flow_run_id
            and (parameters, name, tags, infrastructure_pid, job_variables)
            == (None, None, None, None, None)
            and flow_version == run.flow_version
            and empirical_policy == run.empirical_policy
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
        run = _RUN_CREATED_HERE.get()
        if run is not None and run.id == flow_run_id:
            _RUN_CREATED_HERE.set(None)
            return run
        return await super().read_flow_run(flow_run_id)
