"""Working days on the England and Wales bank-holiday calendar, and the standstill's last day."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.calendar import (
    add_working_days,
    is_working_day,
    standstill_last_day,
    working_days_between,
)

# England and Wales bank holidays 2026 (gov.uk), incl. the Boxing Day substitute on Monday 28th.
BANK_HOLIDAYS_2026 = [
    date(2026, 1, 1),  # New Year's Day
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 4),  # Early May
    date(2026, 5, 25),  # Spring
    date(2026, 8, 31),  # Summer
    date(2026, 12, 25),  # Christmas Day (Friday)
    date(2026, 12, 28),  # Boxing Day substitute (26th is a Saturday)
]
STANDSTILL = 8


@pytest.mark.parametrize("day", BANK_HOLIDAYS_2026, ids=str)
def test_bank_holidays_2026_are_not_working_days(day: date) -> None:
    assert day.weekday() < 5  # all fall on weekdays: the calendar, not the weekend, excludes them
    assert not is_working_day(day)


def test_exactly_these_weekday_holidays_in_2026() -> None:
    day, excluded = date(2026, 1, 1), []
    while day.year == 2026:
        if day.weekday() < 5 and not is_working_day(day):
            excluded.append(day)
        day += timedelta(days=1)
    assert excluded == BANK_HOLIDAYS_2026


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 7), date(2026, 3, 8), date(2026, 12, 26), date(2026, 12, 27)],
    ids=str,
)
def test_weekends_are_not_working_days(day: date) -> None:
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 2),  # Maundy Thursday
        date(2026, 4, 7),  # Tuesday after Easter
        date(2026, 12, 24),  # Christmas Eve
        date(2026, 12, 29),
        date(2026, 12, 31),
        date(2026, 3, 17),  # St Patrick's Day: a bank holiday in Northern Ireland only
        date(2026, 11, 30),  # St Andrew's Day: Scotland only
        date(2026, 8, 3),  # Scottish summer bank holiday
    ],
    ids=str,
)
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert is_working_day(day)


def test_add_zero_working_days_is_the_start() -> None:
    assert add_working_days(date(2026, 4, 3), 0) == date(2026, 4, 3)


def test_add_negative_working_days_raises() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 4, 1), -1)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday -> Monday
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Thursday -> Tuesday over Easter
        (date(2026, 5, 1), 1, date(2026, 5, 5)),  # Friday -> Tuesday over the May bank holiday
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # over Christmas and the substitute day
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # over New Year's Day 2027 (Friday)
        (date(2026, 8, 28), 1, date(2026, 9, 1)),  # over the summer bank holiday
    ],
)
def test_add_working_days_skips_weekends_and_holidays(
    start: date, days: int, expected: date
) -> None:
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("published", "last_day"),
    [
        # Procurement Act 2023 s.51: eight working days beginning with the day of publication.
        # Friday 6 March 2026: Fri 6, Mon 9 .. Fri 13, Mon 16, Tue 17.
        (date(2026, 3, 6), date(2026, 3, 17)),
        # Friday 27 March 2026, running into Easter: Fri 27, Mon 30, Tue 31, Wed 1, Thu 2,
        # (Good Friday), (Easter Monday), Tue 7, Wed 8, Thu 9.
        (date(2026, 3, 27), date(2026, 4, 9)),
        # Wednesday 1 April 2026: Wed 1, Thu 2, (Fri 3, Mon 6), Tue 7 .. Fri 10, Mon 13, Tue 14.
        (date(2026, 4, 1), date(2026, 4, 14)),
        # Wednesday 23 December 2026: Wed 23, Thu 24, (Fri 25, Mon 28), Tue 29, Wed 30,
        # Thu 31, (Fri 1 Jan 2027), Mon 4, Tue 5, Wed 6 January 2027.
        (date(2026, 12, 23), date(2027, 1, 6)),
        # Friday 18 December 2026: Fri 18, Mon 21 .. Thu 24, Tue 29, Wed 30, Thu 31.
        (date(2026, 12, 18), date(2026, 12, 31)),
        # Saturday 5 December 2026: the count begins on Monday 7; Mon 7 .. Fri 11, Mon 14 ..
        # Wed 16.
        (date(2026, 12, 5), date(2026, 12, 16)),
    ],
    ids=str,
)
def test_standstill_last_day(published: date, last_day: date) -> None:
    assert standstill_last_day(published, STANDSTILL) == last_day
    assert working_days_between(published - timedelta(days=1), last_day) == STANDSTILL


def test_standstill_over_easter_is_longer_in_calendar_days() -> None:
    plain = standstill_last_day(date(2026, 3, 4), STANDSTILL) - date(2026, 3, 4)
    easter = standstill_last_day(date(2026, 4, 1), STANDSTILL) - date(2026, 4, 1)
    # Two bank holidays push the end past another weekend: Fri 13 March against Tue 14 April.
    assert easter - plain == timedelta(days=4)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 4, 1), date(2026, 4, 1), 0),
        (date(2026, 4, 1), date(2026, 3, 1), 0),
        (date(2026, 4, 1), date(2026, 4, 7), 2),  # Thu 2, Tue 7
        (date(2026, 12, 24), date(2026, 12, 28), 0),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected


starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=200, deadline=None)
@given(start=starts, days=st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_a_working_day_after_the_start(start: date, days: int) -> None:
    result = add_working_days(start, days)
    assert result > start
    assert is_working_day(result)
    assert working_days_between(start, result) == days
    # ... and it is the first such day: the day before holds one fewer working day.
    assert working_days_between(start, result - timedelta(days=1)) == days - 1


@settings(max_examples=200, deadline=None)
@given(start=starts, days=counts)
def test_working_days_between_inverts_add(start: date, days: int) -> None:
    assert working_days_between(start, add_working_days(start, days)) == days


@settings(max_examples=100, deadline=None)
@given(published=starts)
def test_standstill_is_eight_working_days_from_publication(published: date) -> None:
    last = standstill_last_day(published, STANDSTILL)
    assert is_working_day(last)
    assert working_days_between(published - timedelta(days=1), last) == STANDSTILL
    assert last >= published + timedelta(days=9)  # 8 working days span a weekend at least
