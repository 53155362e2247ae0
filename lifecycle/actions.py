"""Which actions on a case are open to a person now. The case page shows a form for each open
action and for no other. Pure: it asks the guards the services raise from (`lifecycle.rules`),
so the page never offers what a service would refuse, nor hides what it would allow."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from lifecycle.access import Area, may_enter
from lifecycle.contract_end import (
    EndState,
    approval_refusal,
    end_refusal,
    expiry_conflict,
    notice_conflict,
    notice_refusal,
    proposal_conflict,
    proposal_refusal,
)
from lifecycle.guards import (
    award_notice_conflict,
    bids_conflict,
    contract_recording_conflict,
    contract_recording_refusal,
    exit_refusal,
    manager_naming_conflict,
    manager_naming_refusal,
    monitoring_conflict,
    open_award_conflict,
    procurement_refusal,
    register_edit_conflict,
    register_editor_refusal,
    register_submit_conflict,
    request_change_conflict,
    request_change_refusal,
    resubmit_conflict,
    resubmit_refusal,
    review_refusal,
    upload_conflict,
    upload_refusal,
)
from lifecycle.kpis import (
    assessment_conflict,
    assessment_refusal,
    fewer_kpis_conflict,
    fewer_kpis_refusal,
    kpi_setting_conflict,
    kpi_setting_refusal,
)
from lifecycle.rules import (
    ALLOWED_DECISIONS,
    Decision,
    GateKind,
    Role,
    Route,
    Stage,
    Status,
    may_decide,
    prepared_by,
)


class Action(StrEnum):
    """Something a person can do to a case from its page."""

    DECIDE = "decide"
    CHANGE_REQUEST = "change_request"
    RESUBMIT = "resubmit"
    ADD_BID = "add_bid"
    RECOMMEND_AWARD = "recommend_award"
    PUBLISH_AWARD_NOTICE = "publish_award_notice"
    UPLOAD_DOCUMENT = "upload_document"
    RECORD_CONTRACT = "record_contract"
    NAME_MANAGER = "name_manager"
    EDIT_REGISTER = "edit_register"
    SUBMIT_REGISTER = "submit_register"
    SUBMIT_REVIEW = "submit_review"
    START_EXIT = "start_exit"
    ADD_LESSON = "add_lesson"
    SET_KPI = "set_kpi"
    RECORD_FEWER_KPIS_REASON = "record_fewer_kpis_reason"
    ASSESS_KPIS = "assess_kpis"
    PROPOSE_VARIATION = "propose_variation"
    DECIDE_VARIATION = "decide_variation"
    DECIDE_EXPIRY = "decide_expiry"
    TERMINATE = "terminate"
    RECORD_TERMINATION_NOTICE = "record_termination_notice"


@dataclass(frozen=True)
class CaseState:
    """What the guards need to know about a case, as plain values."""

    reference: str
    stage: Stage
    status: Status
    route: Route
    contract: bool
    requester_id: int
    contract_manager_id: int | None
    pending_gate: GateKind | None
    award_approved: bool
    award_notice_published_on: date | None
    contract_recorded: bool
    signed_contract_held: bool
    bids: int
    # The case's (actor, action) audit events, oldest first: who prepared what a gate decides.
    events: tuple[tuple[int | None, str], ...] = ()
    kpis: int = 0  # how many KPIs the contract sets
    # Whether it sets fewer than s.52 asks with no reason recorded (lifecycle.kpis.kpi_shortfall).
    kpis_short: bool = False
    ending: EndState = EndState()  # its variations, expiry decision and termination notice


@dataclass(frozen=True)
class Person:
    """Who is asking: their id and roles."""

    id: int
    roles: tuple[Role, ...]


def _guards(case: CaseState, person: Person) -> dict[Action, tuple[str, str]]:
    """For each action, why this person may not take it and why it cannot be taken now
    ('' for each when it can), as the service that carries it out would say."""
    me, roles = person.id, person.roles
    where = (case.reference, case.stage, case.status)
    manager = case.contract_manager_id
    decide = (
        may_decide(
            roles,
            me,
            case.requester_id,
            case.pending_gate,
            prepared_by(case.pending_gate, case.events),
        )
        if case.pending_gate
        else "the case waits on no decision"
    )
    award_open = open_award_conflict(*where, case.award_approved)
    monitoring = monitoring_conflict(*where, case.contract_recorded)
    return {
        Action.DECIDE: (decide, ""),
        Action.CHANGE_REQUEST: (
            request_change_refusal(me, case.requester_id),
            request_change_conflict(case.stage, case.status),
        ),
        Action.RESUBMIT: (
            resubmit_refusal(me, roles, case.requester_id, manager),
            resubmit_conflict(case.reference, case.status),
        ),
        Action.ADD_BID: (procurement_refusal(roles), award_open),
        Action.RECOMMEND_AWARD: (
            procurement_refusal(roles),
            award_open or bids_conflict(case.route, case.bids),
        ),
        Action.PUBLISH_AWARD_NOTICE: (
            procurement_refusal(roles),
            award_notice_conflict(
                *where, case.route, case.award_approved, case.award_notice_published_on
            ),
        ),
        Action.UPLOAD_DOCUMENT: (
            upload_refusal(me, roles, case.requester_id, manager),
            upload_conflict(case.reference, case.status),
        ),
        Action.RECORD_CONTRACT: (
            contract_recording_refusal(roles),
            contract_recording_conflict(*where, case.signed_contract_held),
        ),
        Action.NAME_MANAGER: (
            manager_naming_refusal(me, roles, case.requester_id),
            manager_naming_conflict(*where),
        ),
        Action.EDIT_REGISTER: (
            register_editor_refusal(me, roles, manager),
            register_edit_conflict(*where),
        ),
        Action.SUBMIT_REGISTER: (
            register_editor_refusal(me, roles, manager),
            register_submit_conflict(*where, manager is not None),
        ),
        Action.SUBMIT_REVIEW: (review_refusal(me, manager), monitoring),
        Action.START_EXIT: (exit_refusal(me, roles, manager), monitoring),
        Action.ADD_LESSON: (
            "" if may_enter(roles, Area.WRITE_LESSONS) else "auditors read the log",
            "",
        ),
        Action.SET_KPI: (
            kpi_setting_refusal(me, Role.PROCUREMENT in roles, manager),
            kpi_setting_conflict(*where),
        ),
        Action.RECORD_FEWER_KPIS_REASON: (
            fewer_kpis_refusal(Role.PROCUREMENT in roles),
            fewer_kpis_conflict(*where, case.kpis_short),
        ),
        Action.ASSESS_KPIS: (
            assessment_refusal(me, Role.PROCUREMENT in roles, manager),
            assessment_conflict(*where, case.contract_recorded, case.kpis),
        ),
        Action.PROPOSE_VARIATION: (
            proposal_refusal(me, manager),
            monitoring or proposal_conflict(case.reference, case.ending),
        ),
        Action.DECIDE_VARIATION: (
            approval_refusal(case.ending, me, roles, case.requester_id),
            monitoring,
        ),
        Action.DECIDE_EXPIRY: (
            end_refusal(me, roles, manager),
            monitoring or expiry_conflict(case.ending),
        ),
        Action.TERMINATE: (exit_refusal(me, roles, manager), monitoring),
        Action.RECORD_TERMINATION_NOTICE: (
            notice_refusal(me, roles, manager),
            notice_conflict(case.reference, case.ending),
        ),
    }


def open_actions(case: CaseState, person: Person) -> frozenset[Action]:
    """The actions this person may take on the case now."""
    return frozenset(
        action for action, (who, when) in _guards(case, person).items() if not who and not when
    )


def decisions(case: CaseState, person: Person) -> tuple[Decision, ...]:
    """The decisions this person may give on the pending gate, in the order to offer them."""
    if case.pending_gate is None or Action.DECIDE not in open_actions(case, person):
        return ()
    allowed = ALLOWED_DECISIONS[case.pending_gate]
    return tuple(decision for decision in Decision if decision in allowed)


def not_yet(case: CaseState, person: Person) -> dict[Action, str]:
    """The stage's next steps this person will take once something else is done, with what
    is missing: the signed contract before its dates, enough quotes before a recommendation,
    a named manager before the register entry goes for verification."""
    waiting: dict[Action, str] = {}
    where = (case.reference, case.stage, case.status)
    if (
        not procurement_refusal(person.roles)
        and not open_award_conflict(*where, case.award_approved)
        and (missing := bids_conflict(case.route, case.bids))
    ):
        waiting[Action.RECOMMEND_AWARD] = missing
    if (
        not contract_recording_refusal(person.roles)
        and not contract_recording_conflict(*where, True)
        and (missing := contract_recording_conflict(*where, case.signed_contract_held))
    ):
        waiting[Action.RECORD_CONTRACT] = missing
    if (
        not register_editor_refusal(person.id, person.roles, case.contract_manager_id)
        and not register_submit_conflict(*where, True)
        and (missing := register_submit_conflict(*where, case.contract_manager_id is not None))
    ):
        waiting[Action.SUBMIT_REGISTER] = missing
    return waiting
