"""The contract register: the manager's entry, and the public register (JSON and CSV)."""

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from api.deps import CurrentUser, SessionDep, get_session
from api.refusals import CHANGE_TO_A_CASE, CHANGE_WITH_BODY, answers
from api.views import RegisterEntryView, register_view
from lifecycle.schemas import (
    MAX_PENCE,
    ONE_LINE,
    RegisterDetailsIn,
    RegisterFilter,
    RegisterSort,
    SortOrder,
)
from lifecycle.services import cases, register

router = APIRouter(tags=["register"])

# The session stays open until the whole CSV has been sent ("request" scope), not just until
# the route returns: the rows are read while the response streams.
StreamingSessionDep = Annotated[Session, Depends(get_session, scope="request")]
# Rows per batch of a streamed register: large enough that the queries cost little beside the
# rows, small enough that memory stays flat (a few MB) however long the register grows.
BATCH = 2_000
CSV_BATCH = BATCH


public = APIRouter(tags=["register"])

Money = Annotated[int | None, Query(ge=0, le=MAX_PENCE, description="Whole-life value in pence")]


def _text(description: str) -> Any:
    """A bounded free-text query parameter."""
    return Query(max_length=200, pattern=ONE_LINE, description=description)


def register_filter(
    q: Annotated[
        str | None,
        _text("Words in the reference (or source reference), title, description or supplier"),
    ] = None,
    department: Annotated[str | None, _text("The department, exactly")] = None,
    supplier: Annotated[str | None, _text("Part of the supplier's name")] = None,
    start_from: Annotated[date | None, Query(description="Starts on or after")] = None,
    start_to: Annotated[date | None, Query(description="Starts on or before")] = None,
    end_from: Annotated[date | None, Query(description="Ends on or after")] = None,
    end_to: Annotated[date | None, Query(description="Ends on or before")] = None,
    min_value_pence: Money = None,
    max_value_pence: Money = None,
    sort: RegisterSort = "reference",
    order: SortOrder = "asc",
) -> RegisterFilter:
    """The register's optional filters from the query string."""
    try:
        return RegisterFilter(
            q=q,
            department=department,
            supplier=supplier,
            start_from=start_from,
            start_to=start_to,
            end_from=end_from,
            end_to=end_to,
            min_value_pence=min_value_pence,
            max_value_pence=max_value_pence,
            sort=sort,
            order=order,
        )
    except ValidationError as exc:
        # A rule across fields (a range the wrong way round): refused like any bad query.
        raise RequestValidationError(exc.errors(include_input=False)) from None


FilterDep = Annotated[RegisterFilter, Depends(register_filter)]
# Past any register a council will hold, and inside what every database takes as an OFFSET.
MAX_OFFSET = 10_000_000


@router.patch(
    "/cases/{case_id}/register-entry",
    response_model=RegisterEntryView,
    responses=answers(*CHANGE_WITH_BODY),
)
def update_entry(
    case_id: int, body: RegisterDetailsIn, session: SessionDep, user: CurrentUser
) -> RegisterEntryView:
    """The contract manager supplies missing register fields."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return register_view(register.update_details(session, case=case, user=user, details=body))


@router.post(
    "/cases/{case_id}/register-entry/submit",
    response_model=RegisterEntryView,
    responses=answers(*CHANGE_TO_A_CASE),
)
def submit_entry(case_id: int, session: SessionDep, user: CurrentUser) -> RegisterEntryView:
    """Send the entry to procurement for verification."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return register_view(register.submit(session, case=case, user=user))


@public.get("/register", response_model=list[RegisterEntryView], responses=answers(422))
def public_register(
    session: StreamingSessionDep,
    filters: FilterDep,
    response: Response,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """The published contract register (no sign-in: it is public), optionally filtered and
    sorted, and paged with `limit` (without it, every entry, as before paging existed,
    streamed in batches so memory stays flat); the X-Total-Count header says how many match
    in all."""
    if limit is None:
        total = register.count(session, filters=filters)
        return StreamingResponse(
            _json_batches(session, filters, offset),
            media_type="application/json",
            headers={"X-Total-Count": str(total)},
        )
    rows, total = register.search(session, filters=filters, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return [register_view(entry) for entry in rows]


_ENTRIES = TypeAdapter(list[RegisterEntryView])


def _json_batches(session: Session, filters: RegisterFilter, offset: int) -> Iterator[bytes]:
    """The register as one JSON array, written a batch at a time (each batch read in a
    transaction of its own, as the CSV is)."""
    yield b"["
    separator = b""
    for batch in register.batches(
        session, filters=filters, names=RegisterEntryView.model_fields, size=BATCH, offset=offset
    ):
        text = _ENTRIES.dump_json(_ENTRIES.validate_python(batch, from_attributes=True))
        session.commit()
        yield separator + text[1:-1]
        separator = b","
    yield b"]"


@public.get(
    "/register.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The Transparency Code CSV, a header row then one row per contract",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **answers(422),
    },
)
def public_register_csv(session: StreamingSessionDep, filters: FilterDep) -> StreamingResponse:
    """The published register as the Transparency Code CSV, optionally filtered and sorted,
    streamed in batches so memory stays flat however long the register grows."""

    def lines() -> Iterator[str]:
        """The header, then each batch of rows as it is read."""
        yield register.csv_header()
        for batch in register.csv_batches(session, filters=filters, size=CSV_BATCH):
            text = register.csv_lines(batch)
            # On SQLite every transaction holds the write lock (BEGIN IMMEDIATE), and on
            # PostgreSQL it holds a pooled connection: each batch is read in a transaction of
            # its own, ended before the client is sent it, so a slow download holds neither.
            session.commit()
            yield text

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contract-register.csv"'},
    )


router.include_router(public)
