"""What each stage flow asks for, from the case's state; plans are pure and never double-open."""

from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.plans import Plan, StageView, Step, plan
from lifecycle.rules import GATE_STAGE, CaseFacts, GateKind, Stage, Status

FACT_NAMES = [f.name for f in fields(CaseFacts)]


def make_facts(value: bool = False, **overrides: bool) -> CaseFacts:
    return CaseFacts(**{**dict.fromkeys(FACT_NAMES, value), "contract": True, **overrides})


def view(
    stage: Stage,
    status: Status = Status.IN_PROGRESS,
    *,
    waiting: bool = False,
    recommended: bool = False,
    register_submitted: bool = False,
    **facts: bool,
) -> StageView:
    return StageView(
        stage=stage,
        status=status,
        facts=make_facts(**facts),
        waiting=waiting,
        recommended=recommended,
        register_submitted=register_submitted,
    )


def opens(result: Plan) -> GateKind | None:
    return result.gate if Step.OPEN_GATE in result.steps else None


# --- closed -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(Stage))
def test_closed_case_does_nothing(stage: Stage) -> None:
    everything = StageView(
        stage=stage,
        status=Status.CLOSED,
        facts=make_facts(True),
        waiting=False,
        recommended=True,
        register_submitted=True,
    )
    assert plan(everything) == Plan()
    assert plan(view(stage, Status.CLOSED)) == Plan()


# --- purchase request ---------------------------------------------------------------------


def test_purchase_request_announces_and_advances() -> None:
    assert plan(view(Stage.PURCHASE_REQUEST)) == Plan((Step.ANNOUNCE, Step.ADVANCE))


# --- legal consultation -------------------------------------------------------------------


def test_legal_in_progress_without_pending_gate_opens_legal_gate() -> None:
    assert plan(view(Stage.LEGAL_CONSULTATION)) == Plan(
        (Step.OPEN_GATE,), GateKind.LEGAL_CONSULTATION
    )


def test_legal_waiting_does_nothing() -> None:
    assert plan(view(Stage.LEGAL_CONSULTATION, waiting=True)) == Plan()


@pytest.mark.parametrize("status", [Status.CHANGES_REQUESTED, Status.AWAITING_DECISION])
def test_legal_changes_requested_or_awaiting_does_nothing(status: Status) -> None:
    assert plan(view(Stage.LEGAL_CONSULTATION, status)) == Plan()


def test_legal_already_approved_does_not_reopen() -> None:
    assert opens(plan(view(Stage.LEGAL_CONSULTATION, legal_approved=True))) is None


# --- procurement --------------------------------------------------------------------------


def test_procurement_award_approved_and_standstill_over_advances() -> None:
    result = plan(view(Stage.PROCUREMENT, award_approved=True, standstill_over=True))
    assert result == Plan((Step.ADVANCE,))


def test_procurement_advances_when_the_standstill_status_ends() -> None:
    result = plan(
        view(Stage.PROCUREMENT, Status.STANDSTILL, award_approved=True, standstill_over=True)
    )
    assert result == Plan((Step.ADVANCE,))


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.STANDSTILL])
def test_procurement_in_standstill_waits(status: Status) -> None:
    result = plan(view(Stage.PROCUREMENT, status, award_approved=True, standstill_over=False))
    assert Step.ADVANCE not in result.steps
    assert opens(result) is None


def test_procurement_recommended_opens_award_gate() -> None:
    result = plan(view(Stage.PROCUREMENT, recommended=True))
    assert result == Plan((Step.ANNOUNCE, Step.OPEN_GATE), GateKind.AWARD_APPROVAL)


def test_procurement_without_recommendation_only_announces() -> None:
    assert plan(view(Stage.PROCUREMENT)) == Plan((Step.ANNOUNCE,))


def test_procurement_recommended_but_waiting_does_not_reopen() -> None:
    assert opens(plan(view(Stage.PROCUREMENT, recommended=True, waiting=True))) is None


