"""Working-day arithmetic on the England and Wales bank-holiday calendar (offline)."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    """England and Wales share one calendar; the `holidays` package computes it offline."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def standstill_last_day(notice_published_on: date, working_days: int) -> date:
    """Procurement Act 2023 s.51: the standstill is `working_days` working days beginning with
    the day the contract award notice is published (counted only if a working day); this is
    its last day."""
    return add_working_days(notice_published_on - timedelta(days=1), working_days)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day`, UK time, as an aware timestamp."""
    return datetime.combine(day, time.min, tzinfo=LONDON)
