"""Calendar quarters of the published register, and what changed between two of them."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.quarters import Quarter, changes, parse_quarter, quarter_of, status_at


def test_quarters_are_read_and_span_their_months() -> None:
    q4 = parse_quarter("2026-Q4")
    assert q4 == Quarter(2026, 4) and q4.label == "2026-Q4"
    assert (q4.first_day, q4.last_day) == (date(2026, 10, 1), date(2026, 12, 31))
    assert Quarter(2028, 1).last_day == date(2028, 3, 31)
    assert Quarter(2026, 2).first_day == date(2026, 4, 1)
    for bad in ("2026-Q0", "2026-Q5", "2026Q4", "26-Q4", "1999-Q1", "", "2026-q4"):
        assert parse_quarter(bad) is None


@given(st.dates(date(2000, 1, 1), date(2199, 12, 31)))
def test_every_day_falls_in_exactly_its_quarter(day: date) -> None:
    quarter = quarter_of(day)
    assert quarter.first_day <= day <= quarter.last_day
    assert parse_quarter(quarter.label) == quarter
    assert quarter_of(quarter.first_day) == quarter_of(quarter.last_day) == quarter


def test_an_entry_is_ended_only_once_it_had_ended_by_the_quarter_end() -> None:
    end = date(2026, 12, 31)
    assert status_at(None, end) == "published"
    assert status_at(end, end) == "ended"
    assert status_at(date(2027, 1, 1), end) == "published"


def test_changes_name_what_was_added_removed_and_changed() -> None:
    before = {
        "A": {"Title": "a", "Status": "published"},
        "B": {"Title": "b", "Status": "published"},
    }
    after = {"B": {"Title": "b", "Status": "ended"}, "C": {"Title": "c", "Status": "published"}}
    assert changes(before, after) == {
        "added": ["C"],
        "removed": ["A"],
        "changed": {"B": ["Status"]},
    }


ROWS = st.dictionaries(
    st.sampled_from(["R1", "R2", "R3", "R4"]),
    st.fixed_dictionaries(
        {"Title": st.sampled_from(["x", "y"]), "Value": st.sampled_from(["1", "2"])}
    ),
)


@given(ROWS, ROWS)
def test_changes_account_for_every_reference_once(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> None:
    found = changes(before, after)
    assert changes(after, after) == {"added": [], "removed": [], "changed": {}}
    assert set(found["added"]) | set(found["removed"]) | set(found["changed"]) <= set(before) | set(
        after
    )
    assert changes(after, before)["added"] == found["removed"]
    assert set(found["changed"]) == {r for r in set(before) & set(after) if before[r] != after[r]}
