"""Fixtures for the notification tests: a SQLite database and a way to queue mail in it."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel

from lifecycle.db import make_engine, transaction
from lifecycle.models import Mail


@pytest.fixture
def now() -> datetime:
    """The fixed "now" the tests deliver at; queued mail is due from it."""
    return datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database with the schema created."""
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def enqueue(engine: Engine, now: datetime) -> Callable[..., int]:
    """Queue one mail straight into the outbox; returns its id."""
    counter = iter(range(1, 1_000_000))

    def add(**fields: Any) -> int:
        """Insert a pending Mail due at `now` unless `fields` say otherwise."""
        number = next(counter)
        values: dict[str, Any] = {
            "key": f"test:{number}",
            "notification": "case_flagged",
            "recipients": ["officer@council.example"],
            "subject": f"PR-2026-{number:04d}: case flagged for attention",
            "text_body": f"Plain text body {number}\n",
            "html_body": f"<p>HTML body {number}</p>\n",
            "next_attempt_at": now,
            "created_at": now,
            **fields,
        }
        with transaction(engine) as session:
            mail = Mail(**values)
            session.add(mail)
            session.flush()
            assert mail.id is not None
            return mail.id

    return add


@pytest.fixture
def fetch(engine: Engine) -> Callable[[int], Mail]:
    """Read an outbox row as it stands now."""

    def get(mail_id: int) -> Mail:
        """The row with id `mail_id`."""
        with transaction(engine) as session:
            return session.get_one(Mail, mail_id)

    return get
