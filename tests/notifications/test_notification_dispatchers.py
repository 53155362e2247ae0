"""Any number of dispatchers share the mail outbox without sending a mail twice, on SQLite and
PostgreSQL, against a slow real SMTP server (aiosmtpd); one killed mid-send loses nothing, and
the mail it was sending goes out again with the same Message-ID. A server that accepts
connections and never answers delays mail only, never flow submission."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select

from flows.dispatcher import Dispatcher
from flows.executor import Executor
from lifecycle.db import make_engine, transaction
from lifecycle.models import Mail, utcnow
from lifecycle.settings import Settings
from notifications import SmtpSender, deliver_due
from notifications.delivery import attempts_within, backoff
from tests.notifications.test_notification_smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SENDER = "procure@council.example"
LEASE = timedelta(seconds=2)


class SlowServer:
    """An SMTP handler that takes its time over each message and keeps each one's Message-ID;
    told to, it holds the next message without answering, as a server does mid-DATA."""

    def __init__(self, delay: float) -> None:
        """Nothing received yet."""
        self.delay = delay
        self.message_ids: list[str] = []
        self.hold_next = False
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message (it has arrived), then answer after a pause, or not until
        released."""
        self.message_ids.append(str(message_from_bytes(envelope.content)["Message-ID"]))
        if self.hold_next:
            self.hold_next = False
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


@pytest.fixture
def slow_server() -> Iterator[tuple[SlowServer, int]]:
    """A running slow SMTP server on localhost and its port."""
    handler = SlowServer(delay=0.05)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, int(controller.port)
    finally:
        handler.release.set()
        controller.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """An empty outbox on each backend, with its URL for other processes."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'procure.db'}"
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        yield engine, url
        engine.dispose()
        return
    engine = request.getfixturevalue("postgres_engine")
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine, engine.url.render_as_string(hide_password=False)


def queue(engine: Engine, count: int) -> None:
    """`count` mails, due now."""
    with transaction(engine) as session:
        for number in range(count):
            session.add(
                Mail(
                    key=f"dispatch-test:{number}",
                    notification="case_flagged",
                    recipients=[f"officer{number}@council.example"],
                    subject=f"Mail {number}",
                    text_body="Text\n",
                    html_body="<p>HTML</p>\n",
                    next_attempt_at=utcnow(),
                    created_at=utcnow(),
                )
            )


def statuses(engine: Engine) -> Counter[str]:
    """How many mails are in each status."""
    with Session(engine) as session:
        return Counter(session.exec(select(Mail.status)).all())


def dispatch_until_sent(engine: Engine, port: int, name: str, deadline: float) -> None:
    """What one dispatcher does: deliver in passes until no mail is pending."""
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")

    async def passes() -> None:
        """Pass after pass, a few mails a time, so the dispatchers interleave."""
        while statuses(engine)["pending"] and time.monotonic() < deadline:
            await deliver_due(
                engine,
                SmtpSender(settings),
                max_attempts=5,
                sender_address=SENDER,
                dispatcher=name,
                lease=LEASE,
                batch=3,
            )
            await asyncio.sleep(0.05)

    asyncio.run(passes())


def run_dispatchers(engine: Engine, port: int, names: list[str]) -> None:
    """The named dispatchers side by side, each on a thread of its own."""
    deadline = time.monotonic() + 60
    threads = [
        threading.Thread(target=dispatch_until_sent, args=(engine, port, name, deadline))
        for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_three_dispatchers_send_every_mail_once(
    outbox: tuple[Engine, str], slow_server: tuple[SlowServer, int]
) -> None:
    engine, _ = outbox
    server, port = slow_server
    queue(engine, 20)
    run_dispatchers(engine, port, ["one", "two", "three"])
    assert statuses(engine) == Counter({"sent": 20})
    assert len(server.message_ids) == 20 and len(set(server.message_ids)) == 20
    with Session(engine) as session:
        senders = set(session.exec(select(Mail.claimed_by)).all())
    assert len(senders) >= 2, senders  # they really did share the work


DOOMED = """
import asyncio, sys
from datetime import timedelta
from lifecycle.db import make_engine
from lifecycle.settings import Settings
from notifications import SmtpSender, deliver_due
settings = Settings(smtp_host="127.0.0.1", smtp_port=int(sys.argv[2]), smtp_security="none")
asyncio.run(deliver_due(make_engine(sys.argv[1]), SmtpSender(settings), max_attempts=5,
    sender_address="procure@council.example", dispatcher="doomed",
    lease=timedelta(seconds=2)))