def test_procurement_changes_requested_does_not_open() -> None:
    result = plan(view(Stage.PROCUREMENT, Status.CHANGES_REQUESTED, recommended=True))
    assert opens(result) is None
    assert Step.ADVANCE not in result.steps


# --- signing ------------------------------------------------------------------------------


def test_signing_with_signed_contract_opens_signing_gate() -> None:
    result = plan(view(Stage.SIGNING, signed_contract=True))
    assert result == Plan((Step.ANNOUNCE, Step.OPEN_GATE), GateKind.SIGNING_CONFIRMATION)


def test_signing_without_signed_contract_only_announces() -> None:
    assert plan(view(Stage.SIGNING)) == Plan((Step.ANNOUNCE,))


def test_signing_waiting_does_not_reopen() -> None:
    assert opens(plan(view(Stage.SIGNING, waiting=True, signed_contract=True))) is None


def test_signing_already_confirmed_does_not_reopen() -> None:
    result = plan(view(Stage.SIGNING, signed_contract=True, signing_confirmed=True))
    assert opens(result) is None


# --- register entry -----------------------------------------------------------------------


def test_register_prepares_and_announces() -> None:
    assert plan(view(Stage.REGISTER_ENTRY)) == Plan((Step.PREPARE_REGISTER, Step.ANNOUNCE))


def test_register_submitted_opens_verification_gate() -> None:
    result = plan(view(Stage.REGISTER_ENTRY, register_submitted=True))
    assert result == Plan(
        (Step.PREPARE_REGISTER, Step.ANNOUNCE, Step.OPEN_GATE), GateKind.REGISTER_VERIFICATION
    )


def test_register_submitted_but_waiting_does_not_reopen() -> None:
    result = plan(view(Stage.REGISTER_ENTRY, register_submitted=True, waiting=True))
    assert opens(result) is None


# --- monitoring and exit ------------------------------------------------------------------


def test_monitoring_publishes_schedules_and_announces() -> None:
    assert plan(view(Stage.MONITORING)) == Plan(
        (Step.PUBLISH_REGISTER, Step.SCHEDULE_REVIEW, Step.ANNOUNCE)
    )


def test_exit_opens_closure_gate() -> None:
    assert plan(view(Stage.EXIT)) == Plan((Step.ANNOUNCE, Step.OPEN_GATE), GateKind.CLOSURE)


def test_exit_waiting_only_announces() -> None:
    assert plan(view(Stage.EXIT, waiting=True)) == Plan((Step.ANNOUNCE,))


# --- properties ---------------------------------------------------------------------------

views = st.builds(
    StageView,
    stage=st.sampled_from(list(Stage)),
    status=st.sampled_from(list(Status)),
    facts=st.builds(CaseFacts, **{name: st.booleans() for name in FACT_NAMES}),
    waiting=st.booleans(),
    recommended=st.booleans(),
    register_submitted=st.booleans(),
)


@settings(max_examples=500)
@given(v=views)
def test_never_opens_a_gate_while_waiting(v: StageView) -> None:
    result = plan(replace(v, waiting=True))
    assert Step.OPEN_GATE not in result.steps


@settings(max_examples=500)
@given(v=views)
def test_plan_is_well_formed(v: StageView) -> None:
    result = plan(v)
    assert len(set(result.steps)) == len(result.steps)
    if Step.OPEN_GATE in result.steps:
        assert result.gate is not None
        assert GATE_STAGE[result.gate] is v.stage  # a stage opens only its own gate
        assert v.status is Status.IN_PROGRESS
        assert Step.ADVANCE not in result.steps
    else:
        assert result.gate is None
    if v.status is Status.CLOSED:
        assert result == Plan()


@settings(max_examples=300)
@given(v=views)
def test_plan_is_deterministic(v: StageView) -> None:
    assert plan(v) == plan(v)


@settings(max_examples=300)
@given(v=views)
def test_procurement_advances_only_after_award_and_standstill(v: StageView) -> None:
    result = plan(replace(v, stage=Stage.PROCUREMENT))
    if Step.ADVANCE in result.steps:
        assert v.facts.award_approved
        assert v.facts.standstill_over
