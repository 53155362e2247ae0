"""One Prefect flow per stage. Each plans from the database and runs the steps; a gate is a
row, so a flow that reaches one records it and ends. Runs are named by business reference."""

import asyncio

from prefect import flow, get_run_logger
from prefect.context import FlowRunContext

from flows.steps import carry_out
from flows.tracking import HOOKS, record_state
from lifecycle.rules import Stage

# Every step is safe to repeat, so a failed run (a database briefly unreachable, a SQLite writer
# busy beyond its timeout) is retried whole.
STAGE_FLOW = {**HOOKS, "retries": 3, "retry_delay_seconds": 3}


async def run_stage(stage: Stage, case_id: int, reference: str) -> list[str]:
    """Plan from the database and carry out the steps, off the event loop: the other runs in
    this process go on talking to Prefect meanwhile. A run from a deployment (a worker's
    process) marks its request running; the executor marks its own as it starts them."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is not None and run.deployment_id:
        await asyncio.to_thread(record_state, run.id, "running")
    steps = await asyncio.to_thread(carry_out, case_id, stage)
    get_run_logger().info("%s %s: %s", stage.value, reference, ", ".join(steps) or "waiting")
    return steps


@flow(name="purchase-request", flow_run_name="purchase-request {reference}", **STAGE_FLOW)
async def purchase_request(case_id: int, reference: str) -> list[str]:
    """Acknowledge the request and route it to legal or procurement."""
    return await run_stage(Stage.PURCHASE_REQUEST, case_id, reference)


@flow(name="legal-consultation", flow_run_name="legal-consultation {reference}", **STAGE_FLOW)
async def legal_consultation(case_id: int, reference: str) -> list[str]:
    """Open the early legal consultation gate."""
    return await run_stage(Stage.LEGAL_CONSULTATION, case_id, reference)


@flow(name="procurement", flow_run_name="procurement {reference}", **STAGE_FLOW)
async def procurement(case_id: int, reference: str) -> list[str]:
    """Open procurement, the award-approval gate, and end the standstill."""
    return await run_stage(Stage.PROCUREMENT, case_id, reference)


@flow(name="signing", flow_run_name="signing {reference}", **STAGE_FLOW)
async def signing(case_id: int, reference: str) -> list[str]:
    """Open signing, then legal's signing confirmation gate."""
    return await run_stage(Stage.SIGNING, case_id, reference)


@flow(name="register-entry", flow_run_name="register-entry {reference}", **STAGE_FLOW)
async def register_entry(case_id: int, reference: str) -> list[str]:
    """Draft the register entry, then procurement's verification gate."""
    return await run_stage(Stage.REGISTER_ENTRY, case_id, reference)


@flow(name="monitoring", flow_run_name="monitoring {reference}", **STAGE_FLOW)
async def monitoring(case_id: int, reference: str) -> list[str]:
    """Publish the register entry and schedule the first review."""
    return await run_stage(Stage.MONITORING, case_id, reference)


@flow(name="exit", flow_run_name="exit {reference}", **STAGE_FLOW)
async def exit_(case_id: int, reference: str) -> list[str]:
    """Open the closure gate."""
    return await run_stage(Stage.EXIT, case_id, reference)


STAGE_FLOWS = {
    Stage.PURCHASE_REQUEST: purchase_request,
    Stage.LEGAL_CONSULTATION: legal_consultation,
    Stage.PROCUREMENT: procurement,
    Stage.SIGNING: signing,
    Stage.REGISTER_ENTRY: register_entry,
    Stage.MONITORING: monitoring,
    Stage.EXIT: exit_,
}
