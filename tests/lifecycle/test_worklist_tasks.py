"""What waits on whom: the pure rule behind the home page, case by case and as properties."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.calendar import start_of_day
from lifecycle.rules import GATE_ROLE, GATE_STAGE, GateKind, Role, Route, Stage, Status
from lifecycle.worklist import (
    CHANGES_WORDS,
    GATE_WORDS,
    PROCUREMENT_WORDS,
    CaseState,
    OpenGate,
    Person,
    TaskKind,
    tasks_on,
    worklist,
)

TODAY = date(2026, 6, 10)
NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)
LEAD = 7
REQUESTER, LEGAL, BUYER, MANAGER = 1, 2, 3, 4

legal = Person(LEGAL, frozenset({Role.LEGAL}))
buyer = Person(BUYER, frozenset({Role.PROCUREMENT}))
requester = Person(REQUESTER, frozenset({Role.REQUESTER}))
manager = Person(MANAGER, frozenset({Role.CONTRACT_MANAGER}))


def case(**changes: object) -> CaseState:
    """A case in its legal consultation, changed as asked."""
    base = CaseState(
        id=7,
        reference="PR-2026-0007",
        title="Highways maintenance",
        stage=Stage.LEGAL_CONSULTATION,
        status=Status.IN_PROGRESS,
        route=Route.ABOVE_THRESHOLD,
        requester_id=REQUESTER,
        contract_manager_id=None,
        changed_at=NOON,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def gate(kind: GateKind, due_on: date = TODAY) -> OpenGate:
    """A pending gate opened at noon on 1 June."""
    return OpenGate(kind=kind, opened_at=NOON, due_on=due_on)


def actions(state: CaseState, person: Person) -> list[str]:
    """The words of each task `person` has on `state`."""
    return [task.action for task in tasks_on(state, person, today=TODAY, review_lead_days=LEAD)]


def awaiting(kind: GateKind, **changes: object) -> CaseState:
    """A case waiting on a gate of `kind`, in that gate's stage."""
    return case(
        stage=GATE_STAGE[kind], status=Status.AWAITING_DECISION, pending_gate=gate(kind), **changes
    )


def test_a_pending_gate_waits_on_its_role_only() -> None:
    """The legal gate is legal's; procurement, the requester and the manager have nothing."""
    state = awaiting(GateKind.LEGAL_CONSULTATION)
    assert actions(state, legal) == ["Decide the early legal consultation"]
    assert actions(state, buyer) == actions(state, requester) == []
    award = awaiting(GateKind.AWARD_APPROVAL)
    assert actions(award, buyer) == ["Decide the award approval"]
    assert actions(award, legal) == []


def test_nobody_has_a_gate_task_on_a_case_they_requested() -> None:
    """Segregation of duties: a requester who also holds the gate's role is not asked."""
    dual = Person(REQUESTER, frozenset({Role.REQUESTER, Role.LEGAL}))
    assert actions(awaiting(GateKind.LEGAL_CONSULTATION), dual) == []


def test_a_gate_task_carries_its_due_date_and_is_overdue_only_after_it() -> None:
    """Due today is not overdue; due yesterday is."""
    on_time = tasks_on(
        awaiting(GateKind.SIGNING_CONFIRMATION), legal, today=TODAY, review_lead_days=LEAD
    )
    assert [(t.kind, t.due_on, t.overdue, t.since) for t in on_time] == [
        (TaskKind.DECIDE_GATE, TODAY, False, NOON)
    ]
    late = replace(
        awaiting(GateKind.SIGNING_CONFIRMATION),
        pending_gate=gate(GateKind.SIGNING_CONFIRMATION, TODAY - timedelta(days=1)),
    )
    assert [t.overdue for t in tasks_on(late, legal, today=TODAY, review_lead_days=LEAD)] == [True]


