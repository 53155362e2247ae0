"""Stage runs left Running in Prefect with no request naming them as its run.

The executor creates each stage run Running (`flows/executor.py`). One can then be lost to
its executor: before the executor recorded it (the create's answer lost, or the executor
killed in between) or after the executor gave it up (Prefect lost mid-run, the stage queued
again). The stage itself is not lost: its request goes back in the queue and runs again as a
new run. But nothing would end the old run in Prefect, where it would show as running for
good: the executor's runs send no heartbeats, and Prefect marks late only runs that never
started. So the executor marks such runs crashed."""

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
from prefect.client.schemas.objects import StateType
from prefect.states import Crashed
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle.models import FlowRequest, utcnow

log = logging.getLogger("procure.executor")

# Runs looked at in one look (the rest in the next).
ORPHANS_AT_ONCE = 200


def named_runs(engine: Engine, flow_run_ids: list[str]) -> set[str]:
    """Those of `flow_run_ids` that a request names as its run (running, settled, or lapsed
    and left to the executor's `recover_lapsed`)."""
    if not flow_run_ids:
        return set()
    with Session(engine) as session:
        return {
            str(flow_run_id)
            for flow_run_id in session.exec(
                select(FlowRequest.flow_run_id).where(
                    col(FlowRequest.flow_run_id).in_(flow_run_ids)
                )
            )
        }


async def crash_orphans(engine: Engine, flow_names: Sequence[str], *, lease: timedelta) -> int:
    """Mark crashed, in Prefect, the runs of `flow_names` left Running that no request names.
    Only runs that started more than a lease ago are looked at (a younger one may be a run
    another executor has just created and is about to record), and none from a deployment
    (the executor creates none). Returns how many runs were looked at."""
    started_before = utcnow() - lease
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=list(flow_names))),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
                deployment_id=FlowRunFilterDeploymentId(is_null_=True),
                start_time=FlowRunFilterStartTime(before_=started_before),
            ),
            limit=ORPHANS_AT_ONCE,
        )
        named = named_runs(engine, [str(run.id) for run in runs])
        for orphan in [run for run in runs if str(run.id) not in named]:
            await client.set_flow_run_state(
                orphan.id, Crashed(message="left running by its executor"), force=True
            )
            log.warning("stage run %s was left running in Prefect: marked crashed", orphan.name)
    return len(runs)
