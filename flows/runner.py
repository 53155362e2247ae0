"""The stage runner: serves every stage flow and scheduled sweep as a deployment of this
process: `procure runner` when stage runs go to deployments, the dispatcher itself when they
run in process (the embedded default). A work pool uses prefect.yaml's deployments instead."""

import inspect
from typing import Any

from prefect import aserve
from prefect.schedules import Cron

from flows.stages import STAGE_FLOWS
from flows.sweeps import SCHEDULES
from lifecycle.settings import get_settings

TIMEZONE = "Europe/London"


def deployment_name(flow_name: str) -> str:
    """The full name the dispatcher submits to: '<flow>/<flow>'."""
    return f"{flow_name}/{flow_name}"


def served_flows() -> list[Any]:
    """Every flow the runner serves: the seven stages and the scheduled sweeps."""
    return [*STAGE_FLOWS.values(), *SCHEDULES]


async def _resolved(value: Any) -> Any:
    """`to_deployment` returns a coroutine when called from async code."""
    return await value if inspect.isawaitable(value) else value


async def build_deployments() -> list[Any]:
    """One deployment per flow, named after the flow; sweeps carry their schedules."""
    deployments = []
    for stage_flow in STAGE_FLOWS.values():
        deployments.append(await _resolved(stage_flow.to_deployment(name=stage_flow.name)))
    for sweep, cron in SCHEDULES.items():
        schedule = Cron(cron, timezone=TIMEZONE)
        deployments.append(
            await _resolved(sweep.to_deployment(name=sweep.name, schedules=[schedule]))
        )
    return deployments


async def serve_all() -> None:
    """Serve until stopped, asking for due runs every `Settings.runner_poll` seconds."""
    settings = get_settings()
    deployments = await build_deployments()
    await aserve(
        *deployments,
        query_seconds=settings.runner_poll,
        prefetch_seconds=2,
        print_starting_message=False,
    )
