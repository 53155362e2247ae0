"""Web pages for people, served by the same app as the API and calling the same services."""

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from api.pages import assets, auth, errors, home


def install(app: FastAPI) -> None:
    """Mount the pages, their assets and their error pages on the app."""
    assets.mount(app)
    errors.install(app)
    entry = APIRouter(include_in_schema=False)

    @entry.get("/")
    @entry.get("/app")
    def front_door() -> RedirectResponse:
        """People who type the bare address land on the pages."""
        return RedirectResponse("/app/", status_code=303)

    app.include_router(entry)
    for module in (auth, home):
        app.include_router(module.router)
