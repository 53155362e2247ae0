"""Which requests are for the pages, as against the API."""

from starlette.requests import Request


def is_page(request: Request) -> bool:
    """Requests for the pages (under /app), as against the API."""
    return request.url.path == "/app" or request.url.path.startswith("/app/")
