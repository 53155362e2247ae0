"""What a stage flow does: the stage's planned steps, in one transaction, safe to repeat.

Plain functions, not Prefect tasks: a task run costs the engine and the Prefect server more
than the steps themselves (30 to 50 ms each here), and with work piled up that cost decides
how long a person waits for their next stage. The stage's flow run, named by the case
reference, is what the Prefect UI shows; its log lists the steps, and a failed run is retried
whole (every step is safe to repeat)."""

from lifecycle.db import transaction
from lifecycle.rules import Stage
from lifecycle.services import cases, stagework
from lifecycle.settings import get_settings


def carry_out(case_id: int, stage: Stage) -> list[str]:
    """Plan from the case (locked for change) and perform each step (announce, open a gate,
    advance, publish, ...), all in one transaction: a stage's side effects land together or
    not at all. Returns the steps planned; a request that arrives after the case moved on
    plans nothing."""
    with transaction() as session:
        case = cases.get_for_change(session, case_id=case_id, user=None)
        planned = stagework.plan_for(session, case=case, stage=stage)
        for step in planned.steps:
            stagework.perform(
                session,
                case=case,
                stage=stage,
                step=step,
                gate=planned.gate,
                settings=get_settings(),
            )
        return [step.value for step in planned.steps]
