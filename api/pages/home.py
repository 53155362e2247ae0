"""The home page: what waits on the signed-in person."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.pages.web import SignedInPage
from lifecycle.services import worklist

router = APIRouter(prefix="/app", include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(page: SignedInPage) -> Response:
    """Every gate and task waiting on the signed-in person, oldest first."""
    waiting = worklist.for_person(page.db, me=page.me, settings=page.settings)
    return page.render(
        "pages/home.html",
        title="Waiting on me",
        section="home",
        waiting=waiting,
    )
