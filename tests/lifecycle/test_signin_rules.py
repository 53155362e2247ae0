"""The pure sign-in rules: which passwords are refused and why, and how long repeated failures
make the next attempt wait."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.signin import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Throttle,
    password_problem,
    wait_until,
)

EMAIL = "rita.patel@council.example"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
THROTTLE = Throttle()


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a" * 3 + "bcdefgh", "at least 12 characters"),
        ("kettle orch", "at least 12 characters"),
        ("x1y2" * 64 + "z", "256 characters or fewer"),
        (EMAIL, "must not be your email address"),
        ("  RITA.PATEL@Council.Example ", "must not be your email address"),
        ("aaaaaaaaaaaaaaaa", "must not repeat the same few characters"),
        ("abcabcabcabcabc", "must not repeat the same few characters"),
    ],
)
def test_refused_passwords_say_why(password: str, problem: str) -> None:
    assert problem in password_problem(password, email=EMAIL)


@pytest.mark.parametrize(
    "password",
    [
        "kettle orchard",
        "abcdabcdabcd",  # four different characters is enough
        "x" * (MAX_PASSWORD_LENGTH - 4) + "abcd",
        "correct horse battery staple",
    ],
)
def test_accepted_passwords(password: str) -> None:
    assert password_problem(password, email=EMAIL) == ""


def test_length_bounds_are_inclusive() -> None:
    """12 and 256 characters are accepted; 11 and 257 are not."""
    base = "abcdefghijklmnopqrstuvwxyz"
    assert password_problem(base[:MIN_PASSWORD_LENGTH], email=EMAIL) == ""
    assert password_problem(base[: MIN_PASSWORD_LENGTH - 1], email=EMAIL) != ""
    longest = (base * 10)[:MAX_PASSWORD_LENGTH]
    assert password_problem(longest, email=EMAIL) == ""
    assert password_problem(longest + "a", email=EMAIL) != ""


def failures(*seconds_ago: float) -> list[datetime]:
    """Failure times, so many seconds before NOW."""
    return [NOW - timedelta(seconds=ago) for ago in seconds_ago]


def test_no_wait_below_the_free_failures() -> None:
    assert wait_until(failures(1, 2, 3, 4), NOW, THROTTLE) is None


def test_the_wait_starts_at_the_free_failures_and_doubles() -> None:
    """Five failures: 30 s after the last; six: 60 s; seven: 120 s."""
    assert wait_until(failures(1, 2, 3, 4, 5), NOW, THROTTLE) == NOW + timedelta(seconds=29)
    assert wait_until(failures(1, 2, 3, 4, 5, 6), NOW, THROTTLE) == NOW + timedelta(seconds=59)
    seven = failures(1, 2, 3, 4, 5, 6, 7)
    assert wait_until(seven, NOW, THROTTLE) == NOW + timedelta(seconds=119)


def test_the_wait_is_capped_at_the_longest() -> None:
    many = failures(*range(1, 40))
    assert wait_until(many, NOW, THROTTLE) == NOW - timedelta(seconds=1) + THROTTLE.longest_wait


def test_the_wait_ends() -> None:
    """Five failures, the last 31 seconds ago: the 30-second wait is over."""
    assert wait_until(failures(31, 32, 33, 34, 35), NOW, THROTTLE) is None


def test_failures_outside_the_window_are_ignored() -> None:
    window = THROTTLE.window.total_seconds()
    old = [window + 1, window + 2, window + 3]
    assert wait_until(failures(1, 2, *old), NOW, THROTTLE) is None
    assert wait_until(failures(1, 2, 3, 4, *old), NOW, THROTTLE) is None
    assert wait_until(failures(1, 2, 3, 4, 5, *old), NOW, THROTTLE) is not None


def test_the_order_failures_come_in_does_not_matter() -> None:
    assert wait_until(failures(5, 1, 4, 2, 3), NOW, THROTTLE) == NOW + timedelta(seconds=29)


seconds_ago = st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), max_size=60)
throttles = st.builds(
    Throttle,
    free=st.integers(min_value=1, max_value=10),
    window=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=2)),
    first_wait=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(minutes=5)),
    longest_wait=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=1)),
)


@given(seconds_ago, throttles)
def test_the_wait_never_exceeds_the_longest(ago: list[float], throttle: Throttle) -> None:
    until = wait_until(failures(*ago), NOW, throttle)
    assert until is None or NOW < until <= NOW + throttle.longest_wait


@given(seconds_ago, st.floats(min_value=0, max_value=3600, allow_nan=False), throttles)
def test_one_more_failure_never_waits_less(
    ago: list[float], another: float, throttle: Throttle
) -> None:
    """Adding a failure (at any time) never brings the next attempt forward."""
    before = wait_until(failures(*ago), NOW, throttle) or NOW
    after = wait_until(failures(*ago, another), NOW, throttle) or NOW
    assert after >= before


@given(st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), max_size=60))
def test_a_wait_needs_the_free_failures_within_the_window(ago: list[float]) -> None:
    recent = [a for a in ago if a <= THROTTLE.window.total_seconds()]
    if len(recent) < THROTTLE.free:
        assert wait_until(failures(*ago), NOW, THROTTLE) is None
