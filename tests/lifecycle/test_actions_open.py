"""Which actions the case page offers a person: the same guards the services raise from."""

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.actions import Action, CaseState, Person, decisions, not_yet, open_actions
from lifecycle.rules import (
    ALLOWED_DECISIONS,
    Decision,
    GateKind,
    Role,
    Route,
    Stage,
    Status,
    may_decide,
)

REQUESTER, LEGAL, BUYER, MANAGER, AUDITOR = 1, 2, 3, 4, 5

AT_LEGAL = CaseState(
    reference="PR-2026-0001",
    stage=Stage.LEGAL_CONSULTATION,
    status=Status.AWAITING_DECISION,
    route=Route.ABOVE_THRESHOLD,
    contract=True,
    requester_id=REQUESTER,
    contract_manager_id=None,
    pending_gate=GateKind.LEGAL_CONSULTATION,
    award_approved=False,
    award_notice_published_on=None,
    contract_recorded=False,
    signed_contract_held=False,
    bids=0,
)
IN_PROCUREMENT = replace(
    AT_LEGAL, stage=Stage.PROCUREMENT, status=Status.IN_PROGRESS, pending_gate=None
)
IN_SIGNING = replace(IN_PROCUREMENT, stage=Stage.SIGNING, award_approved=True, bids=2)
AT_REGISTER = replace(
    IN_SIGNING,
    stage=Stage.REGISTER_ENTRY,
    contract_recorded=True,
    signed_contract_held=True,
    contract_manager_id=MANAGER,
)
IN_MONITORING = replace(AT_REGISTER, stage=Stage.MONITORING)


def person(user_id: int, *roles: Role) -> Person:
    """Someone with these roles."""
    return Person(id=user_id, roles=roles)


requester = person(REQUESTER, Role.REQUESTER)
legal = person(LEGAL, Role.LEGAL)
buyer = person(BUYER, Role.PROCUREMENT)
manager = person(MANAGER, Role.CONTRACT_MANAGER)
auditor = person(AUDITOR, Role.AUDITOR)


def test_legal_decides_the_consultation_and_the_requester_does_not() -> None:
    assert Action.DECIDE in open_actions(AT_LEGAL, legal)
    assert decisions(AT_LEGAL, legal) == (
        Decision.APPROVE,
        Decision.REQUEST_CHANGES,
        Decision.REJECT,
    )
    assert Action.DECIDE not in open_actions(AT_LEGAL, requester)
    assert decisions(AT_LEGAL, requester) == ()
    assert Action.DECIDE not in open_actions(AT_LEGAL, buyer)


def test_a_requester_holding_the_legal_role_does_not_decide_their_own_case() -> None:
    dual = person(REQUESTER, Role.REQUESTER, Role.LEGAL)
    assert Action.DECIDE not in open_actions(AT_LEGAL, dual)


def test_the_requester_changes_and_resubmits_after_legal_asks_for_changes() -> None:
    sent_back = replace(AT_LEGAL, status=Status.CHANGES_REQUESTED, pending_gate=None)
    mine = open_actions(sent_back, requester)
    assert {Action.CHANGE_REQUEST, Action.RESUBMIT, Action.UPLOAD_DOCUMENT} <= mine
    assert Action.CHANGE_REQUEST not in open_actions(sent_back, buyer)
    assert Action.RESUBMIT in open_actions(sent_back, buyer)
    assert not {Action.CHANGE_REQUEST, Action.RESUBMIT} & open_actions(AT_LEGAL, requester)


def test_procurement_records_bids_then_recommends_once_the_route_has_its_quotes() -> None:
    quotes = replace(IN_PROCUREMENT, route=Route.QUOTES, bids=2)
    assert Action.ADD_BID in open_actions(quotes, buyer)
    assert Action.RECOMMEND_AWARD not in open_actions(quotes, buyer)
    assert "needs 3 written quotes" in not_yet(quotes, buyer)[Action.RECOMMEND_AWARD]
    assert Action.RECOMMEND_AWARD in open_actions(replace(quotes, bids=3), buyer)
    assert not {Action.ADD_BID, Action.RECOMMEND_AWARD} & open_actions(quotes, legal)
    assert not_yet(quotes, legal) == {}


def test_bids_stop_while_the_award_is_decided_or_once_approved() -> None:
    waiting = replace(
        IN_PROCUREMENT, status=Status.AWAITING_DECISION, pending_gate=GateKind.AWARD_APPROVAL
    )
    assert Action.ADD_BID not in open_actions(waiting, buyer)
    assert Action.DECIDE in open_actions(waiting, buyer)
    approved = replace(IN_PROCUREMENT, award_approved=True, bids=1)
    assert Action.ADD_BID not in open_actions(approved, buyer)


def test_the_award_notice_is_for_an_approved_above_threshold_award_once() -> None:
    approved = replace(IN_PROCUREMENT, award_approved=True, bids=1)
    assert Action.PUBLISH_AWARD_NOTICE in open_actions(approved, buyer)
    assert Action.PUBLISH_AWARD_NOTICE not in open_actions(approved, legal)
    below = replace(approved, route=Route.BELOW_THRESHOLD)
    assert Action.PUBLISH_AWARD_NOTICE not in open_actions(below, buyer)
    published = replace(approved, award_notice_published_on=date(2026, 3, 2))
    assert Action.PUBLISH_AWARD_NOTICE not in open_actions(published, buyer)
    assert Action.PUBLISH_AWARD_NOTICE not in open_actions(IN_PROCUREMENT, buyer)


