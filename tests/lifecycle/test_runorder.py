"""The order stage runs go in: a person's awaited run first, and bulk work never takes the
last free slot."""

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.runorder import Priority, may_start, priority_of


def test_a_persons_decision_is_awaited_and_the_rest_is_bulk() -> None:
    assert priority_of(decided_by_person=True) is Priority.PERSON_WAITS
    assert priority_of(decided_by_person=False) is Priority.BULK
    assert Priority.PERSON_WAITS < Priority.BULK


def test_bulk_leaves_the_last_slot_for_a_person() -> None:
    assert may_start(Priority.BULK, running=2, running_bulk=2, concurrency=4)
    assert not may_start(Priority.BULK, running=3, running_bulk=3, concurrency=4)
    assert may_start(Priority.PERSON_WAITS, running=3, running_bulk=3, concurrency=4)
    assert not may_start(Priority.PERSON_WAITS, running=4, running_bulk=3, concurrency=4)
    # One slot only: nothing could ever run if bulk had to leave it free.
    assert may_start(Priority.BULK, running=0, running_bulk=0, concurrency=1)


@st.composite
def slots(draw: st.DrawFn) -> tuple[int, int, int]:
    """(concurrency, running, running_bulk) as an executor can hold them."""
    concurrency = draw(st.integers(min_value=1, max_value=32))
    running = draw(st.integers(min_value=0, max_value=concurrency))
    return concurrency, running, draw(st.integers(min_value=0, max_value=running))


@given(slots())
def test_a_person_starts_whenever_a_slot_is_free(state: tuple[int, int, int]) -> None:
    concurrency, running, bulk = state
    allowed = may_start(
        Priority.PERSON_WAITS, running=running, running_bulk=bulk, concurrency=concurrency
    )
    assert allowed == (running < concurrency)


@given(slots())
def test_bulk_alone_never_fills_every_slot(state: tuple[int, int, int]) -> None:
    concurrency, running, bulk = state
    if may_start(Priority.BULK, running=running, running_bulk=bulk, concurrency=concurrency):
        assert running < concurrency
        assert concurrency == 1 or bulk + 1 <= concurrency - 1
