"""The cases a person may read, newest first, filtered by stage and status, a page at a time."""

from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.pages.formatting import words
from api.pages.paging import pagination
from api.pages.web import SignedInPage
from lifecycle.rules import Stage, Status
from lifecycle.services import cases

router = APIRouter(prefix="/app", include_in_schema=False)

PAGE_SIZE = 25
E = TypeVar("E", Stage, Status)


def _choice(kind: type[E], value: str | None) -> E | None:
    """A filter's value; 'any' (blank) or one the list does not know filters nothing."""
    return kind(value) if value in {member.value for member in kind} else None


def _options(members: list[E], chosen: E | None, anything: str) -> list[dict[str, object]]:
    """A filter's choices for a GOV.UK select, the chosen one selected."""
    return [{"value": "", "text": anything, "selected": chosen is None}] + [
        {"value": member.value, "text": words(member.value), "selected": member == chosen}
        for member in members
    ]


def _href(number: int, filters: dict[str, str]) -> str:
    """The address of one page of the list, keeping the filters."""
    return "/app/cases?" + urlencode({**filters, "page": number})


@router.get("/cases", response_class=HTMLResponse)
def cases_list(
    page: SignedInPage,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    """The cases this person may read, newest first."""
    chosen_stage, chosen_status = _choice(Stage, stage), _choice(Status, status)
    total = cases.count(page.db, stage=chosen_stage, status=chosen_status, visible_to=page.me)
    last = max(1, -(-total // PAGE_SIZE))
    current = min(page_number, last)
    rows = cases.list_(
        page.db,
        stage=chosen_stage,
        status=chosen_status,
        visible_to=page.me,
        limit=PAGE_SIZE,
        offset=(current - 1) * PAGE_SIZE,
    )
    filters = {
        name: value.value
        for name, value in (("stage", chosen_stage), ("status", chosen_status))
        if value is not None
    }
    return page.render(
        "pages/cases_list.html",
        title="Cases",
        section="cases",
        rows=rows,
        total=total,
        first_shown=(current - 1) * PAGE_SIZE + 1,
        last_shown=(current - 1) * PAGE_SIZE + len(rows),
        stage=chosen_stage,
        status=chosen_status,
        stage_options=_options(list(Stage), chosen_stage, "Any stage"),
        status_options=_options(list(Status), chosen_status, "Any status"),
        pagination=pagination(current, last, lambda number: _href(number, filters)),
    )
