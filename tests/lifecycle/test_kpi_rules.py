"""KPI rules: the s.52 count before a contract goes live, each KPI reported once in a review,
the 12-month assessment schedule across month ends and leap years, and its reminders."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.actions import Action, CaseState, Person, open_actions
from lifecycle.kpis import (
    MIN_KPIS,
    add_months,
    assessment_due,
    assessment_refusal,
    assessment_reminders,
    fewer_kpis_refusal,
    kpi_changes,
    kpi_setting_refusal,
    kpi_shortfall,
    needs_kpis,
    results_problem,
)
from lifecycle.rules import GateKind, Role, Route, Stage, Status

THRESHOLD = 5_000_000_00


def test_a_contract_over_the_threshold_needs_three_kpis() -> None:
    """Two KPIs on a 6m contract is refused, naming what is missing; three is enough."""
    problem = kpi_shortfall(6_000_000_00, THRESHOLD, 2, None)
    assert "at least 3 KPIs" in problem and "s.52" in problem and "add 1 more" in problem
    assert kpi_shortfall(6_000_000_00, THRESHOLD, 3, None) == ""


def test_at_the_threshold_no_kpis_are_needed() -> None:
    """The Act says over 5,000,000: exactly 5,000,000 needs none."""
    assert not needs_kpis(THRESHOLD, THRESHOLD)
    assert kpi_shortfall(THRESHOLD, THRESHOLD, 0, None) == ""
    assert needs_kpis(THRESHOLD + 1, THRESHOLD)


def test_a_recorded_reason_allows_fewer_but_a_blank_one_does_not() -> None:
    """The reason must say something."""
    assert kpi_shortfall(9_000_000_00, THRESHOLD, 0, "a one-off delivery") == ""
    assert kpi_shortfall(9_000_000_00, THRESHOLD, 0, "   ") != ""


@given(
    value=st.integers(min_value=0, max_value=10**13),
    kpis=st.integers(min_value=0, max_value=10),
    reason=st.none() | st.text(max_size=5),
)
def test_property_only_a_large_contract_short_of_kpis_without_a_reason_is_refused(
    value: int, kpis: int, reason: str | None
) -> None:
    """Refused exactly when over the threshold, under 3 KPIs, and no reason is recorded."""
    refused = kpi_shortfall(value, THRESHOLD, kpis, reason) != ""
    has_reason = bool(reason and reason.strip())
    assert refused == (value > THRESHOLD and kpis < MIN_KPIS and not has_reason)


def test_results_must_cover_each_kpi_once() -> None:
    """Missing, duplicated and foreign KPIs are each refused; an exact cover passes."""
    assert results_problem([1, 2, 3], [3, 1, 2]) == ""
    assert "1 missing" in results_problem([1, 2, 3], [1, 2])
    assert "more than once" in results_problem([1, 2], [1, 1, 2])
    assert "does not set" in results_problem([1, 2], [1, 2, 9])
    assert results_problem([], []) == ""


@given(
    kpis=st.sets(st.integers(min_value=1, max_value=50), max_size=8),
    reported=st.lists(st.integers(min_value=1, max_value=50), max_size=10),
)
def test_property_results_pass_only_as_a_permutation(kpis: set[int], reported: list[int]) -> None:
    """A review's results pass exactly when they report each KPI once and nothing else."""
    ok = results_problem(sorted(kpis), reported) == ""
    assert ok == (sorted(reported) == sorted(kpis))


def test_months_are_added_across_month_ends_and_leap_years() -> None:
    """29 February plus 12 months is 28 February; 31 January plus one is the month's end."""
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2027, 2, 28), 12) == date(2028, 2, 28)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 12) == date(2027, 12, 15)
    assert assessment_due(date(2026, 11, 30), 12) == date(2027, 11, 30)


@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2199, 1, 1)),
    months=st.integers(min_value=1, max_value=12),
)
def test_property_the_next_assessment_is_never_more_than_the_interval_away(
    day: date, months: int
) -> None:
    """The due date is `months` calendar months on, never later, and on or before that day."""
    due = add_months(day, months)
    assert (due.year * 12 + due.month) - (day.year * 12 + day.month) == months
    assert due.day <= day.day
    assert day < due <= day + timedelta(days=31 * months)


