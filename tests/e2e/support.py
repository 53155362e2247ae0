"""Helpers that run the real product in subprocesses: `procure start` (embedded Prefect
server, stage runner, dispatcher, API), an aiosmtpd SMTP server in the test process, and a
separately started Prefect server for tests that stop Prefect alone. Time moves forward for a
restart with libfaketime, the way days pass for a contract."""

import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def faketime_library() -> Path:
    """libfaketime from Debian's package, wherever the architecture puts it."""
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    if not found:
        raise RuntimeError("libfaketime is not installed: apt-get install libfaketime")
    return found[0]


POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the local PostgreSQL server, dropped afterwards."""
    name = f"procure_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def for_address(self, address: str) -> list[Message]:
        """Messages whose envelope included `address`."""
        return [message for rcpts, message in self.messages if address in rcpts]


def wait_until(check: Callable[[], Any], *, timeout: float = 90, what: str) -> Any:
    """Poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, KeyError, TypeError) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}; last saw {last!r}")


def start_logged(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own group (so it can be stopped whole), appending to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_healthy(url: str, *, what: str) -> None:
    """Wait until `url` answers 200."""
    wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, timeout=240, what=what)


class Product:
    """The product as a user runs it: `procure start`, and the `procure` CLI."""

    def __init__(
        self,
        data_dir: Path,
        smtp_port: int,
        prefect_api_url: str | None,
        database_url: str | None = None,
    ) -> None:
        self.api_port = free_port()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PREFECT_", "PROCURE_"))
        }
        self.env.update(
            PROCURE_DATA_DIR=str(data_dir),
            PROCURE_API_PORT=str(self.api_port),
            PROCURE_PREFECT_PORT=str(free_port()),
            PROCURE_SMTP_HOST="127.0.0.1",
            PROCURE_SMTP_PORT=str(smtp_port),
            PROCURE_DISPATCH_INTERVAL_SECONDS="0.2",
            PROCURE_RUNNER_POLL_SECONDS="0.5",
        )
        if prefect_api_url:
            self.env["PREFECT_API_URL"] = prefect_api_url
        if database_url:
            self.env["PROCURE_DATABASE_URL"] = database_url
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / "product.log"
        self.days_ahead = 0

    def environment(self) -> dict[str, str]:
        """The environment, with the clock moved `days_ahead` days on when asked."""
        env = dict(self.env)
        if self.days_ahead:
            env.update(
                LD_PRELOAD=str(faketime_library()),
                FAKETIME=f"+{self.days_ahead}d",
                FAKETIME_DONT_RESET="1",
            )
        return env

    def start(self, *, days_ahead: int = 0) -> float:
        """Start everything; returns the seconds until the API answered."""
        self.days_ahead = days_ahead
        started = time.monotonic()
        self.process = start_logged(
            [sys.executable, "-m", "api.cli", "start"], self.environment(), self.log
        )
        wait_healthy(f"{self.url}/health", what="the API")
        return time.monotonic() - started

    def stop(self) -> None:
        """Stop every process of the product, the way an operator would (SIGTERM)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process = None

    def parts(self) -> list[str]:
        """The `procure` commands running as the product's processes, sorted."""
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                session = int(stat.read_text().rsplit(")", 1)[1].split()[3])
                argv = (stat.parent / "cmdline").read_bytes().decode().split("\0")
            except (OSError, IndexError, ValueError):
                continue
            if session == self.process.pid and "api.cli" in argv:
                found.append(argv[argv.index("api.cli") + 1])
        return sorted(found)

    def cli(self, *args: str) -> str:
        """Run the `procure` command line with the product's environment."""
        result = subprocess.run(
            [sys.executable, "-m", "api.cli", *args],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def create_user(self, name: str, email_address: str, *roles: str) -> tuple[int, str]:
        """An admin creates a user from the command line; returns (id, token)."""
        return create_user(self.environment(), name, email_address, *roles)


def create_user(env: dict[str, str], name: str, email_address: str, *roles: str) -> tuple[int, str]:
    """`procure users create` with the product's environment; returns (id, token)."""
    role_args = [arg for role in roles for arg in ("--role", role)]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "users",
            "create",
            "--name",
            name,
            "--email",
            email_address,
            *role_args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[2]), result.stdout.strip().rsplit(" ", 1)[-1]


class PrefectServer:
    """A Prefect server the test can stop and start on its own."""

    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        self.env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
        self.log = home.parent / "prefect-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until healthy."""
        prefect = str(Path(sys.executable).parent / "prefect")
        self.process = start_logged(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            self.env,
            self.log,
        )
        wait_healthy(f"{self.url}/health", what="the Prefect server")

    def stop(self) -> None:
        """Stop it (and its children)."""
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


class Api:
    """HTTP calls as one person (their bearer token)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base_url, timeout=10, headers={"Authorization": f"Bearer {token}"}
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def case(self, case_id: int) -> dict[str, Any]:
        """GET the case, asserting success."""
        response = self.client.get(f"/cases/{case_id}")
        response.raise_for_status()
        return response.json()