def test_changes_are_answered_by_the_party_the_gate_names() -> None:
    """Legal's and signing's go to the requester, the award's to procurement, the register's
    and closure's to the contract manager (the requester while none is named)."""
    sent_back = case(status=Status.CHANGES_REQUESTED)
    legal_changes = replace(sent_back, stage=Stage.LEGAL_CONSULTATION)
    assert actions(legal_changes, requester) == [CHANGES_WORDS[GateKind.LEGAL_CONSULTATION]]
    assert actions(legal_changes, legal) == actions(legal_changes, buyer) == []
    award_changes = replace(sent_back, stage=Stage.PROCUREMENT)
    assert actions(award_changes, buyer) == [CHANGES_WORDS[GateKind.AWARD_APPROVAL]]
    assert actions(award_changes, requester) == []
    register_changes = replace(sent_back, stage=Stage.REGISTER_ENTRY, contract_manager_id=MANAGER)
    assert actions(register_changes, manager) == [CHANGES_WORDS[GateKind.REGISTER_VERIFICATION]]
    assert actions(register_changes, requester) == []
    unmanaged = replace(sent_back, stage=Stage.EXIT)
    assert actions(unmanaged, requester) == [CHANGES_WORDS[GateKind.CLOSURE]]


def test_procurement_runs_a_procurement_until_the_award_is_recommended() -> None:
    """The words follow the route; a recommendation waiting on its gate asks nothing more."""
    for route in Route:
        state = case(stage=Stage.PROCUREMENT, route=route)
        assert actions(state, buyer) == [PROCUREMENT_WORDS[route]]
        assert actions(state, legal) == actions(state, requester) == []
    recommended = case(stage=Stage.PROCUREMENT, recommended=True)
    assert actions(recommended, buyer) == []


def test_an_approved_above_threshold_award_waits_on_its_notice() -> None:
    """Until the award notice is recorded; below threshold there is none to record."""
    approved = case(stage=Stage.PROCUREMENT, recommended=True, award_approved=True)
    assert actions(approved, buyer) == [
        "Record the award notice (the standstill starts on the day it is published)"
    ]
    assert actions(replace(approved, award_notice_recorded=True), buyer) == []
    assert actions(replace(approved, status=Status.STANDSTILL), buyer) == []
    assert actions(replace(approved, route=Route.BELOW_THRESHOLD), buyer) == []


def test_the_contract_manager_supplies_the_signed_contract_register_details_and_exit_plan() -> None:
    """Each until it is done; the exit documents of a key contract even while procurement
    verifies the entry, since the verification cannot pass without them."""
    signing = case(stage=Stage.SIGNING, contract_manager_id=MANAGER)
    assert actions(signing, manager) == ["Upload the signed contract"]
    assert actions(replace(signing, documents=frozenset({"contractSigned"})), manager) == []
    register = case(stage=Stage.REGISTER_ENTRY, contract_manager_id=MANAGER, key_contract=True)
    assert actions(register, manager) == [
        "Supply the register details and submit the entry",
        "Upload the exit plan (contractArrangements) and the contract summary (contractSummary)",
    ]
    submitted = replace(
        register,
        register_submitted=True,
        status=Status.AWAITING_DECISION,
        pending_gate=gate(GateKind.REGISTER_VERIFICATION),
        documents=frozenset({"contractArrangements"}),
    )
    assert actions(submitted, manager) == ["Upload the contract summary (contractSummary)"]
    assert actions(submitted, buyer) == ["Verify the register entry"]
    assert actions(replace(register, key_contract=False, register_submitted=True), manager) == []


def test_the_requester_names_a_missing_contract_manager() -> None:
    """A register entry cannot be completed by nobody."""
    unmanaged = case(stage=Stage.REGISTER_ENTRY)
    assert actions(unmanaged, requester) == ["Name the contract manager"]
    assert actions(replace(unmanaged, contract_manager_id=MANAGER), requester) == []


def test_a_review_joins_the_managers_work_within_the_lead_time() -> None:
    """Not before `lead` days ahead of its due date; overdue once the date has passed."""
    live = case(stage=Stage.MONITORING, contract_manager_id=MANAGER)

    def review(due: date) -> list[tuple[str, date | None, bool, datetime]]:
        found = tasks_on(
            replace(live, next_review_due=due), manager, today=TODAY, review_lead_days=LEAD
        )
        return [(t.action, t.due_on, t.overdue, t.since) for t in found]

    assert review(TODAY + timedelta(days=LEAD + 1)) == []
    soon = TODAY + timedelta(days=LEAD)
    assert review(soon) == [("Submit the performance review", soon, False, start_of_day(TODAY))]
    late = TODAY - timedelta(days=1)
    assert review(late)[0][2] is True
    assert actions(replace(live, next_review_due=late), requester) == []


