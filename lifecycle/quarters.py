"""Quarters of the published contract register: which days a quarter covers, and what changed
between two published quarters. Calendar quarters (Q1 January to March ... Q4 October to
December), written 2026-Q4. Pure: plain values in and out."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter."""

    year: int
    number: int

    @property
    def label(self) -> str:
        """As written: 2026-Q4."""
        return f"{self.year}-Q{self.number}"

    @property
    def first_day(self) -> date:
        """The quarter's first day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        """The quarter's last day."""
        following = (
            date(self.year + 1, 1, 1)
            if self.number == 4
            else date(self.year, 3 * self.number + 1, 1)
        )
        return following - timedelta(days=1)


def parse_quarter(text: str) -> Quarter | None:
    """A quarter from '2026-Q4', or None when it is not one (years 2000 to 2199)."""
    found = QUARTER.match(text.strip())
    if not found or not 2000 <= int(found.group(1)) <= 2199:
        return None
    return Quarter(int(found.group(1)), int(found.group(2)))


def quarter_of(day: date) -> Quarter:
    """The quarter a day falls in."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def status_at(ended_on: date | None, last_day: date) -> str:
    """A published entry's register status at a quarter's end: ended only if it had ended by
    then."""
    return "ended" if ended_on is not None and ended_on <= last_day else "published"


Row = Mapping[str, str]


def changes(before: Mapping[str, Row], after: Mapping[str, Row]) -> dict[str, Any]:
    """What changed from one quarter's register to the next, both keyed by reference: entries
    added, entries gone, and each changed entry with the columns that changed."""
    changed = {
        reference: sorted(column for column in row if before[reference].get(column) != row[column])
        for reference, row in after.items()
        if reference in before and dict(before[reference]) != dict(row)
    }
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": dict(sorted(changed.items())),
    }
