"""When an unpublished Procurement Act notice is reminded: from the day its duty arises, as its
last day nears, once it has passed, and escalated once long overdue, as a gate is."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.calendar import add_working_days
from lifecycle.notices import NoticeDue, NoticeType, deadline_reminder, notices, overdue
from lifecycle.rules import Category
from tests.lifecycle.test_notices_due import APPROVED, ENDED, ENTERED, OPENED, START, facts

UK7 = NoticeDue("UK7", NoticeType.UK7, True, date(2026, 12, 2), "s.53", date(2026, 11, 2))
BEFORE = (7, 1)


def part(notice: NoticeDue, today: date) -> str | None:
    return deadline_reminder(notice, today, BEFORE, 5)


def test_each_reminder_falls_on_its_day() -> None:
    assert part(UK7, date(2026, 11, 1)) is None  # not arisen
    assert part(UK7, date(2026, 11, 2)) == "due"
    assert part(UK7, date(2026, 11, 24)) == "due"
    assert part(UK7, date(2026, 11, 25)) == "7d"
    assert part(UK7, date(2026, 12, 1)) == "1d"
    assert part(UK7, date(2026, 12, 2)) == "1d"  # the last day
    assert part(UK7, date(2026, 12, 3)) == "overdue"
    assert part(UK7, date(2026, 12, 9)) == "overdue"  # the 5th working day after
    assert part(UK7, date(2026, 12, 10)) == "escalated"


def test_a_notice_due_the_day_it_arises_says_due_first() -> None:
    change = NoticeDue("UK10-1", NoticeType.UK10, True, APPROVED, "s.75", APPROVED)
    assert part(change, APPROVED) == "due"
    assert part(change, APPROVED + timedelta(days=1)) == "overdue"


def test_nothing_is_reminded_for_a_notice_not_needed_or_not_arisen() -> None:
    assert part(replace(UK7, required=False), date(2026, 11, 30)) is None
    assert part(replace(UK7, arises_on=None), date(2026, 11, 30)) is None


def test_a_notice_with_no_last_day_in_the_act_is_reminded_once_as_it_arises() -> None:
    tender = NoticeDue("UK4", NoticeType.UK4, True, OPENED, "s.21", OPENED, deadline=False)
    for day in (OPENED, OPENED + timedelta(days=1), OPENED + timedelta(days=400)):
        assert part(tender, day) == "due"  # one key: one mail
        assert not overdue(tender, day)
    assert part(tender, OPENED - timedelta(days=1)) is None
    found = {n.key: n.deadline for n in notices(facts(6_000_000, Category.WORKS))}
    assert (found["UK4"], found["UK6"], found["UK7"], found["UK11"]) == (False, False, True, True)


def test_each_notice_arises_on_its_event() -> None:
    found = {n.key: n.arises_on for n in notices(facts(6_000_000, Category.WORKS))}
    assert found == {
        "UK4": OPENED,
        "UK6": APPROVED,
        "UK7": ENTERED,
        "UK9-1": None,  # the first assessment, 12 months in, has not been made
        "UK10": None,
        "UK11": ENDED,
    }
    assessed = notices(facts(6_000_000, Category.WORKS, assessments=(START + timedelta(365),)))
    assert {n.key: n.arises_on for n in assessed}["UK9-1"] == START + timedelta(365)


@given(
    arises=st.dates(date(2025, 1, 1), date(2030, 12, 31)),
    days=st.integers(0, 120),
    offset=st.integers(-10, 200),
)
def test_a_reminder_never_comes_early_and_never_stops_short(
    arises: date, days: int, offset: int
) -> None:
    notice = NoticeDue("UK7", NoticeType.UK7, True, arises + timedelta(days), "", arises)
    today = arises + timedelta(offset)
    found = part(notice, today)
    assert notice.due_by is not None
    if today < arises:
        assert found is None
    elif today > add_working_days(notice.due_by, 5):
        assert found == "escalated"
    elif today > notice.due_by:
        assert found == "overdue"
    else:
        assert found in {"due", "7d", "1d"}
        assert found != "1d" or (notice.due_by - today).days <= 1
