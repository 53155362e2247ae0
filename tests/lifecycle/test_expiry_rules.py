"""Expiry lead times across month ends and leap years, the alert due on a day, escalation,
what an expiry decision may say, and the s.80 termination notice deadline and reminders."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.expiry import (
    ExpiryChoice,
    alert_due,
    earliest_alert_horizon,
    escalation_due,
    expiry_problem,
    lead_dates,
    months_before,
    notice_due_on,
    notice_reminder_due,
)

LEADS = [9, 6, 3]
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2199, 12, 31))
months = st.integers(min_value=0, max_value=120)


@pytest.mark.parametrize(
    ("day", "back", "expected"),
    [
        (date(2027, 8, 31), 6, date(2027, 2, 28)),
        (date(2028, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2028, 2, 29), 12, date(2027, 2, 28)),
        (date(2028, 2, 29), 48, date(2024, 2, 29)),
        (date(2027, 5, 31), 3, date(2027, 2, 28)),
        (date(2027, 12, 31), 9, date(2027, 3, 31)),
        (date(2027, 3, 31), 1, date(2027, 2, 28)),
        (date(2027, 1, 15), 3, date(2026, 10, 15)),
        (date(2027, 7, 31), 9, date(2026, 10, 31)),
        (date(2027, 6, 30), 0, date(2027, 6, 30)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_month_end(
    day: date, back: int, expected: date
) -> None:
    assert months_before(day, back) == expected


@given(day=days, back=months)
def test_months_before_lands_in_the_right_month_on_the_nearest_day(day: date, back: int) -> None:
    """The result is exactly `back` calendar months earlier, on the same day of the month or,
    when that month is shorter, on its last day; never after the day it started from."""
    earlier = months_before(day, back)
    assert (day.year * 12 + day.month) - (earlier.year * 12 + earlier.month) == back
    if earlier.day != day.day:
        assert earlier.day < day.day and (earlier + timedelta(days=1)).day == 1
    assert earlier <= day


@given(first=days, second=days, back=months)
def test_months_before_keeps_the_order_of_days(first: date, second: date, back: int) -> None:
    """A later end date never has an earlier alert."""
    low, high = sorted((first, second))
    assert months_before(low, back) <= months_before(high, back)


@given(end=days, today=days)
def test_the_alert_due_is_the_latest_passed_and_the_horizon_bounds_it(
    end: date, today: date
) -> None:
    due = alert_due(end, today, LEADS)
    passed = [m for m in LEADS if months_before(end, m) <= today]
    assert due == (min(passed) if passed else None)
    if due is not None:
        assert end <= earliest_alert_horizon(today, LEADS)
    assert escalation_due(end, today, LEADS) == (3 in passed)


def test_lead_dates_come_earliest_first() -> None:
    assert lead_dates(date(2027, 8, 31), LEADS) == [
        (9, date(2026, 11, 30)),
        (6, date(2027, 2, 28)),
        (3, date(2027, 5, 31)),
    ]


def test_one_alert_at_a_time_and_escalation_at_the_last() -> None:
    end = date(2027, 8, 31)
    assert alert_due(end, date(2026, 11, 29), LEADS) is None
    assert alert_due(end, date(2026, 11, 30), LEADS) == 9
    assert alert_due(end, date(2027, 2, 28), LEADS) == 6
    assert not escalation_due(end, date(2027, 5, 30), LEADS)
    assert alert_due(end, date(2027, 5, 31), LEADS) == 3
    assert escalation_due(end, date(2027, 5, 31), LEADS)


END = date(2027, 8, 31)


@pytest.mark.parametrize(
    ("choice", "option", "new_end", "field"),
    [
        (ExpiryChoice.EXTEND, None, date(2028, 8, 31), "decision"),
        (ExpiryChoice.EXTEND, date(2028, 8, 31), None, "new_end_date"),
        (ExpiryChoice.EXTEND, date(2028, 8, 31), date(2028, 9, 1), "new_end_date"),
        (ExpiryChoice.EXTEND, date(2028, 8, 31), END, "new_end_date"),
        (ExpiryChoice.END, None, date(2028, 8, 31), "new_end_date"),
        (ExpiryChoice.EXTEND, date(2028, 8, 31), date(2028, 8, 31), ""),
        (ExpiryChoice.REPROCURE, None, None, ""),
        (ExpiryChoice.END, date(2028, 8, 31), None, ""),
    ],
)
def test_what_an_expiry_decision_may_say(
    choice: ExpiryChoice, option: date | None, new_end: date | None, field: str
) -> None:
    problem, named = expiry_problem(
        choice=choice, end_date=END, extension_until=option, new_end_date=new_end
    )
    assert named == field and bool(problem) == bool(field)


def test_the_notice_is_due_within_thirty_days_beginning_with_the_end() -> None:
    assert notice_due_on(date(2027, 1, 31), 30) == date(2027, 3, 1)
    assert notice_due_on(date(2028, 2, 1), 30) == date(2028, 3, 1)  # 29 days of February


def test_notice_reminders_from_the_end_to_overdue() -> None:
    ended = date(2027, 3, 1)  # last day 30 March
    assert notice_reminder_due(ended, date(2027, 2, 28), 30, [7, 1]) is None
    assert notice_reminder_due(ended, ended, 30, [7, 1]) == "due"
    assert notice_reminder_due(ended, date(2027, 3, 23), 30, [7, 1]) == "7d"
    assert notice_reminder_due(ended, date(2027, 3, 29), 30, [7, 1]) == "1d"
    assert notice_reminder_due(ended, date(2027, 3, 30), 30, [7, 1]) == "1d"
    assert notice_reminder_due(ended, date(2027, 3, 31), 30, [7, 1]) == "overdue"
