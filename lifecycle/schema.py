"""The database schema, kept by Alembic migrations (`lifecycle/migrations/versions/`): every
process brings the database to the newest revision when it starts, one at a time."""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# The revision that is the schema as it stood before migrations: a database made then (by
# creating every table at start) is brought to it by creating only what it lacks.
BASELINE = "0001"
# Any constant will do: it names the lock that makes concurrent starts migrate one at a time.
_ADVISORY_LOCK = 7_148_330


def config(connection: Connection) -> Config:
    """Alembic's configuration, bound to a connection already in a transaction."""
    alembic = Config()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    alembic.attributes["connection"] = connection
    return alembic


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for an empty (or pre-migration) one."""
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`, in one transaction. On SQLite that transaction takes
    the write lock as it begins (BEGIN IMMEDIATE); on PostgreSQL an advisory lock is taken, so
    a second process starting at the same moment waits, then finds nothing to do."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
        # A database made before migrations (no alembic_version) is upgraded like an empty one:
        # the first revision creates only the tables it lacks.
        command.upgrade(config(connection), revision)


def new_revision(message: str) -> Path:
    """Write the next revision: what the models declare beyond the newest one, found by
    comparing them with a scratch database migrated to it. Read it before committing."""
    from lifecycle.db import make_engine  # lifecycle.db migrates with this module at start

    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/schema.db")
        migrate(engine)
        with engine.begin() as connection:
            alembic = config(connection)
            head = ScriptDirectory.from_config(alembic).get_current_head()
            number = f"{int(head or 0) + 1:04d}"
            script = command.revision(alembic, message=message, autogenerate=True, rev_id=number)
        engine.dispose()
    assert script is not None and not isinstance(script, list)
    path = Path(script.path)
    # Alembic's "please adjust" banners say nothing once the revision has been read.
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if "# ### " not in line))
    return path


if __name__ == "__main__":
    print(new_revision(" ".join(sys.argv[1:]) or "schema change"))
