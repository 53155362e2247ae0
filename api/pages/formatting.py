"""How values read on a page: money in pounds, dates the British way, times in London."""

from datetime import date, datetime

from jinja2 import Environment

from lifecycle.calendar import LONDON
from lifecycle.services.cases import gbp


def long_date(value: date | None) -> str:
    """30 November 2026."""
    return f"{value.day} {value:%B %Y}" if value else ""


def when(value: datetime | None) -> str:
    """30 November 2026, 14:05 (London time)."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y, %H:%M}"


def words(value: str | None) -> str:
    """A code as words: 'legal_consultation' -> 'Legal consultation'."""
    if not value:
        return ""
    spaced = value.replace("_", " ")
    return spaced[:1].upper() + spaced[1:]


def money(pence: int | None) -> str:
    """Pence as pounds; blank when unknown."""
    return "" if pence is None else gbp(pence)


def pounds_input(pence: int | None) -> str:
    """Pence as a value to put back in a pounds box: 1250050 -> '12500.50'."""
    if pence is None:
        return ""
    return f"{pence // 100}" if pence % 100 == 0 else f"{pence // 100}.{pence % 100:02d}"


def install(env: Environment) -> None:
    """Make the formats available to every template."""
    env.filters.update(
        long_date=long_date, when=when, words=words, money=money, pounds_input=pounds_input
    )
