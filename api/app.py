"""The FastAPI application."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from api import errors
from api.routers import cases, contract, documents, gates, procurement, records, register
from lifecycle.settings import get_settings

# Room for the multipart envelope around a document of the largest accepted size.
FORM_OVERHEAD_BYTES = 64 * 1024


async def refuse_oversized_bodies(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Refuse a body declared larger than any upload may be before it is read, rather than
    after the server has spooled it to disk."""
    declared = request.headers.get("content-length", "")
    limit = get_settings().max_upload_bytes + FORM_OVERHEAD_BYTES
    if declared.isdigit() and int(declared) > limit:
        return JSONResponse(
            {"detail": f"the request is over {limit} bytes", "field": "file"}, status_code=413
        )
    return await call_next(request)


def create_app() -> FastAPI:
    """Build the app; it answers from the database alone, never waiting on Prefect or SMTP."""
    app = FastAPI(
        title="procure",
        description="A UK council's procurement-to-contract lifecycle: purchase request, early "
        "legal consultation, procurement, signing, register entry, monitoring and exit.",
        version="0.1.0",
    )
    errors.install(app)
    app.middleware("http")(refuse_oversized_bodies)
    for module in (cases, gates, procurement, documents, contract, register, records):
        app.include_router(module.router)

    @app.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app


app = create_app()
