"""Today's date in the council's time zone (dates in the rules are UK dates)."""

from datetime import date, datetime

from lifecycle.calendar import LONDON


def today() -> date:
    """The current date in London."""
    return datetime.now(LONDON).date()


def london_date(moment: datetime) -> date:
    """The UK date of an aware timestamp (an approval at 00:30 BST is that day, not the last)."""
    return moment.astimezone(LONDON).date()
