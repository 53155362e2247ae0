"""The FastAPI application."""

from fastapi import FastAPI

from api import errors
from api.routers import cases, contract, documents, gates, procurement, records, register


def create_app() -> FastAPI:
    """Build the app; it answers from the database alone, never waiting on Prefect or SMTP."""
    app = FastAPI(
        title="procure",
        description="A UK council's procurement-to-contract lifecycle: purchase request, early "
        "legal consultation, procurement, signing, register entry, monitoring and exit.",
        version="0.1.0",
    )
    errors.install(app)
    for module in (cases, gates, procurement, documents, contract, register, records):
        app.include_router(module.router)

    @app.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app


app = create_app()
