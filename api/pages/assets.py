"""Where the pages' static files come from: GOV.UK Frontend as `scripts/bootstrap` installed it
from package-lock.json, and our own few files. Nothing is fetched from a CDN."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

ROOT = Path(__file__).resolve().parents[2]
GOVUK_FRONTEND = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
OWN = Path(__file__).resolve().parents[1] / "static"


def mount(app: FastAPI) -> None:
    """Serve the assets; refuse to start without them rather than serve unstyled pages."""
    if not (GOVUK_FRONTEND / "govuk-frontend.min.css").is_file():
        raise RuntimeError(
            f"GOV.UK Frontend is not installed at {GOVUK_FRONTEND}: run scripts/bootstrap"
        )
    # The stylesheet asks for its fonts and images under /assets (its default asset path).
    app.mount("/assets", StaticFiles(directory=GOVUK_FRONTEND / "assets"), name="govuk-assets")
    app.mount("/static/govuk", StaticFiles(directory=GOVUK_FRONTEND), name="govuk-frontend")
    app.mount("/static/app", StaticFiles(directory=OWN), name="app-static")
