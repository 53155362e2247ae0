"""The service side of stage flows: the view a flow plans from, and each step it runs."""

from sqlmodel import Session

from lifecycle.models import Case, User
from lifecycle.plans import Plan, StageView, Step, plan
from lifecycle.rules import ROUTE_LABELS, GateKind, Role, Route, Stage, Status
from lifecycle.services import (
    cases,
    gates,
    monitoring,
    outbox,
    performance,
    progress,
    register,
    users,
)
from lifecycle.settings import Settings
from notifications import Notification

INSTRUCTIONS: dict[Stage, str] = {
    Stage.PROCUREMENT: "Record the suppliers' bids or quotes, then the award recommendation.",
    Stage.SIGNING: (
        "Upload the contract documents (the signed contract as contractSigned), then record "
        "both signature dates and the contract's start and end dates. The contract must be "
        "signed before it starts."
    ),
    Stage.REGISTER_ENTRY: (
        "Name the contract manager if not yet named. The contract manager completes the "
        "register entry (review date, supplier registration number) and submits it for "
        "procurement to verify. Key contracts need an exit plan (contractArrangements) and a "
        "contract summary (contractSummary) before monitoring can start."
    ),
    Stage.MONITORING: (
        "The contract is live and on the published register. Submit performance reviews "
        "when they fall due."
    ),
    Stage.EXIT: (
        "Carry out the exit plan and record a lessons-learned entry (it may say 'none'); "
        "procurement then approves the closure."
    ),
}


def view(session: Session, *, case: Case) -> StageView:
    """What the stage flow plans from."""
    assert case.id is not None
    entry = register.get_entry(session, case_id=case.id)
    return StageView(
        stage=Stage(case.stage),
        status=Status(case.status),
        facts=progress.facts_for(session, case=case),
        waiting=progress.pending_gate(session, case_id=case.id) is not None,
        recommended=case.awarded_bid_id is not None,
        register_submitted=entry is not None and entry.status == "submitted",
    )


def _stage_audience(session: Session, case: Case, stage: Stage) -> list[User]:
    """Who hears that a stage is open."""
    people = users.case_people(session, case=case).everyone
    team = {
        Stage.PROCUREMENT: [Role.PROCUREMENT],
        Stage.SIGNING: [Role.LEGAL, Role.PROCUREMENT],
        Stage.EXIT: [Role.PROCUREMENT],
    }.get(stage, [])
    for role in team:
        people += users.with_role(session, role=role)
    return people


def announce(session: Session, *, case: Case, settings: Settings) -> None:
    """Tell the stage's people it is open and what they must do (once per stage)."""
    stage = Stage(case.stage)
    if stage is Stage.PURCHASE_REQUEST:
        outbox.enqueue_mail(
            session,
            key="request-received",
            case=case,
            notification=Notification.REQUEST_RECEIVED,
            to=[users.case_people(session, case=case).requester],
            route_label=ROUTE_LABELS[Route(case.route)],
            value_gbp=cases.gbp(case.estimated_value_pence),
            next_step=(
                "The legal team will be consulted before procurement starts."
                if case.contract
                else "Procurement will ask for one quote."
            ),
        )
        return
    instructions = INSTRUCTIONS[stage]
    if stage is Stage.MONITORING:
        assert case.id is not None
        due = monitoring.schedule_first_review(session, case=case, settings=settings)
        instructions += f" The first review is due on {due.isoformat()}."
    outbox.enqueue_mail(
        session,
        key=f"stage-open:{stage.value}",
        case=case,
        notification=Notification.STAGE_OPEN,
        to=_stage_audience(session, case, stage),
        stage_label=stage.value.replace("_", " "),
        instructions=instructions,
    )


def plan_for(session: Session, *, case: Case, stage: Stage) -> Plan:
    """The plan for a run of `stage`'s flow; empty when the case has moved on since."""
    if case.stage != stage.value:
        return Plan()
    return plan(view(session, case=case))


def perform(
    session: Session,
    *,
    case: Case,
    stage: Stage,
    step: Step,
    gate: GateKind | None,
    settings: Settings,
) -> None:
    """Carry out one planned step, if the case (read again, under the caller's lock) still
    calls for it: a plan made before a decision must not undo the decision."""
    current = plan_for(session, case=case, stage=stage)
    if step not in current.steps or (step is Step.OPEN_GATE and current.gate is not gate):
        return
    match step:
        case Step.ANNOUNCE:
            announce(session, case=case, settings=settings)
        case Step.PREPARE_REGISTER:
            register.refresh_draft(session, case=case)
        case Step.OPEN_GATE:
            assert gate is not None
            gates.open_(session, case=case, kind=gate, settings=settings)
        case Step.ADVANCE:
            if case.stage == stage.value:
                progress.advance(session, case=case, actor_id=None, reason="stage complete")
        case Step.PUBLISH_REGISTER:
            register.publish(session, case=case)
        case Step.SCHEDULE_REVIEW:
            monitoring.schedule_first_review(session, case=case, settings=settings)
            performance.schedule_first_assessment(session, case=case, settings=settings)
