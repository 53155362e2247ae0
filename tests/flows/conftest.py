"""A real Prefect server for the flow tests, and the product's database wired to the test's."""

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import Engine

from lifecycle import db
from lifecycle import settings as settings_module
from tests.e2e.support import PrefectServer


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """One Prefect server for every flow test (it takes seconds to start)."""
    server = PrefectServer(tmp_path_factory.mktemp("prefect") / "home")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def prefect(prefect_server: PrefectServer) -> Iterator[str]:
    """This process talks to the test's Prefect server."""
    with temporary_settings(updates={PREFECT_API_URL: prefect_server.url}):
        yield prefect_server.url


@pytest.fixture
def product_database(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """Flows open their own sessions from settings: point them at the test database."""
    monkeypatch.setenv("PROCURE_DATA_DIR", str(tmp_path / "data"))
    settings_module.get_settings.cache_clear()
    db.get_engine.cache_clear()
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    yield engine
    settings_module.get_settings.cache_clear()


@pytest.fixture
def run() -> Callable[[Any], Any]:
    """Run a coroutine (a flow call) to completion."""
    return lambda coroutine: asyncio.run(coroutine)
