"""Engine and sessions. Services never commit; `transaction()` is the unit of work."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Engine, Integer, any_, bindparam, event
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, SQLModel, col, create_engine

from lifecycle import models  # noqa: F401  (registers the tables)
from lifecycle.models import MAX_ID
from lifecycle.schema import migrate
from lifecycle.settings import get_settings

Row = TypeVar("Row", bound=SQLModel)
# The execution option that marks a transaction as one that only reads.
READ_ONLY = "procure_read_only"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout, since several processes write."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite would only BEGIN at the first write, leaving earlier reads outside the
            # transaction; take the transaction over so it starts (and locks) at once.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            # One writer at a time, decided when the transaction starts: a check-then-act in
            # one process cannot interleave with another's (PostgreSQL uses row locks). A
            # read-only transaction takes no lock at all: WAL gives it a snapshot, and writers
            # go on beside it.
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine from settings, with the database migrated to the newest schema."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    migrate(engine)
    return engine


def reading(engine: Engine) -> Engine:
    """The engine for transactions that only read: no write lock on SQLite, and on PostgreSQL
    READ ONLY transactions, so a read that tried to write would fail loudly. There psycopg
    begins them as `BEGIN READ ONLY` (no `SET TRANSACTION` round trip of its own), and the
    connection is reset to read-write as it goes back to the pool."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{READ_ONLY: True}, postgresql_readonly=True)
    return engine.execution_options(**{READ_ONLY: True})


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_row(session: Session, model: type[Row], row_id: int) -> Row | None:
    """A row by primary key; None for an id no row can have (beyond 32 bits), which the
    database would otherwise answer with an error rather than 'not found'."""
    if not 1 <= row_id <= MAX_ID:
        return None
    return session.get(model, row_id)


def among(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """`column` is one of `ids`: on PostgreSQL one array parameter however many (an IN list of
    thousands took longer to build and bind than the lookups), elsewhere an IN list (callers
    keep it well inside SQLite's limit on bound parameters)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(Integer)))
    return col(column).in_(ids)
