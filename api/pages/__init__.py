"""Web pages for people, served by the same app as the API and calling the same services."""

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from api.pages import (
    assets,
    assurance,
    auth,
    case,
    cases_list,
    delegations,
    errors,
    handover,
    home,
    lessons,
    new_request,
    register,
    users,
)
from lifecycle.services import accounts


def install(app: FastAPI) -> None:
    """Mount the pages, their assets and their error pages on the app."""
    assets.mount(app)
    errors.install(app)
    # Hashed now, not at the first sign-in with an unknown address, which would then be
    # answered more slowly than a wrong password and tell the two apart.
    accounts.decoy_hash()
    entry = APIRouter(include_in_schema=False)

    @entry.get("/")
    @entry.get("/app")
    def front_door() -> RedirectResponse:
        """People who type the bare address land on the pages."""
        return RedirectResponse("/app/", status_code=303)

    app.include_router(entry)
    for module in (auth, home, cases_list, new_request, register, lessons, case, assurance, users):
        app.include_router(module.router)
    app.include_router(delegations.router)
    app.include_router(handover.router)
