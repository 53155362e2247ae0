"""Which contracts need a trained manager, and whether a person's training counts on a day.
The audit's open recommendation: officers who need further training for the size or
complexity of the contracts they manage are identified. Pure: plain values in and out."""

from collections.abc import Iterable
from datetime import date


def training_need(key_contract: bool, value_pence: int, threshold_pence: int) -> str:
    """Why the contract needs a trained manager, or "" when it does not."""
    if key_contract:
        return "a key contract"
    if value_pence >= threshold_pence:
        return f"a contract of {threshold_pence // 100:,} or more (whole life)"
    return ""


def trained_on(records: Iterable[tuple[date, date | None]], day: date) -> bool:
    """Whether any (completed on, valid until) record counts on `day`: completed by then and
    not lapsed (a record without an end date does not lapse)."""
    return any(completed <= day and (until is None or until >= day) for completed, until in records)
