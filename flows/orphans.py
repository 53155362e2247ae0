"""Stage runs left Running in Prefect with no request naming them as its run.

The executor creates each stage run Running (`flows/executor.py`). One can then be lost to
its executor: before the executor recorded it (the create's answer lost, or the executor
killed in between) or after the executor gave it up (Prefect lost mid-run, the stage queued
again). The stage itself is not lost: its request goes back in the queue and runs again as a
new run. But nothing would end the old run in Prefect, where it would show as running for
good: the executor's runs send no heartbeats, and Prefect marks late only runs that never
started. So the executor marks such runs crashed: it looks soon after it lost one, and every
ten minutes for those it could not know of (an executor killed before it recorded its run).
Every stage run without a deployment on the Prefect server is looked at: a Prefect server
serves one procure installation."""

import logging
from collections.abc import Sequence
from datetime import timedelta

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import Crashed
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle.models import FlowRequest, utcnow

log = logging.getLogger("procure.executor")

# Runs read from Prefect at a time.
PAGE = 200


def still_theirs(engine: Engine, runs: list[FlowRun]) -> set[str]:
    """The ids of those of `runs` that a request still holds: named as its run while it is
    submitted or running (one lapsed is left to the executor's `recover_lapsed`), or created
    for a request that is claimed and has not yet recorded its run (the idempotency key
    begins with the request's key), whose executor may still be awaiting the create's answer.
    """
    if not runs:
        return set()
    live = ("submitted", "running")
    # A request's key to its runs here: a lost run and its stage's new one share it.
    keys: dict[str, set[str]] = {}
    for run in runs:
        keys.setdefault((run.idempotency_key or "").rpartition(":")[0], set()).add(str(run.id))
    with Session(engine) as session:
        named = session.exec(
            select(FlowRequest.flow_run_id).where(
                col(FlowRequest.flow_run_id).in_([str(run.id) for run in runs]),
                col(FlowRequest.status).in_(live),
            )
        )
        awaited = session.exec(
            select(FlowRequest.key).where(
                col(FlowRequest.key).in_([key for key in keys if key]),
                col(FlowRequest.status).in_(live),
                col(FlowRequest.flow_run_id).is_(None),
                col(FlowRequest.claimed_until) > utcnow(),
            )
        )
        return {str(flow_run_id) for flow_run_id in named}.union(*(keys[key] for key in awaited))


async def crash_orphans(engine: Engine, flow_names: Sequence[str], *, lease: timedelta) -> int:
    """Mark crashed, in Prefect, the runs of `flow_names` left Running that no request holds
    (`still_theirs`). Only runs that started more than a lease ago are looked at, and none from
    a deployment (the executor creates none). Returns how many were marked crashed."""
    started_before = utcnow() - lease
    crashed = offset = 0
    async with get_client() as client:
        while True:
            runs = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=list(flow_names))),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
                    deployment_id=FlowRunFilterDeploymentId(is_null_=True),
                    start_time=FlowRunFilterStartTime(before_=started_before),
                ),
                sort=FlowRunSort.START_TIME_ASC,
                limit=PAGE,
                offset=offset,
            )
            theirs = still_theirs(engine, runs)
            for orphan in [run for run in runs if str(run.id) not in theirs]:
                await client.set_flow_run_state(
                    orphan.id, Crashed(message="left running by its executor"), force=True
                )
                crashed += 1
                log.warning("stage run %s was left running in Prefect: marked crashed", orphan.name)
            if len(runs) < PAGE:
                return crashed
            offset += len(theirs)  # those crashed no longer match
