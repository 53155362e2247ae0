"""Shared fixtures: a database (SQLite, and PostgreSQL on the local server), settings, users,
an API client, and a stand-in for the stage runner that performs flow requests in-process."""

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select

from api.app import create_app
from api.cli import main
from api.deps import get_session, sessions_on
from lifecycle import db
from lifecycle.db import make_engine, transaction
from lifecycle.models import FlowRequest, User, utcnow
from lifecycle.rules import Stage
from lifecycle.services import cases, stagework, users
from lifecycle.settings import Settings, get_settings
from tests.e2e.support import fresh_postgres_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server for this test session."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """One engine and schema for the session; tables are emptied between tests."""
    engine = make_engine(postgres_url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database with the schema, on each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'procure.db'}")
        SQLModel.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("postgres_engine")
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the data folder in the test's temporary directory."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def make_user(engine: Engine) -> Callable[..., tuple[User, str]]:
    """Create a user with roles; returns it with its API token."""
    counter = iter(range(1, 10_000))

    def create(*roles: str, name: str | None = None) -> tuple[User, str]:
        number = next(counter)
        with transaction(engine) as session:
            return users.create(
                session,
                name=name or f"{roles[0].title()} Officer {number}",
                email=f"{roles[0]}{number}@council.example",
                roles=roles,
            )

    return create


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The API over the test database."""
    app = create_app()

    app.dependency_overrides[get_session] = partial(sessions_on, engine)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as test_client:
        yield test_client


def perform_flow_requests(
    engine: Engine, settings: Settings, now: datetime | None = None
) -> list[str]:
    """Do what the runner would: perform due flow requests through the same plan and steps
    the stage flows use, until none are due. Returns the keys performed."""
    performed: list[str] = []
    while True:
        with Session(engine) as session:
            request = session.exec(
                select(FlowRequest)
                .where(FlowRequest.status == "pending", FlowRequest.not_before <= (now or utcnow()))
                .order_by(col(FlowRequest.id))
            ).first()
        if request is None:
            return performed
        stage = Stage(request.flow_name.replace("-", "_"))
        case_id = request.parameters["case_id"]
        with transaction(engine) as session:
            plan = stagework.plan_for(
                session, case=cases.get(session, case_id=case_id), stage=stage
            )
        for step in plan.steps:
            with transaction(engine) as session:
                stagework.perform(
                    session,
                    case=cases.get(session, case_id=case_id),
                    stage=stage,
                    step=step,
                    gate=plan.gate,
                    settings=settings,
                )
        with transaction(engine) as session:
            row = session.get(FlowRequest, request.id)
            assert row is not None
            row.status = "completed"
            session.add(row)
        performed.append(request.key)


@pytest.fixture
def run_flows(engine: Engine, settings: Settings) -> Callable[..., list[str]]:
    """Perform due flow requests in-process (no Prefect), as of `now` if given."""
    return lambda now=None: perform_flow_requests(engine, settings, now)


def auth(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def purchase_request(**overrides: Any) -> dict[str, Any]:
    """A valid above-threshold purchase request body."""
    return {
        "title": "Highways maintenance framework",
        "description": "Reactive and planned highways maintenance for four years.",
        "category": "services",
        "department": "Environment and Highways",
        "estimated_value_pence": 450_000_00,
        "irrecoverable_vat_pence": 0,
        "needed_by": (date.today() + timedelta(days=120)).isoformat(),
        "contract_required": True,
        **overrides,
    }


@pytest.fixture
def helpers() -> Any:
    """Small helpers for building requests."""

    class Helpers:
        auth = staticmethod(auth)
        purchase_request = staticmethod(purchase_request)

    return Helpers


@pytest.fixture
def cli(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run `procure ...` in-process against the test database."""
    monkeypatch.setattr(db, "get_engine", lambda: engine)

    def run(*args: str) -> tuple[int, str, str]:
        """The exit code, standard output and standard error of `procure *args`."""
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
