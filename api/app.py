"""The FastAPI application."""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from api import errors, pages
from api.limits import BodyLimit
from api.routers import (
    cases,
    changes,
    contract,
    delegations,
    documents,
    gates,
    kpis,
    notices,
    ocds,
    procurement,
    quarters,
    records,
    register,
    training,
)
from lifecycle.settings import get_settings


def serve_docs_locally(app: FastAPI) -> None:
    """Interactive docs from the installed Swagger UI rather than a CDN: council networks
    often cannot reach one."""
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI for this API."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API docs",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def create_app() -> FastAPI:
    """Build the app; it answers from the database alone, never waiting on Prefect or SMTP."""
    app = FastAPI(
        title="procure",
        description="A UK council's procurement-to-contract lifecycle: purchase request, early "
        "legal consultation, procurement, signing, register entry, monitoring and exit.",
        version="0.1.0",
        docs_url=None,
    )
    errors.install(app)
    serve_docs_locally(app)
    for module in (
        cases,
        changes,
        gates,
        procurement,
        documents,
        contract,
        kpis,
        notices,
        ocds,
        quarters,
        register,
        records,
        training,
        delegations,
    ):
        app.include_router(module.router)
    pages.install(app)
    # Outermost of our middleware: bodies are bounded before any route or dependency reads them.
    app.add_middleware(BodyLimit, upload_limit=lambda: get_settings().max_upload_bytes)

    @app.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app


app = create_app()