def test_reminders_start_at_the_lead_time_and_escalate_when_long_overdue() -> None:
    """Seven days ahead it is reminded, not escalated; fourteen days late it is escalated."""
    due = date(2027, 3, 1)
    assert assessment_reminders(due, due - timedelta(days=8), 7, 14) == (False, False)
    assert assessment_reminders(due, due - timedelta(days=7), 7, 14) == (True, False)
    assert assessment_reminders(due, due + timedelta(days=13), 7, 14) == (True, False)
    assert assessment_reminders(due, due + timedelta(days=14), 7, 14) == (True, True)


def test_who_sets_kpis_records_a_reason_and_assesses() -> None:
    """The manager or procurement set and assess KPIs; only procurement records a reason."""
    assert kpi_setting_refusal(5, False, 5) == ""
    assert kpi_setting_refusal(6, True, 5) == ""
    assert kpi_setting_refusal(6, False, 5) != ""
    assert assessment_refusal(5, False, 5) == ""
    assert assessment_refusal(7, False, 5) != ""
    assert fewer_kpis_refusal(True) == ""
    assert fewer_kpis_refusal(False) != ""


def test_the_case_page_offers_kpi_forms_as_the_services_allow() -> None:
    """The manager and procurement set KPIs from signing to monitoring; the assessment form
    appears on a live contract once it sets KPIs; a requester gets neither."""
    signing = CaseState(
        reference="PR-2026-0001",
        stage=Stage.SIGNING,
        status=Status.IN_PROGRESS,
        route=Route.ABOVE_THRESHOLD,
        contract=True,
        requester_id=1,
        contract_manager_id=4,
        pending_gate=None,
        award_approved=True,
        award_notice_published_on=None,
        contract_recorded=True,
        signed_contract_held=True,
        bids=2,
    )
    live = replace(signing, stage=Stage.MONITORING)
    manager, buyer = Person(4, (Role.CONTRACT_MANAGER,)), Person(3, (Role.PROCUREMENT,))
    requester = Person(1, (Role.REQUESTER,))
    assert Action.SET_KPI in open_actions(signing, manager)
    assert Action.SET_KPI in open_actions(live, buyer)
    assert Action.SET_KPI not in open_actions(live, requester)
    assert Action.SET_KPI not in open_actions(replace(signing, stage=Stage.PROCUREMENT), buyer)
    assert Action.ASSESS_KPIS not in open_actions(live, manager)  # no KPIs yet
    assert Action.ASSESS_KPIS in open_actions(replace(live, kpis=3), manager)
    assert Action.ASSESS_KPIS not in open_actions(replace(signing, kpis=3), manager)
    assert Action.ASSESS_KPIS not in open_actions(replace(live, kpis=3), requester)
    closed = replace(live, kpis=3, status=Status.CLOSED, pending_gate=GateKind.CLOSURE)
    assert not {Action.SET_KPI, Action.ASSESS_KPIS} & open_actions(closed, buyer)
    # Why fewer KPIs: procurement only, and only while the contract is short of them.
    fewer = Action.RECORD_FEWER_KPIS_REASON
    assert fewer in open_actions(replace(signing, kpis_short=True), buyer)
    assert fewer not in open_actions(replace(signing, kpis_short=True), manager)
    assert fewer not in open_actions(signing, buyer)
    assert fewer not in open_actions(replace(closed, kpis_short=True), buyer)


def test_a_kpi_change_names_each_field_that_changes_with_what_it_read_before() -> None:
    before = {"name": "Missed bins", "measure": "per quarter", "target": "under 30"}
    assert kpi_changes(before, before) == {}
    after = {**before, "target": "under 25", "name": "Missed collections"}
    assert kpi_changes(before, after) == {
        "name": ["Missed bins", "Missed collections"],
        "target": ["under 30", "under 25"],
    }
