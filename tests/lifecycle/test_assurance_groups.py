"""Counting the assurance measures over groups of alike contracts (as the database hands them
over) gives the report that counting contract by contract gives."""

from dataclasses import astuple, replace

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.assurance import ContractRecord, assess, assess_groups, falls_short

THRESHOLD = 5_000_00

records = st.builds(
    ContractRecord,
    reference=st.from_regex(r"PR-2026-[0-9]{4}", fullmatch=True),
    value_pence=st.sampled_from([0, THRESHOLD - 1, THRESHOLD, 10 * THRESHOLD]),
    key_contract=st.booleans(),
    reached_procurement=st.booleans(),
    legal_before_procurement=st.booleans(),
    in_force=st.booleans(),
    manager_named=st.booleans(),
    register_complete=st.booleans(),
    signed_before_start=st.none() | st.booleans(),
    exit_plan=st.booleans(),
    contract_summary=st.booleans(),
    review_overdue=st.booleans(),
    closed_completed=st.booleans(),
    lessons_recorded=st.booleans(),
    case_id=st.integers(min_value=1, max_value=10_000),
    needs_trained_manager=st.booleans(),
    manager_trained=st.booleans(),
    manager_name=st.sampled_from(["", "Ann Lee", "Bo Chan"]),
)


def facts_only(record: ContractRecord) -> ContractRecord:
    """What a group shares: the facts, with names and values reduced to what the rules ask."""
    return replace(
        record,
        reference="",
        case_id=None,
        value_pence=THRESHOLD if record.value_pence >= THRESHOLD else 0,
        manager_name="named" if record.manager_name else "",
    )


@given(st.lists(records, max_size=40))
def test_grouped_counts_and_named_shortfalls_match_the_record_by_record_report(
    contracts: list[ContractRecord],
) -> None:
    groups: dict[tuple[object, ...], tuple[ContractRecord, int]] = {}
    for record in map(facts_only, contracts):
        _, count = groups.get(astuple(record), (record, 0))
        groups[astuple(record)] = (record, count + 1)
    short = [r for r in contracts if falls_short(r, register_threshold_pence=THRESHOLD)]
    grouped = assess_groups(groups.values(), short, register_threshold_pence=THRESHOLD)
    assert grouped == assess(contracts, register_threshold_pence=THRESHOLD)


@given(records)
def test_a_contract_falls_short_exactly_when_the_report_names_it(record: ContractRecord) -> None:
    named = any(m.short for m in assess([record], register_threshold_pence=THRESHOLD))
    assert falls_short(record, register_threshold_pence=THRESHOLD) == named