def test_the_worklist_is_oldest_first_and_bounded() -> None:
    """Sorted by how long each task has waited; `more` says when some were left out."""
    older = awaiting(GateKind.LEGAL_CONSULTATION, id=1, reference="PR-2026-0001")
    newer = replace(
        older,
        id=2,
        reference="PR-2026-0002",
        pending_gate=OpenGate(GateKind.LEGAL_CONSULTATION, NOON + timedelta(hours=1), TODAY),
    )
    full = worklist(legal, [newer, older], today=TODAY, review_lead_days=LEAD, limit=5)
    assert [task.reference for task in full.tasks] == ["PR-2026-0001", "PR-2026-0002"]
    assert not full.more
    cut = worklist(legal, [newer, older], today=TODAY, review_lead_days=LEAD, limit=1)
    assert [task.reference for task in cut.tasks] == ["PR-2026-0001"] and cut.more


def test_every_gate_and_sent_back_stage_has_words() -> None:
    """No gate can open without the home page knowing how to say it."""
    assert set(GATE_WORDS) == set(GATE_STAGE) == set(CHANGES_WORDS)
    assert set(PROCUREMENT_WORDS) == set(Route)


people = st.builds(
    Person,
    id=st.integers(min_value=1, max_value=4),
    roles=st.frozensets(st.sampled_from(Role), max_size=3),
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
states = st.builds(
    CaseState,
    id=st.integers(min_value=1, max_value=50),
    reference=st.just("PR-2026-0001"),
    title=st.just("A purchase"),
    stage=st.sampled_from(Stage),
    status=st.sampled_from(Status),
    route=st.sampled_from(Route),
    requester_id=st.integers(min_value=1, max_value=4),
    contract_manager_id=st.none() | st.integers(min_value=1, max_value=4),
    changed_at=moments,
    key_contract=st.booleans(),
    pending_gate=st.none()
    | st.builds(OpenGate, kind=st.sampled_from(GateKind), opened_at=moments, due_on=days),
    recommended=st.booleans(),
    award_approved=st.booleans(),
    award_notice_recorded=st.booleans(),
    register_submitted=st.booleans(),
    documents=st.frozensets(
        st.sampled_from(["contractSigned", "contractArrangements", "contractSummary"])
    ),
    next_review_due=st.none() | days,
)


@given(person=people, cases=st.lists(states, max_size=8, unique_by=lambda s: s.id), today=days)
def test_nobody_ever_gets_a_gate_task_on_a_case_they_requested(
    person: Person, cases: list[CaseState], today: date
) -> None:
    """Whatever the cases: gate tasks only on others' cases, and only of a role held."""
    by_id = {state.id: state for state in cases}
    for task in worklist(person, cases, today=today, review_lead_days=LEAD, limit=100).tasks:
        if task.kind is TaskKind.DECIDE_GATE:
            state = by_id[task.case_id]
            assert state.pending_gate is not None
            assert state.requester_id != person.id
            assert GATE_ROLE[state.pending_gate.kind] in person.roles


@given(person=people, cases=st.lists(states, max_size=12), today=days, limit=st.integers(0, 10))
def test_the_worklist_is_sorted_bounded_and_honest_about_the_rest(
    person: Person, cases: list[CaseState], today: date, limit: int
) -> None:
    """Oldest first, never more than `limit`, `more` exactly when tasks were left out, and
    overdue exactly when the due date has passed."""
    every = [
        task
        for state in cases
        for task in tasks_on(state, person, today=today, review_lead_days=LEAD)
    ]
    found = worklist(person, cases, today=today, review_lead_days=LEAD, limit=limit)
    assert len(found.tasks) == min(limit, len(every))
    assert found.more == (len(every) > limit)
    assert [task.since for task in found.tasks] == sorted(task.since for task in found.tasks)
    for task in every:
        assert task.overdue == (task.due_on is not None and task.due_on < today)


@given(person=people, state=states, today=days)
def test_closed_cases_and_cases_waiting_on_a_gate_ask_only_for_the_gate(
    person: Person, state: CaseState, today: date
) -> None:
    """A closed case asks nothing; while a gate is pending, nobody is asked to run the
    procurement or record a notice on that case."""
    found = tasks_on(state, person, today=today, review_lead_days=LEAD)
    if state.status is Status.CLOSED:
        assert found == []
    if state.pending_gate is not None:
        assert not {TaskKind.RUN_PROCUREMENT, TaskKind.RECORD_AWARD_NOTICE} & {
            task.kind for task in found
        }
