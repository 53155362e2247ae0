"""The assurance report's arithmetic: who each measure applies to, who meets it, and which
references fall short."""

from dataclasses import replace

from lifecycle.assurance import ContractRecord, assess

GOOD = ContractRecord(
    reference="PR-2026-0001",
    value_pence=50_000_00,
    key_contract=True,
    reached_procurement=True,
    legal_before_procurement=True,
    in_force=True,
    manager_named=True,
    register_complete=True,
    signed_before_start=True,
    exit_plan=True,
    contract_summary=True,
    review_overdue=False,
    closed_completed=False,
    lessons_recorded=False,
)


def by_name(records: list[ContractRecord]) -> dict[str, tuple[int, int, list[str]]]:
    return {
        m.name: (m.met, m.of, m.shortfalls)
        for m in assess(records, register_threshold_pence=5_000_00)
    }


def test_a_contract_that_does_everything_meets_every_measure_that_applies() -> None:
    report = by_name([GOOD])
    assert all(met == of for met, of, _ in report.values())
    assert report["closed contracts with lessons recorded"] == (0, 0, [])


def test_shortfalls_name_the_cases() -> None:
    late = replace(GOOD, reference="PR-2026-0002", signed_before_start=False)
    no_plan = replace(GOOD, reference="PR-2026-0003", exit_plan=False)
    overdue = replace(GOOD, reference="PR-2026-0004", review_overdue=True)
    closed = replace(GOOD, reference="PR-2026-0005", closed_completed=True, review_overdue=True)
    report = by_name([GOOD, late, no_plan, overdue, closed])
    assert report["contracts signed before they started"] == (4, 5, ["PR-2026-0002"])
    assert report["key contracts with an exit plan and a contract summary"][2] == ["PR-2026-0003"]
    # A closed contract has no reviews left to be overdue.
    assert report["live contracts with no overdue review"] == (3, 4, ["PR-2026-0004"])
    assert report["closed contracts with lessons recorded"] == (0, 1, ["PR-2026-0005"])


def test_small_contracts_and_contracts_not_yet_in_force_are_not_counted_for_the_register() -> None:
    small = replace(GOOD, reference="PR-2026-0002", value_pence=4_999_99, register_complete=False)
    signing = replace(
        GOOD,
        reference="PR-2026-0003",
        in_force=False,
        manager_named=False,
        register_complete=False,
        signed_before_start=None,
    )
    report = by_name([GOOD, small, signing])
    assert report["contracts of 5,000 or more on the register with every required field"] == (
        1,
        1,
        [],
    )
    assert report["contracts with a named contract manager"] == (2, 2, [])
    assert report["contracts signed before they started"] == (2, 2, [])


def test_share_is_none_when_a_measure_applies_to_nothing() -> None:
    measures = assess([], register_threshold_pence=5_000_00)
    assert all(m.share is None and m.of == 0 for m in measures)
    assert assess([GOOD], register_threshold_pence=5_000_00)[0].share == 1.0