def test_the_contract_is_recorded_once_the_signed_copy_is_held() -> None:
    assert Action.RECORD_CONTRACT not in open_actions(IN_SIGNING, legal)
    assert "contractSigned" in not_yet(IN_SIGNING, legal)[Action.RECORD_CONTRACT]
    held = replace(IN_SIGNING, signed_contract_held=True)
    assert Action.RECORD_CONTRACT in open_actions(held, legal)
    assert Action.RECORD_CONTRACT in open_actions(held, buyer)
    assert Action.RECORD_CONTRACT not in open_actions(held, requester)
    assert not_yet(held, requester) == {}
    confirming = replace(
        held, status=Status.AWAITING_DECISION, pending_gate=GateKind.SIGNING_CONFIRMATION
    )
    assert Action.RECORD_CONTRACT not in open_actions(confirming, legal)
    assert decisions(confirming, legal) == (Decision.APPROVE, Decision.REQUEST_CHANGES)


def test_the_manager_is_named_by_the_requester_or_procurement_from_signing_on() -> None:
    assert Action.NAME_MANAGER in open_actions(IN_SIGNING, requester)
    assert Action.NAME_MANAGER in open_actions(IN_SIGNING, buyer)
    assert Action.NAME_MANAGER not in open_actions(IN_SIGNING, legal)
    assert Action.NAME_MANAGER not in open_actions(IN_PROCUREMENT, requester)
    assert Action.NAME_MANAGER in open_actions(IN_MONITORING, requester)


def test_the_register_entry_is_completed_by_its_manager_or_procurement() -> None:
    assert {Action.EDIT_REGISTER, Action.SUBMIT_REGISTER} <= open_actions(AT_REGISTER, manager)
    assert {Action.EDIT_REGISTER, Action.SUBMIT_REGISTER} <= open_actions(AT_REGISTER, buyer)
    assert not {Action.EDIT_REGISTER, Action.SUBMIT_REGISTER} & open_actions(AT_REGISTER, requester)
    unnamed = replace(AT_REGISTER, contract_manager_id=None)
    assert Action.SUBMIT_REGISTER not in open_actions(unnamed, buyer)
    assert not_yet(unnamed, buyer) == {Action.SUBMIT_REGISTER: "name a contract manager first"}
    verifying = replace(
        AT_REGISTER, status=Status.AWAITING_DECISION, pending_gate=GateKind.REGISTER_VERIFICATION
    )
    assert not {Action.EDIT_REGISTER, Action.SUBMIT_REGISTER} & open_actions(verifying, manager)


def test_in_monitoring_the_manager_reviews_and_either_manager_or_procurement_starts_exit() -> None:
    assert {Action.SUBMIT_REVIEW, Action.START_EXIT} <= open_actions(IN_MONITORING, manager)
    assert Action.START_EXIT in open_actions(IN_MONITORING, buyer)
    assert Action.SUBMIT_REVIEW not in open_actions(IN_MONITORING, buyer)
    assert not {Action.SUBMIT_REVIEW, Action.START_EXIT} & open_actions(AT_REGISTER, manager)


def test_an_auditor_only_reads() -> None:
    for state in (AT_LEGAL, IN_PROCUREMENT, IN_SIGNING, AT_REGISTER, IN_MONITORING):
        assert open_actions(state, auditor) == frozenset()


def test_a_closed_case_offers_only_a_lesson() -> None:
    closed = replace(IN_MONITORING, status=Status.CLOSED)
    for someone in (requester, legal, buyer, manager):
        assert open_actions(closed, someone) == {Action.ADD_LESSON}


# --- properties -------------------------------------------------------------------------------

ids = st.integers(min_value=1, max_value=4)
states = st.builds(
    CaseState,
    reference=st.just("PR-2026-0001"),
    stage=st.sampled_from(Stage),
    status=st.sampled_from(Status),
    route=st.sampled_from(Route),
    contract=st.booleans(),
    requester_id=ids,
    contract_manager_id=st.none() | ids,
    pending_gate=st.none() | st.sampled_from(GateKind),
    award_approved=st.booleans(),
    award_notice_published_on=st.none() | st.just(date(2026, 3, 2)),
    contract_recorded=st.booleans(),
    signed_contract_held=st.booleans(),
    bids=st.integers(min_value=0, max_value=4),
)
people = st.builds(
    Person,
    id=ids,
    roles=st.lists(st.sampled_from(Role), unique=True, max_size=3).map(tuple),
)


@given(states, people)
def test_the_decision_is_offered_exactly_when_may_decide_allows_it(
    case: CaseState, someone: Person
) -> None:
    may = case.pending_gate is not None and (
        may_decide(someone.roles, someone.id, case.requester_id, case.pending_gate) == ""
    )
    assert (Action.DECIDE in open_actions(case, someone)) == may
    offered = decisions(case, someone)
    assert bool(offered) == may
    if case.pending_gate is not None:
        assert set(offered) <= ALLOWED_DECISIONS[case.pending_gate]


@given(states, people)
def test_nothing_but_a_lesson_is_offered_on_a_closed_case(case: CaseState, someone: Person) -> None:
    closed = replace(case, status=Status.CLOSED, pending_gate=None)
    assert open_actions(closed, someone) <= {Action.ADD_LESSON}


@given(states, people)
def test_what_is_not_yet_open_is_never_open(case: CaseState, someone: Person) -> None:
    assert not set(not_yet(case, someone)) & open_actions(case, someone)
