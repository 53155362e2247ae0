"""The app's routes as paths, through included routers at any depth (FastAPI keeps an included
router whole rather than copying its routes up)."""

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Route


def paths(routes: Iterable[Any], method: str, prefix: str = "") -> Iterator[str]:
    """Every path of the app that answers `method`."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from paths(included.routes, method, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute | Route) and method in (route.methods or ()):
            yield prefix + route.path
