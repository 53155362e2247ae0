"""Open contracting data (OCDS 1.1): the published releases and records. Public, no sign-in;
only contracts on the published register show."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import SessionDep, SettingsDep
from api.refusals import answers
from lifecycle.schemas import EARLIEST_DATE, LATEST_DATE
from lifecycle.services import ocds

router = APIRouter(tags=["open contracting"])

# Past any number of releases a council will hold, and inside what every database takes.
MAX_OFFSET = 10_000_000
OCID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


@router.get("/ocds/releases", response_model=dict[str, Any], responses=answers(404, 422))
def releases(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[
        date | None,
        Query(description="Releases dated on or after (UK day)", ge=EARLIEST_DATE, le=LATEST_DATE),
    ] = None,
    until: Annotated[
        date | None,
        Query(description="Releases dated on or before (UK day)", ge=EARLIEST_DATE, le=LATEST_DATE),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """A release package of the published releases, oldest first, `limit` at a time; the
    X-Total-Count header says how many match in all. 404 when none does (a package holds at
    least one release)."""
    package, total = ocds.releases_package(
        session,
        settings=settings,
        uri=f"{settings.base_url}{request.url.path}?{request.url.query}".rstrip("?"),
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return package


@router.get("/ocds/records/{ocid}", response_model=dict[str, Any], responses=answers(404, 422))
def record(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ocid: Annotated[str, Path(max_length=100, pattern=OCID)],
) -> dict[str, Any]:
    """The record package of one published contracting process: its releases and the
    compiled release."""
    return ocds.record_for(
        session, settings=settings, ocid=ocid, uri=f"{settings.base_url}{request.url.path}"
    )
