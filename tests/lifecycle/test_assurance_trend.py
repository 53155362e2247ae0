"""The assurance trend's arithmetic: month keys, counting back across years, ordering the
recorded months, this month's live value standing in for what was recorded of it, targets,
and the case ids a shortfall links to."""

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.assurance import TARGETS, ContractRecord, Point, assess, month_of, months_back, trend

RECORD = ContractRecord(
    reference="PR-2026-0001",
    value_pence=50_000_00,
    key_contract=False,
    reached_procurement=True,
    legal_before_procurement=True,
    in_force=False,
    manager_named=False,
    register_complete=False,
    signed_before_start=None,
    exit_plan=False,
    contract_summary=False,
    review_overdue=False,
    closed_completed=False,
    lessons_recorded=False,
    case_id=11,
)


def test_months_are_keyed_and_counted_back_across_years() -> None:
    assert month_of(date(2026, 3, 31)) == "2026-03"
    assert months_back("2026-03", 0) == "2026-03"
    assert months_back("2026-03", 3) == "2025-12"
    assert months_back("2026-01", 13) == "2024-12"


@given(st.dates(min_value=date(1900, 1, 1)), st.integers(min_value=0, max_value=1200))
def test_counting_back_agrees_with_the_calendar(day: date, count: int) -> None:
    back = months_back(month_of(day), count)
    year, month = (int(part) for part in back.split("-"))
    assert (day.year * 12 + day.month) - (year * 12 + month) == count
    assert back <= month_of(day)  # the keys sort as the months do


def test_trend_orders_recorded_months_and_ends_with_this_month_live() -> None:
    measures = assess([RECORD], register_threshold_pence=5_000_00)
    stored = [
        ("2026-02", "legal_first", 3, 4),
        ("2025-12", "legal_first", 1, 4),
        ("2026-03", "legal_first", 0, 9),  # recorded earlier this month: the live value wins
        ("2026-01", "retired_measure", 1, 1),  # a measure no longer reported
    ]
    points = trend(stored, measures, month="2026-03")
    assert points["legal_first"] == [
        Point("2025-12", 1, 4),
        Point("2026-02", 3, 4),
        Point("2026-03", 1, 1, live=True),
    ]
    assert "retired_measure" not in points
    assert points["lessons_at_closure"] == [Point("2026-03", 0, 0, live=True)]
    assert points["lessons_at_closure"][0].share is None


def test_each_measure_has_a_target_and_shortfalls_carry_their_case() -> None:
    short = replace(RECORD, reference="PR-2026-0002", legal_before_procurement=False, case_id=12)
    measures = {m.key: m for m in assess([RECORD, short], register_threshold_pence=5_000_00)}
    assert set(measures) | {"mail_delivered", "history_intact"} == set(TARGETS)
    legal = measures["legal_first"]
    assert legal.target == 1.0 and not legal.on_target
    assert [(case.reference, case.case_id) for case in legal.short] == [("PR-2026-0002", 12)]
    assert legal.shortfalls == ["PR-2026-0002"]
    # Nothing to measure yet is not a failure.
    assert measures["lessons_at_closure"].on_target
