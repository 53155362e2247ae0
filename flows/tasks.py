"""The tasks stage flows run. Each opens its own transaction and is safe to repeat."""

from prefect import task
from pydantic import BaseModel

from lifecycle.db import transaction
from lifecycle.plans import Step
from lifecycle.rules import GateKind, Stage
from lifecycle.services import cases, stagework
from lifecycle.settings import get_settings

# Three retries ride out a busy SQLite writer (another process holding the write lock).
RETRIES = 3


class PlanSnapshot(BaseModel):
    """What a flow learned about its case: plain values, never an ORM object."""

    steps: list[Step]
    gate: GateKind | None


@task(task_run_name="plan {stage} {reference}", retries=RETRIES, retry_delay_seconds=2)
def load_plan(case_id: int, reference: str, stage: Stage) -> PlanSnapshot:
    """Read the case and ask the rules what this stage's flow should do."""
    with transaction() as session:
        decided = stagework.plan_for(session, case=cases.get(session, case_id=case_id), stage=stage)
        return PlanSnapshot(steps=list(decided.steps), gate=decided.gate)


@task(task_run_name="{step} {reference}", retries=RETRIES, retry_delay_seconds=2)
def perform(case_id: int, reference: str, stage: Stage, step: Step, gate: GateKind | None) -> None:
    """One side effect (announce, open a gate, advance, publish, ...) in its own transaction."""
    with transaction() as session:
        stagework.perform(
            session,
            case=cases.get_for_change(session, case_id=case_id, user=None),
            stage=stage,
            step=step,
            gate=gate,
            settings=get_settings(),
        )
