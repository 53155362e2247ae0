"""Reading what people type into forms, and saying in plain words what is wrong with it.

An error names the field it belongs to (so the page shows it beside that field) and never
repeats what was typed."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from lifecycle.errors import DomainError

_POUNDS = re.compile(r"^\d{1,12}(\.\d{1,2})?$", re.ASCII)
MAX_FIELD_CHARS = 10_000


@dataclass
class FormErrors:
    """Errors by field name, in the order they should be listed in the error summary."""

    by_field: dict[str, str] = field(default_factory=dict)
    status_code: int = 422

    def add(self, name: str, message: str) -> None:
        """Keep the first error for a field."""
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        """True when there is anything to show."""
        return bool(self.by_field)

    def summary(self) -> list[dict[str, str]]:
        """The error summary's list: each message links to its field (an error about the whole
        form has no field to link to)."""
        return [
            {"text": message, "href": f"#{name}"} if name != "form" else {"text": message}
            for name, message in self.by_field.items()
        ]

    @classmethod
    def from_exception(cls, exc: Exception, labels: dict[str, str]) -> "FormErrors":
        """A service refusal or a failed validation, in the form's words."""
        errors = cls()
        if isinstance(exc, DomainError):
            errors.status_code = exc.status_code
            name = exc.field if exc.field in labels else "form"
            errors.add(name, plain(exc.message, labels))
            return errors
        assert isinstance(exc, ValidationError)
        for error in exc.errors(include_input=False, include_url=False):
            name = str(error["loc"][0]) if error["loc"] else "form"
            errors.add(name if name in labels else "form", _pydantic_message(error, name, labels))
        return errors


def plain(message: str, labels: dict[str, str]) -> str:
    """A service's message with field names replaced by what the form calls them."""
    for name, label in sorted(labels.items(), key=lambda item: -len(item[0])):
        message = message.replace(name, label.lower())
    return message[:1].upper() + message[1:]


def _pydantic_message(error: Any, name: str, labels: dict[str, str]) -> str:
    """One validation error in plain words."""
    label = labels.get(name, name.replace("_", " "))
    context = error.get("ctx") or {}
    kind = error["type"]
    if kind in ("missing", "string_too_short"):
        return f"Enter {label.lower()}"
    if kind == "string_too_long":
        return f"{label} must be {context.get('max_length')} characters or fewer"
    if kind.startswith("date"):
        return f"{label} must be a real date"
    if kind in ("greater_than", "greater_than_equal"):
        bound = context.get("ge", context.get("gt"))
        if isinstance(bound, date):
            return f"{label} must be on or after {bound.day} {bound:%B %Y}"
        return f"{label} must be more than {bound}"
    if kind in ("less_than", "less_than_equal"):
        bound = context.get("le", context.get("lt"))
        if isinstance(bound, date):
            return f"{label} must be on or before {bound.day} {bound:%B %Y}"
        return f"{label} is too large"
    if kind in ("enum", "literal_error"):
        return f"Select {label.lower()}"
    if kind == "string_pattern_mismatch":
        return f"{label} must be plain text, without control characters or line breaks"
    if kind == "too_long":
        return f"{label} has too many entries"
    if kind == "value_error":
        return plain(str(context.get("error", error["msg"])), labels)
    if kind.startswith(("int", "bool")):
        return f"{label} must be a whole number"
    return f"{label} is not valid"


def whole_number(raw: str, *, max_digits: int) -> int | None:
    """A positive whole number typed in ASCII digits ('²' and 10**5000 are not), else None."""
    if raw.isascii() and raw.isdecimal() and len(raw) <= max_digits and int(raw) > 0:
        return int(raw)
    return None


def text(data: FormData, name: str) -> str:
    """A text field, trimmed and bounded (an over-long one fails the model's own limit)."""
    value = data.get(name)
    return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""


def checked(data: FormData, name: str) -> bool:
    """A checkbox or a yes/no radio."""
    return text(data, name) in ("yes", "on", "true")


def upload(data: FormData, name: str) -> UploadFile | None:
    """A file input, when a file was chosen."""
    value = data.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def pence(data: FormData, name: str, label: str, errors: FormErrors) -> int | None:
    """An amount typed in pounds ('12,500' or '£12,500.50'), as integer pence."""
    raw = text(data, name).replace(",", "").replace("£", "").strip()
    if not raw:
        errors.add(name, f"Enter {label.lower()}")
        return None
    if not _POUNDS.match(raw):
        errors.add(name, f"{label} must be an amount in pounds, like 12500 or 12,500.00")
        return None
    pounds, _, pennies = raw.partition(".")
    return int(pounds) * 100 + int((pennies + "00")[:2])


def day(data: FormData, name: str, label: str, errors: FormErrors) -> date | None:
    """A GOV.UK date input (three boxes: name-day, name-month, name-year) as a date."""
    parts = [text(data, f"{name}-{part}") for part in ("day", "month", "year")]
    if not any(parts):
        errors.add(name, f"Enter {label.lower()}")
        return None
    numbers = [whole_number(part, max_digits=4) for part in parts]
    if None in numbers or len(parts[2]) != 4:
        errors.add(name, f"{label} must be a real date, like 27 3 2027")
        return None
    day_of_month, month, year = (int(number or 0) for number in numbers)
    try:
        return date(year, month, day_of_month)
    except ValueError:
        errors.add(name, f"{label} must be a real date, like 27 3 2027")
        return None


def date_parts(value: date | None) -> dict[str, str]:
    """A date split for the three boxes of a date input."""
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