"""


def test_a_dispatcher_killed_mid_send_loses_nothing_and_the_resend_is_recognisable(
    outbox: tuple[Engine, str], slow_server: tuple[SlowServer, int]
) -> None:
    engine, url = outbox
    server, port = slow_server
    queue(engine, 6)
    server.hold_next = True
    doomed = subprocess.Popen(
        [sys.executable, "-c", DOOMED, url, str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        # The server has the first message; its sender dies before hearing it was accepted.
        assert server.holding.wait(30), "the doomed dispatcher never sent"
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
    finally:
        doomed.kill()
    server.release.set()
    in_flight = server.message_ids[0]
    assert statuses(engine) == Counter({"pending": 6})  # claimed, never marked

    # The others wait out the dead one's claim, then send everything.
    run_dispatchers(engine, port, ["survivor-1", "survivor-2"])
    assert statuses(engine) == Counter({"sent": 6})
    copies = Counter(server.message_ids)
    assert copies[in_flight] == 2, copies  # the resend carries the same Message-ID
    assert len(copies) == 6 and sum(copies.values()) == 7


@pytest.mark.parametrize("execution", ["in_process", "deployments"])
def test_a_server_that_never_answers_does_not_hold_up_flow_submission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, execution: str
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections (the kernel does), answers nothing
    engine = make_engine(f"sqlite:///{tmp_path / 'procure.db'}")
    SQLModel.metadata.create_all(engine)
    queue(engine, 1)
    settings = Settings(
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=listener.getsockname()[1],
        smtp_security="none",
        dispatch_interval_seconds=0.2,
        stage_execution=execution,
    )
    dispatcher = Dispatcher(settings, engine)
    submissions: list[float] = []

    async def submit_due() -> int:
        """Stands in for submitting to Prefect: notes when it was asked."""
        submissions.append(time.monotonic())
        return 0

    def fill(_executor: Executor) -> int:
        """Stands in for starting stage runs in this process: notes when it was asked."""
        submissions.append(time.monotonic())
        return 0

    monkeypatch.setattr(Executor, "fill", fill)

    async def reconcile_states() -> int:
        """Nothing to reconcile."""
        return 0

    monkeypatch.setattr(dispatcher, "submit_due", submit_due)
    monkeypatch.setattr(dispatcher, "reconcile_states", reconcile_states)

    async def two_seconds_of_submissions() -> None:
        """Run the dispatcher, while its mail waits on the silent server (10 s a step), until
        two seconds after its first submission: the window starts there, so a slow start of
        the whole process (a busy machine) is not taken for submission held up by mail."""
        running = asyncio.create_task(dispatcher.run_forever())
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (
                not submissions or time.monotonic() < submissions[0] + 2
            ):
                await asyncio.sleep(0.05)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    try:
        asyncio.run(two_seconds_of_submissions())
    finally:
        listener.close()
    # Submitted every 0.2 s throughout (sequentially, it was once, then a wait on SMTP).
    window = [at for at in submissions if submissions and at <= submissions[0] + 2]
    assert len(window) >= 6, submissions
    with Session(engine) as session:
        mail = session.exec(select(Mail).order_by(col(Mail.id))).one()
    assert mail.status == "pending"  # still to go, not lost


def test_mail_is_retried_for_at_least_three_days() -> None:
    tries = attempts_within(72)
    waited = sum((backoff(attempt) for attempt in range(1, tries)), timedelta())
    assert waited >= timedelta(hours=72)
    # The backoff is capped: the last waits are an hour, not days.
    assert backoff(tries) == timedelta(hours=1)
