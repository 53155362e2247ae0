"""Alembic keeps the schema: the migrations build exactly what the models declare, on SQLite and
PostgreSQL; an upgrade from the first revision keeps every row; a database made before
migrations (every table created at start) is taken as the first revision and upgraded; and
processes starting together migrate once."""

import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from lifecycle.db import make_engine
from lifecycle.schema import BASELINE, MIGRATIONS, current_revision, migrate
from lifecycle.services import audit_chain
from tests.e2e.support import fresh_postgres_database

HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An engine on a database with no tables at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'procure.db'}")
        yield engine
        engine.dispose()
        return
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would still change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def value_for(column: sa.Column[Any], ids: dict[str, int]) -> Any:
    """A plausible value of the column's type; a foreign key points at the seeded row."""
    for key in column.foreign_keys:
        return ids[key.column.table.name]
    kind = column.type
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date(2026, 11, 30)
    if isinstance(kind, sa.Integer):
        return 7
    return f"{column.table.name}.{column.name}"


def seed_every_table(engine: Engine) -> dict[str, dict[str, Any]]:
    """One row in every table, as the schema stands (reflected, not from today's models),
    returned by table."""
    reflected = sa.MetaData()
    reflected.reflect(engine)
    rows: dict[str, dict[str, Any]] = {}
    ids: dict[str, int] = {}
    with engine.begin() as connection:
        for table in reflected.sorted_tables:
            if table.name == "alembic_version":
                continue
            row = {column.name: value_for(column, ids) for column in table.columns}
            for column in table.primary_key.columns:
                if isinstance(column.type, sa.Integer) and not column.foreign_keys:
                    row[column.name] = 1
            connection.execute(table.insert().values(**row))
            ids[table.name] = 1
            rows[table.name] = row
    return rows


def same(stored: Any, seeded: Any) -> bool:
    """Equal, reading a timestamp SQLite gives back without its zone as UTC."""
    if isinstance(stored, datetime) and stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    return bool(stored == seeded)


def assert_rows_kept(engine: Engine, rows: dict[str, dict[str, Any]]) -> None:
    """Every seeded row is still there with every value it had."""
    reflected = sa.MetaData()
    reflected.reflect(engine)
    with engine.connect() as connection:
        for name, row in rows.items():
            stored = connection.execute(sa.select(reflected.tables[name])).mappings().all()
            assert len(stored) == 1, name
            for column, value in row.items():
                assert same(stored[0][column], value), (name, column)


def test_the_migrations_build_exactly_what_the_models_declare(empty: Engine) -> None:
    migrate(empty)
    with empty.connect() as connection:
        assert current_revision(connection) == HEAD
    assert differences(empty) == []


def test_an_upgrade_from_the_first_revision_keeps_every_row(empty: Engine) -> None:
    migrate(empty, BASELINE)
    rows = seed_every_table(empty)
    assert len(rows) >= 19
    migrate(empty)
    assert_rows_kept(empty, rows)
    assert differences(empty) == []
    # The history written before the audit chain existed is sealed as it stood.
    with Session(empty) as session:
        report = audit_chain.verify(session)
    assert report.intact and report.events == 1


def test_a_database_made_before_migrations_is_taken_as_the_first_revision(
    empty: Engine,
) -> None:
    # The schema as the product made it before migrations: the first revision's tables.
    migrate(empty, BASELINE)
    with empty.begin() as connection:
        connection.execute(sa.text("DROP TABLE alembic_version"))
    rows = seed_every_table(empty)
    migrate(empty)
    with empty.connect() as connection:
        assert current_revision(connection) == HEAD
    assert_rows_kept(empty, rows)


def test_a_database_from_an_older_release_gains_the_tables_it_lacks(empty: Engine) -> None:
    # Made before the pages existed: no sign-in or snapshot tables.
    migrate(empty, BASELINE)
    with empty.begin() as connection:
        for table in ("alembic_version", "websession", "password", "assurancesnapshot"):
            connection.execute(sa.text(f'DROP TABLE "{table}"'))
    rows = seed_every_table(empty)
    migrate(empty)
    assert differences(empty) == []
    assert_rows_kept(empty, rows)


def test_processes_starting_together_migrate_once(empty: Engine) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        """What every process does as it starts."""
        try:
            migrate(empty)
        except BaseException as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert differences(empty) == []
