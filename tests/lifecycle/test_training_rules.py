"""Which contracts need a trained manager (key contracts, and those at or over the threshold),
and when a person's training counts (completed by the day, not lapsed)."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.training import trained_on, training_need

THRESHOLD = 500_000_00
DAY = date(2026, 11, 30)


def test_key_contracts_and_large_ones_need_a_trained_manager() -> None:
    assert training_need(True, 1_000_00, THRESHOLD) == "a key contract"
    assert "500,000 or more" in training_need(False, THRESHOLD, THRESHOLD)
    assert training_need(False, THRESHOLD - 1, THRESHOLD) == ""


def test_training_counts_from_completion_until_it_lapses() -> None:
    course = (DAY - timedelta(days=30), DAY + timedelta(days=1))
    assert trained_on([course], DAY)
    assert trained_on([course], DAY + timedelta(days=1))  # the last valid day counts
    assert not trained_on([course], DAY + timedelta(days=2))  # lapsed
    assert not trained_on([course], DAY - timedelta(days=31))  # not yet completed
    assert trained_on([(DAY, None)], DAY + timedelta(days=3650))  # never lapses
    assert not trained_on([], DAY)


@given(
    records=st.lists(
        st.tuples(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.none() | st.dates()),
        max_size=5,
    ),
    day=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
)
def test_one_counting_record_is_enough_and_needed(
    records: list[tuple[date, date | None]], day: date
) -> None:
    counting = [r for r in records if r[0] <= day and (r[1] is None or r[1] >= day)]
    assert trained_on(records, day) == bool(counting)
