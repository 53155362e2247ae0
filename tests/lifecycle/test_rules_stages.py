"""Stage path and entry guards: no path reaches a stage without what DOMAIN.md requires."""

from dataclasses import fields, replace
from itertools import product

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lifecycle.rules import (
    CaseFacts,
    Stage,
    closure_problems,
    entry_problems,
    next_stage,
    stage_path,
)

FACT_NAMES = [f.name for f in fields(CaseFacts)]
STAGES = list(Stage)


def make_facts(value: bool = True, **overrides: bool) -> CaseFacts:
    """Every fact set to `value`, then the overrides."""
    return CaseFacts(**{**dict.fromkeys(FACT_NAMES, value), **overrides})


# Mostly true: a guard only lets a case through when nearly everything is done, so uniform
# booleans would almost never reach the interesting "all but one" cases.
mostly_true = st.integers(min_value=0, max_value=9).map(lambda n: n > 0)
all_facts = st.builds(CaseFacts, **{name: st.booleans() | mostly_true for name in FACT_NAMES})
EVERY_COMBINATION = [
    CaseFacts(**dict(zip(FACT_NAMES, values, strict=True)))
    for values in product((False, True), repeat=len(FACT_NAMES))
]


# --- the path -------------------------------------------------------------------------------


def test_short_path_without_contract() -> None:
    assert stage_path(False) == (Stage.PURCHASE_REQUEST, Stage.PROCUREMENT)
    assert next_stage(False, Stage.PURCHASE_REQUEST) is Stage.PROCUREMENT
    assert next_stage(False, Stage.PROCUREMENT) is None


def test_short_path_skips_legal_signing_register_monitoring_exit() -> None:
    skipped = {
        Stage.LEGAL_CONSULTATION,
        Stage.SIGNING,
        Stage.REGISTER_ENTRY,
        Stage.MONITORING,
        Stage.EXIT,
    }
    assert skipped.isdisjoint(stage_path(False))
    for stage in skipped:
        with pytest.raises(ValueError):
            next_stage(False, stage)


def test_full_path_with_contract() -> None:
    assert stage_path(True) == (
        Stage.PURCHASE_REQUEST,
        Stage.LEGAL_CONSULTATION,
        Stage.PROCUREMENT,
        Stage.SIGNING,
        Stage.REGISTER_ENTRY,
        Stage.MONITORING,
        Stage.EXIT,
    )


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (Stage.PURCHASE_REQUEST, Stage.LEGAL_CONSULTATION),
        (Stage.LEGAL_CONSULTATION, Stage.PROCUREMENT),
        (Stage.PROCUREMENT, Stage.SIGNING),
        (Stage.SIGNING, Stage.REGISTER_ENTRY),
        (Stage.REGISTER_ENTRY, Stage.MONITORING),
        (Stage.MONITORING, Stage.EXIT),
        (Stage.EXIT, None),
    ],
)
def test_next_stage_on_full_path(current: Stage, expected: Stage | None) -> None:
    assert next_stage(True, current) is expected


def test_legal_consultation_comes_before_procurement_for_every_contract() -> None:
    path = stage_path(True)
    assert path.index(Stage.LEGAL_CONSULTATION) < path.index(Stage.PROCUREMENT)


# --- the guards, examples -----------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_everything_done_means_no_entry_problems(stage: Stage) -> None:
    assert entry_problems(make_facts(True), stage) == []


@pytest.mark.parametrize("stage", [Stage.PURCHASE_REQUEST, Stage.LEGAL_CONSULTATION])
def test_first_stages_have_no_guards(stage: Stage) -> None:
    assert entry_problems(make_facts(False, contract=True, key_contract=True), stage) == []


def test_procurement_needs_legal_approval_when_a_contract_is_needed() -> None:
    problems = entry_problems(make_facts(True, legal_approved=False), Stage.PROCUREMENT)
    assert problems == ["legal has not approved the early consultation"]


def test_procurement_without_contract_needs_no_legal_approval() -> None:
    facts = make_facts(False)
    assert entry_problems(facts, Stage.PROCUREMENT) == []


@pytest.mark.parametrize("missing", ["award_approved", "standstill_over"])
def test_signing_waits_for_award_and_standstill(missing: str) -> None:
    facts = make_facts(True, **{missing: False})
    assert len(entry_problems(facts, Stage.SIGNING)) == 1
    assert entry_problems(facts, Stage.PROCUREMENT) == []


@pytest.mark.parametrize("missing", ["signed_contract", "signing_confirmed"])
def test_register_entry_needs_signed_and_confirmed_contract(missing: str) -> None:
    facts = make_facts(True, **{missing: False})
    assert len(entry_problems(facts, Stage.REGISTER_ENTRY)) == 1
    assert entry_problems(facts, Stage.SIGNING) == []


@pytest.mark.parametrize("missing", ["contract_manager", "register_complete", "register_verified"])
def test_monitoring_needs_manager_and_verified_complete_register(missing: str) -> None:
    facts = make_facts(True, **{missing: False})
    assert len(entry_problems(facts, Stage.MONITORING)) == 1
    assert entry_problems(facts, Stage.REGISTER_ENTRY) == []


@pytest.mark.parametrize("missing", ["exit_plan", "contract_summary"])
def test_key_contract_needs_exit_plan_and_summary_for_monitoring(missing: str) -> None:
    facts = make_facts(True, key_contract=True, **{missing: False})
    assert len(entry_problems(facts, Stage.MONITORING)) == 1
    assert entry_problems(replace(facts, key_contract=False), Stage.MONITORING) == []


def test_closure_needs_lessons() -> None:
    assert closure_problems(make_facts(True, lessons_recorded=False)) != []
    assert closure_problems(make_facts(False, lessons_recorded=True)) == []


