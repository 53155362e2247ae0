"""The public contract register: search, filter, sort and page through published contracts.

The filter is a GET form, so a search can be bookmarked and shared. A value that cannot be
used is shown beside its field with what was typed kept, and the rest of the filter applies."""

from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from api.pages import forms
from api.pages.forms import FormErrors
from api.pages.paging import pagination
from api.pages.web import AnyPage
from lifecycle.schemas import RegisterFilter
from lifecycle.services import register

router = APIRouter(prefix="/app", include_in_schema=False)

PAGE_SIZE = 25
# What each filter is called on the page, by the name the filter model gives it.
LABELS = {
    "q": "Search",
    "department": "Department",
    "supplier": "Supplier",
    "start_from": "Start date from",
    "start_to": "Start date to",
    "end_from": "End date from",
    "end_to": "End date to",
    "min_value_pence": "Minimum value",
    "max_value_pence": "Maximum value",
    "sort": "Sort by",
    "order": "Order",
}
TEXT_FIELDS = ("q", "department", "supplier", "sort", "order")
DATE_FIELDS = ("start_from", "start_to", "end_from", "end_to")
# Money is typed in pounds into boxes named without the "_pence".
MONEY_FIELDS = {"min_value_pence": "min_value", "max_value_pence": "max_value"}
COLUMNS = (
    ("reference", "Reference"),
    ("title", "Title"),
    ("supplier", "Supplier"),
    ("value", "Value"),
    ("start_date", "Starts"),
    ("end_date", "Ends"),
)
# The fields as the form lays them out (the error summary lists them in this order).
FIELD_ORDER = ("q", "department", "supplier", *MONEY_FIELDS.values(), *DATE_FIELDS, "sort", "order")
DATE_BOXES = [f"{name}-{part}" for name in DATE_FIELDS for part in ("day", "month", "year")]
# Filters folded away until used or wrong: by field, and by the query parameters typed.
FOLDED_FIELDS = frozenset(["supplier", *MONEY_FIELDS.values(), *DATE_FIELDS])
FOLDED_PARAMETERS = frozenset(["supplier", *MONEY_FIELDS.values(), *DATE_BOXES])
# The query parameters a link on this page carries forward: the filter as it was typed.
CARRIED = frozenset([*TEXT_FIELDS, *MONEY_FIELDS.values(), *DATE_BOXES, "page"])


def _field_id(name: str) -> str:
    """The form field a filter model name is typed into."""
    return MONEY_FIELDS.get(name, name)


def _typed_values(typed: FormData, errors: FormErrors) -> dict[str, Any]:
    """Each filter as typed, turned into what the model takes; blanks are left out."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if forms.text(typed, name):
            values[name] = forms.text(typed, name)
    for name in DATE_FIELDS:
        if any(forms.text(typed, f"{name}-{part}") for part in ("day", "month", "year")):
            values[name] = forms.day(typed, name, LABELS[name], errors)
    for name, box in MONEY_FIELDS.items():
        if forms.text(typed, box):
            values[name] = forms.pence(typed, box, LABELS[name], errors)
    return {name: value for name, value in values.items() if value is not None}


def read_filter(typed: FormData, errors: FormErrors) -> RegisterFilter:
    """The filter as typed, less any value that cannot be used (each noted in `errors`, in
    the order the fields come on the page)."""
    values = _typed_values(typed, errors)
    filters = _usable(values, errors)
    errors.by_field = {
        name: errors.by_field[name] for name in FIELD_ORDER if name in errors.by_field
    }
    return filters


def _usable(values: dict[str, Any], errors: FormErrors) -> RegisterFilter:
    """The filter of `values`, leaving out each one the model refuses (noted in `errors`)."""
    while True:
        try:
            return RegisterFilter(**values)
        except ValidationError as exc:
            refused = [str(error["loc"][0]) for error in exc.errors() if error["loc"]]
            found = FormErrors.from_exception(exc, LABELS)
            for name, message in found.by_field.items():
                errors.add(_field_id(name), message)
            if not any(name in values for name in refused):
                return RegisterFilter()
            for name in refused:
                values.pop(name, None)


def page_number(typed: FormData) -> int:
    """The page asked for; anything that is not a page number is the first page."""
    return forms.whole_number(forms.text(typed, "page"), max_digits=6) or 1


def _link(typed: FormData, **changes: str) -> str:
    """This page with the filter as typed, and `changes` to it ('' removes a parameter)."""
    params = [
        (name, value)
        for name, value in typed.multi_items()
        if name in CARRIED and name not in changes and isinstance(value, str) and value
    ]
    params += [(name, value) for name, value in changes.items() if value]
    return "/app/register" + (f"?{urlencode(params)}" if params else "")


def _headings(typed: FormData, filters: RegisterFilter) -> list[dict[str, str]]:
    """The sortable column headings: a link that sorts by the column (or reverses it)."""
    headings = []
    for key, label in COLUMNS:
        current = filters.sort == key
        order = "desc" if current and filters.order == "asc" else "asc"
        headings.append(
            {
                "label": label,
                "href": _link(typed, sort=key, order=order, page=""),
                "aria_sort": (
                    ("ascending" if filters.order == "asc" else "descending") if current else "none"
                ),
                "numeric": "yes" if key == "value" else "",
            }
        )
    return headings


@router.get("/register", response_class=HTMLResponse)
def register_page(page: AnyPage) -> Response:
    """The published contracts matching the filter, a page at a time, for anyone."""
    pairs: list[tuple[str, str | UploadFile]] = list(page.request.query_params.multi_items())
    typed = FormData(pairs)
    errors = FormErrors()
    filters = read_filter(typed, errors)
    number = page_number(typed)
    rows, total = register.search(
        page.db, filters=filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    last = max(1, ceil(total / PAGE_SIZE))
    if number > last:
        number = last
        rows, total = register.search(
            page.db, filters=filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
    wanted = filters.model_dump(mode="json", exclude_defaults=True)
    return page.render(
        "pages/register.html",
        title="Contract register",
        section="register",
        errors=errors or None,
        typed={name: forms.text(typed, name) for name in CARRIED},
        departments=register.departments(page.db),
        rows=rows,
        total=total,
        first_shown=(number - 1) * PAGE_SIZE + 1,
        last_shown=(number - 1) * PAGE_SIZE + len(rows),
        filtered=bool(wanted.keys() - {"sort", "order"}) or bool(errors),
        headings=_headings(typed, filters),
        pagination=pagination(number, last, lambda each: _link(typed, page=str(each))),
        csv_url="/register.csv" + (f"?{urlencode(wanted)}" if wanted else ""),
        more_open=any(typed.get(name) for name in FOLDED_PARAMETERS)
        or bool(errors.by_field.keys() & FOLDED_FIELDS),
        sort=filters.sort,
        sort_label=dict(COLUMNS)[filters.sort],
        order=filters.order,
        columns=COLUMNS,
    )
