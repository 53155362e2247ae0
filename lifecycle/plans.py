"""What a stage flow does when it runs: a pure function from the case's state to steps.
Every step is safe to repeat, so a flow that runs twice changes nothing the second time."""

from dataclasses import dataclass
from enum import StrEnum

from lifecycle.rules import CaseFacts, GateKind, Stage, Status


class Step(StrEnum):
    """The side effects a stage flow can ask for."""

    ANNOUNCE = "announce"  # tell the stage's people it is open and what they must do
    PREPARE_REGISTER = "prepare_register"
    OPEN_GATE = "open_gate"
    ADVANCE = "advance"
    PUBLISH_REGISTER = "publish_register"
    SCHEDULE_REVIEW = "schedule_review"


@dataclass(frozen=True)
class StageView:
    """The state a stage flow decides from, as plain values."""

    stage: Stage
    status: Status
    facts: CaseFacts
    waiting: bool
    recommended: bool
    register_submitted: bool


@dataclass(frozen=True)
class Plan:
    """The steps to run, in order, and the gate to open if one of them is OPEN_GATE."""

    steps: tuple[Step, ...] = ()
    gate: GateKind | None = None


def _ready(view: StageView) -> bool:
    """A gate may open only while the case is being worked on and waits on nothing."""
    return view.status is Status.IN_PROGRESS and not view.waiting


def plan(view: StageView) -> Plan:
    """Decide the steps for the stage the case is in."""
    facts = view.facts
    if view.status is Status.CLOSED:
        return Plan()
    match view.stage:
        case Stage.PURCHASE_REQUEST:
            return Plan((Step.ANNOUNCE, Step.ADVANCE))
        case Stage.LEGAL_CONSULTATION:
            if _ready(view) and not facts.legal_approved:
                return Plan((Step.OPEN_GATE,), GateKind.LEGAL_CONSULTATION)
            return Plan()
        case Stage.PROCUREMENT:
            if facts.award_approved:
                over = facts.standstill_over and view.status in (
                    Status.IN_PROGRESS,
                    Status.STANDSTILL,
                )
                return Plan((Step.ADVANCE,)) if over else Plan()
            if view.recommended and _ready(view):
                return Plan((Step.ANNOUNCE, Step.OPEN_GATE), GateKind.AWARD_APPROVAL)
            return Plan((Step.ANNOUNCE,))
        case Stage.SIGNING:
            if facts.signed_contract and _ready(view) and not facts.signing_confirmed:
                return Plan((Step.ANNOUNCE, Step.OPEN_GATE), GateKind.SIGNING_CONFIRMATION)
            return Plan((Step.ANNOUNCE,))
        case Stage.REGISTER_ENTRY:
            steps = (Step.PREPARE_REGISTER, Step.ANNOUNCE)
            if view.register_submitted and _ready(view) and not facts.register_verified:
                return Plan((*steps, Step.OPEN_GATE), GateKind.REGISTER_VERIFICATION)
            return Plan(steps)
        case Stage.MONITORING:
            return Plan((Step.PUBLISH_REGISTER, Step.SCHEDULE_REVIEW, Step.ANNOUNCE))
        case Stage.EXIT:
            if _ready(view):
                return Plan((Step.ANNOUNCE, Step.OPEN_GATE), GateKind.CLOSURE)
            return Plan((Step.ANNOUNCE,))
    return Plan()
