"""Expiry and the end of a contract: when the alerts before its end date fall due, what an
expiry decision may say, and the termination notice the Procurement Act 2023 s.80 requires
within 30 days of the end. Pure: dates in, dates out."""

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum


class ExpiryChoice(StrEnum):
    """The one decision an expiring contract needs."""

    EXTEND = "extend"  # only within a recorded extension option
    REPROCURE = "reprocure"  # a new linked case, through every stage again
    END = "end"  # let it end: exit at the end date


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, or that month's last day when it is
    shorter: 31 August less 6 months is 28 February (29 in a leap year)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def lead_dates(end_date: date, leads: Iterable[int]) -> list[tuple[int, date]]:
    """Each alert's lead in months with the day it falls due, earliest alert first."""
    return sorted(
        ((months, months_before(end_date, months)) for months in set(leads)), key=lambda x: x[1]
    )


def alert_due(end_date: date, today: date, leads: Iterable[int]) -> int | None:
    """The lead (in months) of the latest alert due by `today`, or None before the first. A
    contract found late (imported near its end) gets only the latest, not every earlier one."""
    due = [months for months, on in lead_dates(end_date, leads) if on <= today]
    return min(due) if due else None


def escalation_due(end_date: date, today: date, leads: Iterable[int]) -> bool:
    """No decision by the last lead time (the shortest) is escalated."""
    shortest = min(leads)
    return today >= months_before(end_date, shortest)


def earliest_alert_horizon(today: date, leads: Iterable[int]) -> date:
    """An end date beyond this has no alert due yet (a bound for the sweep's query): the end
    dates whose longest lead has passed lie within that many months and a few days."""
    longest = max(leads)
    index = today.year * 12 + (today.month - 1) + longest
    year, month = divmod(index, 12)
    return date(year, month + 1, 1) + timedelta(days=62)


def expiry_problem(
    *,
    choice: ExpiryChoice,
    end_date: date,
    extension_until: date | None,
    new_end_date: date | None,
) -> tuple[str, str]:
    """Why this decision cannot be taken, with the field at fault; ('', '') when it can."""
    if choice is not ExpiryChoice.EXTEND:
        if new_end_date is not None:
            return "only an extension takes a new_end_date", "new_end_date"
        return "", ""
    if extension_until is None:
        return "no extension option is recorded for this contract", "decision"
    if new_end_date is None:
        return "an extension needs a new_end_date", "new_end_date"
    if new_end_date <= end_date:
        return "new_end_date must be after the current end date", "new_end_date"
    if new_end_date > extension_until:
        return (
            f"new_end_date is beyond the extension option, which runs to {extension_until}",
            "new_end_date",
        )
    return "", ""


def notice_due_on(ended_on: date, days: int) -> date:
    """The last day to publish the termination notice: within `days` of the end, counting the
    day it ended as the first (s.80: "the period of 30 days beginning with" that day)."""
    return ended_on + timedelta(days=days - 1)


def notice_reminder_due(
    ended_on: date, today: date, days: int, before: Iterable[int]
) -> str | None:
    """Which termination-notice reminder is due today, as a key part: 'due' from the end,
    'Nd' when N days or fewer are left, 'overdue' after the last day; None before the end."""
    if today < ended_on:
        return None
    last = notice_due_on(ended_on, days)
    if today > last:
        return "overdue"
    left = (last - today).days
    near = [n for n in before if left <= n]
    return f"{min(near)}d" if near else "due"
