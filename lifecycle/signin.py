"""Pure rules for signing in to the pages: what makes a password acceptable, and how long
repeated failures make the next attempt wait. No I/O here."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# NCSC and NIST both favour length over composition rules; the upper bound keeps hashing cheap.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


def password_problem(password: str, *, email: str) -> str:
    """Why this password is refused, in words for the person choosing it; '' when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Your password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if password.strip().lower() == email.strip().lower():
        return "Your password must not be your email address"
    if len(set(password)) < 4:
        return "Your password must not repeat the same few characters"
    return ""


@dataclass(frozen=True)
class Throttle:
    """How failed sign-ins slow the next attempt: `free` failures within `window` cost nothing,
    each one after that doubles the wait, from `first_wait` up to `longest_wait`."""

    free: int = 5
    window: timedelta = timedelta(minutes=15)
    first_wait: timedelta = timedelta(seconds=30)
    longest_wait: timedelta = timedelta(minutes=15)


def wait_until(failures: Sequence[datetime], now: datetime, throttle: Throttle) -> datetime | None:
    """When the next attempt may be made, or None if it may be made now. `failures` are the
    times of earlier failed attempts for one address or one client."""
    recent = sorted(at for at in failures if now - at <= throttle.window)
    if len(recent) < throttle.free:
        return None
    doublings = min(len(recent) - throttle.free, 16)  # 2**16 steps is past any longest wait
    wait = min(throttle.first_wait * (2**doublings), throttle.longest_wait)
    until = recent[-1] + wait
    return until if until > now else None