# --- the guards, properties ---------------------------------------------------------------------


def assert_may_be_in_monitoring(facts: CaseFacts) -> None:
    """What DOMAIN.md requires of any case that enters monitoring (or exit, after it)."""
    if facts.contract:
        assert facts.legal_approved
    assert facts.award_approved
    assert facts.standstill_over
    assert facts.signed_contract
    assert facts.signing_confirmed
    assert facts.contract_manager
    assert facts.register_complete
    assert facts.register_verified
    if facts.key_contract:
        assert facts.exit_plan
        assert facts.contract_summary


@settings(max_examples=500)
@given(facts=all_facts)
def test_no_case_enters_monitoring_without_its_prerequisites(facts: CaseFacts) -> None:
    for stage in (Stage.MONITORING, Stage.EXIT):
        if not entry_problems(facts, stage):
            assert_may_be_in_monitoring(facts)


def test_no_case_enters_monitoring_without_its_prerequisites_exhaustive() -> None:
    """All 2**13 combinations of facts: cheap enough to check every one."""
    allowed = 0
    for facts in EVERY_COMBINATION:
        for stage in (Stage.MONITORING, Stage.EXIT):
            if not entry_problems(facts, stage):
                assert_may_be_in_monitoring(facts)
                allowed += 1
        assert set(entry_problems(facts, Stage.MONITORING)) <= set(
            entry_problems(facts, Stage.EXIT)
        )
    assert allowed > 0


@settings(max_examples=300)
@given(facts=all_facts)
def test_each_prerequisite_alone_blocks_monitoring(facts: CaseFacts) -> None:
    required = [
        "legal_approved",
        "award_approved",
        "standstill_over",
        "signed_contract",
        "signing_confirmed",
        "contract_manager",
        "register_complete",
        "register_verified",
    ]
    contract = replace(facts, contract=True)
    for name in required:
        assert entry_problems(replace(contract, **{name: False}), Stage.MONITORING)
    key = replace(contract, key_contract=True)
    assert entry_problems(replace(key, exit_plan=False), Stage.MONITORING)
    assert entry_problems(replace(key, contract_summary=False), Stage.MONITORING)


@settings(max_examples=300)
@given(facts=all_facts)
def test_entry_problems_are_monotonic_along_the_stages(facts: CaseFacts) -> None:
    for earlier, later in zip(STAGES, STAGES[1:], strict=False):
        assert set(entry_problems(facts, earlier)) <= set(entry_problems(facts, later))


@settings(max_examples=200)
@given(facts=all_facts)
def test_closure_needs_lessons_property(facts: CaseFacts) -> None:
    assert (closure_problems(facts) == []) is facts.lessons_recorded


@settings(max_examples=200)
@given(facts=all_facts, stage=st.sampled_from(STAGES))
def test_setting_a_fact_true_never_adds_a_problem(facts: CaseFacts, stage: Stage) -> None:
    """Doing more work never blocks a move (key_contract and contract are not work)."""
    work = [n for n in FACT_NAMES if n not in ("contract", "key_contract")]
    before = set(entry_problems(facts, stage))
    for name in work:
        assert set(entry_problems(replace(facts, **{name: True}), stage)) <= before


# --- a small pure model of a case, driven by random events ----------------------------------

ADVANCE = "advance"
WORK_FACTS = [n for n in FACT_NAMES if n not in ("contract", "key_contract")]
random_events = st.lists(st.sampled_from([*WORK_FACTS, ADVANCE, ADVANCE, ADVANCE]), max_size=80)


@st.composite
def worked_events(draw: st.DrawFn) -> list[str]:
    """All the work, or all but one piece of it, done in a random order, with advance attempts
    scattered in between and at the end: reaches late stages often, with gaps."""
    order = draw(st.permutations(WORK_FACTS))
    left_out = draw(st.none() | st.sampled_from(WORK_FACTS))
    steps = [name for name in order if name != left_out]
    for position in draw(st.lists(st.integers(0, len(steps)), max_size=10)):
        steps.insert(position, ADVANCE)
    return [*steps, *[ADVANCE] * len(STAGES)]


events = random_events | worked_events()

EVERYTHING_THEN_ADVANCE = [*WORK_FACTS, *[ADVANCE] * 6]


@settings(max_examples=400)
@example(contract=True, key_contract=False, steps=EVERYTHING_THEN_ADVANCE)
@example(contract=True, key_contract=True, steps=EVERYTHING_THEN_ADVANCE)
@example(contract=False, key_contract=False, steps=EVERYTHING_THEN_ADVANCE)
@given(contract=st.booleans(), key_contract=st.booleans(), steps=events)
def test_simulated_case_enters_monitoring_only_with_prerequisites(
    contract: bool, key_contract: bool, steps: list[str]
) -> None:
    facts = make_facts(False, contract=contract, key_contract=key_contract)
    stage: Stage | None = Stage.PURCHASE_REQUEST
    visited = [stage]
    at_entry: dict[Stage, CaseFacts] = {}
    for step in steps:
        if stage is None:
            break  # complete
        if step != ADVANCE:
            facts = replace(facts, **{step: True})
            continue
        target = next_stage(facts.contract, stage)
        if target is None:
            stage = None
        elif not entry_problems(facts, target):
            stage = target
            visited.append(stage)
            at_entry[stage] = facts
        if stage is Stage.MONITORING:
            entered = at_entry[Stage.MONITORING]
            assert entered.legal_approved
            assert entered.signed_contract
            assert entered.signing_confirmed
            assert entered.contract_manager
            assert_may_be_in_monitoring(entered)
    # The case only ever walked its own path, in order, one stage at a time.
    path = stage_path(contract)
    assert tuple(visited) == path[: len(visited)]
    if not contract:
        assert Stage.MONITORING not in visited
