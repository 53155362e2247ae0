"""The contract register's published quarters, for download: public, no sign-in."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import SessionDep
from api.refusals import answers
from api.views import RegisterQuarterView
from lifecycle.errors import NotFound
from lifecycle.quarters import QUARTER
from lifecycle.services import quarters

router = APIRouter(tags=["register"])

QuarterPath = Annotated[str, Path(max_length=7, pattern=QUARTER.pattern, examples=["2026-Q4"])]


@router.get("/register/quarters", response_model=list[RegisterQuarterView])
def list_quarters(session: SessionDep) -> list[RegisterQuarterView]:
    """The published quarters, latest first, each with what changed since the one before."""
    return [RegisterQuarterView.model_validate(row) for row in quarters.list_(session)]


@router.get(
    "/register/quarters/{quarter}",
    response_model=RegisterQuarterView,
    responses=answers(404, 422),
)
def quarter(quarter: QuarterPath, session: SessionDep) -> RegisterQuarterView:
    """One published quarter."""
    return RegisterQuarterView.model_validate(quarters.get(session, quarter=quarter))


@router.get(
    "/register/quarters/{quarter}/register.csv",
    response_class=Response,
    responses={
        200: {
            "description": "The Transparency Code CSV as published for the quarter",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **answers(404, 422),
    },
)
def quarter_csv(quarter: QuarterPath, session: SessionDep) -> Response:
    """The quarter's register CSV, byte for byte as published."""
    row = quarters.get(session, quarter=quarter)
    return Response(
        row.csv_text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contract-register-{quarter}.csv"'},
    )


@router.get(
    "/register/quarters/{quarter}/releases.json",
    response_class=Response,
    responses={
        200: {
            "description": "The OCDS release package as published for the quarter",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **answers(404, 422),
    },
)
def quarter_releases(quarter: QuarterPath, session: SessionDep) -> Response:
    """The quarter's OCDS release package, byte for byte as published."""
    row = quarters.get(session, quarter=quarter)
    if not row.package_json:
        raise NotFound("no OCDS release was dated by the end of that quarter")
    return Response(
        row.package_json.encode("utf-8"),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="releases-{quarter}.json"'},
    )
