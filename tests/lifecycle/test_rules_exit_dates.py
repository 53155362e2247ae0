"""When a contract may be recorded as ended: by today, and not before it started unless it was
terminated before it began."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.guards import exit_date_problem

START = date(2026, 4, 1)
TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("reason", ["expired", "terminated", "not_renewed"])
def test_an_end_date_still_to_come_is_refused(reason: str) -> None:
    assert "future" in exit_date_problem(TODAY + timedelta(days=1), START, TODAY, reason)
    assert exit_date_problem(TODAY, START, TODAY, reason) == ""


def test_only_a_termination_may_end_a_contract_before_it_started() -> None:
    before = START - timedelta(days=1)
    assert "start date" in exit_date_problem(before, START, TODAY, "expired")
    assert exit_date_problem(before, START, TODAY, "terminated") == ""


@given(
    ended_on=st.dates(date(1990, 1, 1), date(2199, 12, 31)),
    start=st.dates(date(1990, 1, 1), date(2199, 12, 31)),
    today=st.dates(date(1990, 1, 1), date(2199, 12, 31)),
    reason=st.sampled_from(["expired", "terminated", "not_renewed"]),
)
def test_an_accepted_end_date_is_never_after_today(
    ended_on: date, start: date, today: date, reason: str
) -> None:
    if not exit_date_problem(ended_on, start, today, reason):
        assert ended_on <= today
        assert ended_on >= start or reason == "terminated"
