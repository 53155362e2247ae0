"""Reads never block writes: an API read's transaction takes no write lock on SQLite (and is
READ ONLY on PostgreSQL), so a writer goes on while a slow read is open; one person's mail is
found through the recipients' index, not by reading every mail."""

import sqlite3
import threading
import time
from typing import Any

import anyio
import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, SQLModel, select
from starlette.requests import Request

from api.deps import sessions_on
from lifecycle.db import make_engine, reading, transaction
from lifecycle.models import Case, Mail, MailRecipient
from lifecycle.services import history


def request(method: str, path: str) -> Request:
    """A bare request, as FastAPI hands the session dependency."""
    return Request({"type": "http", "method": method, "path": path, "headers": []})


def test_a_slow_api_read_does_not_hold_up_a_writer(engine: Engine, make_user: Any) -> None:
    make_user("requester")

    async def read_while_another_writes() -> None:
        reads = sessions_on(engine, request("GET", "/cases"))
        session = await anext(reads)
        session.exec(select(Case)).all()  # the read is under way, its transaction open
        finished = threading.Event()

        def write() -> None:
            """Another request changing something meanwhile."""
            with transaction(engine) as writer:
                make_mail(writer, "during-the-read", ["legal@council.example"])
            finished.set()

        started = time.monotonic()
        thread = threading.Thread(target=write)
        thread.start()
        assert finished.wait(5), "the writer waited on the read"
        assert time.monotonic() - started < 2
        thread.join()
        with pytest.raises(StopAsyncIteration):
            await anext(reads)  # the read ends (and commits nothing)

    anyio.run(read_while_another_writes)


@pytest.mark.postgres
def test_an_api_read_cannot_write_on_postgres(postgres_engine: Engine) -> None:
    async def try_to_write() -> None:
        reads = sessions_on(postgres_engine, request("GET", "/cases"))
        session = await anext(reads)
        with pytest.raises(DBAPIError, match="read-only transaction"):
            session.execute(text('UPDATE "user" SET name = name'))
        await reads.aclose()

    anyio.run(try_to_write)


@pytest.mark.postgres
def test_a_read_leaves_its_pooled_connection_free_to_write_on_postgres(
    postgres_engine: Engine,
) -> None:
    """A read's connection goes back to the pool read-write: on one pooled connection, a read
    then a write both do as they should, and the read began READ ONLY in one statement."""
    one = make_engine(postgres_engine.url.render_as_string(hide_password=False))
    sent: list[str] = []
    event.listen(one, "before_cursor_execute", lambda *args: sent.append(args[2]))
    backend = text("SELECT pg_backend_pid(), current_setting('transaction_read_only')")
    try:
        with Session(reading(one)) as session:
            read_by, read_only = session.execute(backend).one()
            assert read_only == "on"
        with transaction(one) as session:
            written_by, read_only = session.execute(backend).one()
            assert (written_by, read_only) == (read_by, "off")  # the same connection
            session.execute(text('UPDATE "user" SET name = name'))
        assert not any("SET TRANSACTION" in statement for statement in sent)
    finally:
        one.dispose()


def test_a_page_read_and_an_api_write_take_the_write_lock(tmp_path: Any) -> None:
    path = tmp_path / "procure.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)

    async def lock_taken(method: str, where: str) -> None:
        sessions = sessions_on(engine, request(method, where))
        session = await anext(sessions)
        session.exec(select(Case)).all()
        probe = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
        await sessions.aclose()

    for method, where in (("GET", "/app/"), ("POST", "/cases")):
        anyio.run(lock_taken, method, where)
    engine.dispose()


def test_a_session_ends_when_its_request_fails_or_is_cancelled(engine: Engine) -> None:
    # An error in the route rolls back and closes; so does a cancelled request (its client
    # gone), shielded from the cancellation, so its connection goes back to the pool.
    async def fail(cancel: bool) -> Session:
        sessions = sessions_on(engine, request("POST", "/cases"))
        session = await anext(sessions)
        make_mail(session, f"never-kept-{cancel}", ["legal@council.example"])
        session.flush()
        if cancel:
            with anyio.CancelScope() as scope:
                scope.cancel()
                with pytest.raises(anyio.get_cancelled_exc_class()):
                    await sessions.athrow(anyio.get_cancelled_exc_class()())
        else:
            with pytest.raises(ValueError):
                await sessions.athrow(ValueError("the route failed"))
        return session

    for cancel in (False, True):
        session = anyio.run(fail, cancel)
        assert not session.in_transaction()
    with Session(engine) as session:
        assert session.exec(select(Mail)).all() == []
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.checkedout() == 0


def make_mail(session: Session, key: str, recipients: list[str]) -> None:
    """One queued mail."""
    session.add(
        Mail(
            key=key,
            notification="gate_opened",
            recipients=recipients,
            subject=key,
            text_body="Text\n",
            html_body="<p>HTML</p>\n",
        )
    )


def test_one_persons_mail_is_found_by_index(engine: Engine) -> None:
    with transaction(engine) as session:
        for number in range(30):
            make_mail(session, f"mail-{number}", [f"officer{number % 3}@council.example"])
        make_mail(session, "shared", ["officer1@council.example", "legal@council.example"])
    with Session(engine) as session:
        found = history.mail(session, recipient="officer1@council.example")
        assert [mail.key for mail in found][:2] == ["shared", "mail-28"]
        assert len(found) == 11
        assert [m.key for m in history.mail(session, recipient="legal@council.example")] == [
            "shared"
        ]
        assert session.exec(select(MailRecipient)).all()[0].address.endswith("@council.example")
        dialect = session.get_bind().dialect.name
        query = (
            "EXPLAIN QUERY PLAN SELECT mail_id FROM mailrecipient WHERE address = 'a'"
            if dialect == "sqlite"
            else "EXPLAIN SELECT mail_id FROM mailrecipient WHERE address = 'a'"
        )
        if dialect == "postgresql":
            session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(str(row) for row in session.execute(text(query)))
    assert "ix_mailrecipient_address" in plan, plan
