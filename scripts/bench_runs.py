"""Work that piles up: stage runs per second with 1,000 new cases, and how long a person's
decision waits for its next stage, idle and behind that backlog.

Starts the product as a user does (`procure start`: SQLite, embedded Prefect server) in a
throwaway data folder, then:
1. idle: decides a legal gate and times decision -> next stage's run started and finished;
2. posts `--cases` purchase requests through the API (10 clients), then, while they make their
   way to the legal gate, decides a prepared gate at once and another every `--spacing`
   seconds (`--backlog-decisions` in all), timing each decision's next stage;
3. waits (at most `--cap` seconds) until every new case waits at its legal gate.
The floor is an empty async Prefect flow called in a long-lived process against the same
Prefect server, one after another, measured while the product is idle. Progress is read
from the product's database (read only). Run it with `scripts/bench runs`; the figures
depend on the machine's load."""

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port nobody listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait(check: Callable[[], Any], *, timeout: float, step: float = 0.05) -> float | None:
    """Seconds until `check()` is truthy, or None at the timeout."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            if check():
                return time.monotonic() - began
        except (httpx.HTTPError, sqlite3.OperationalError):
            pass
        time.sleep(step)
    return None


class Product:
    """`procure start` in its own session, with its own folder and ports."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.api_port, prefect_port = free_port(), free_port()
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PROCURE_"))
        }
        self.env.update(
            PROCURE_DATA_DIR=str(data_dir),
            PROCURE_API_PORT=str(self.api_port),
            PROCURE_PREFECT_PORT=str(prefect_port),
            **extra_env,
        )
        self.prefect_url = f"http://127.0.0.1:{prefect_port}/api"
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start everything and wait for the API."""
        log = (self.data_dir.parent / "product.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "start"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if (
            wait(lambda: httpx.get(f"{self.url}/health", timeout=2).status_code == 200, timeout=300)
            is None
        ):
            raise RuntimeError("the product did not start")

    def stop(self) -> None:
        """SIGTERM the whole session, then insist."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)

    def user(self, name: str, role: str) -> httpx.Client:
        """A user made with the CLI, as an HTTP client carrying their token."""
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "users",
                "create",
                "--name",
                name,
                "--email",
                f"{role}@bench.example",
                "--role",
                role,
            ],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        token = out.strip().rsplit(" ", 1)[-1]
        return httpx.Client(
            base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        )

    def cpu_by_part(self) -> dict[str, float]:
        """CPU seconds used so far by each process of the product (children it reaped included)."""
        assert self.process is not None
        parts: dict[str, float] = {}
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_file.read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) != self.process.pid:  # session id
                    continue
                argv = (stat_file.parent / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError):
                continue
            words = [w.decode() for w in argv if w]
            name = words[-1] if "api.cli" in words else " ".join(words[1:4])[:40]
            cpu = sum(int(value) for value in fields[11:15]) / TICKS
            parts[name] = parts.get(name, 0.0) + cpu
        return parts


def purchase_request(number: int) -> dict[str, Any]:
    """A services contract under the advertised threshold: it waits at the legal gate."""
    return {
        "title": f"Bench purchase {number}",
        "description": "Benchmark purchase request",
        "category": "services",
        "department": "Resources",
        "estimated_value_pence": 40_000_00,
        "needed_by": (date.today() + timedelta(days=90)).isoformat(),
        "contract_required": True,
    }


@contextmanager
def database(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """The product's SQLite database, read only."""
    connection = sqlite3.connect(f"file:{data_dir / 'procure.db'}?mode=ro", uri=True, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def one(db: sqlite3.Connection, sql: str, *args: Any) -> Any:
    """The first column of the first row."""
    row = db.execute(sql, args).fetchone()
    return row[0] if row else None


def pending_gate(db: sqlite3.Connection, case_id: int) -> int | None:
    """The case's pending legal gate."""
    return one(db, "SELECT id FROM gate WHERE case_id=? AND status='pending'", case_id)


def run_status(db: sqlite3.Connection, case_id: int, flow: str) -> str | None:
    """The status of the case's latest request for `flow`."""
    return one(
        db,
        "SELECT status FROM flowrequest WHERE case_id=? AND flow_name=? ORDER BY id DESC",
        case_id,
        flow,
    )


def decision_latency(
    legal: httpx.Client, db: sqlite3.Connection, case_id: int, gate_id: int, timeout: float
) -> tuple[float | None, float | None]:
    """Decide the gate; seconds until the procurement run started, and until it finished."""
    began = time.monotonic()
    answer = legal.post(
        f"/cases/{case_id}/gates/{gate_id}/decision",
        json={"decision": "approve", "contract_type": "Services", "key_contract": False},
    )
    answer.raise_for_status()
    print(f"decision answered in {time.monotonic() - began:.2f} s", flush=True)
    started = finished = None
    while time.monotonic() - began < timeout and finished is None:
        status = run_status(db, case_id, "procurement")
        if status in ("running", "completed") and started is None:
            started = time.monotonic() - began
        if status == "completed":
            finished = time.monotonic() - began
        time.sleep(0.02)
    return started, finished


def raise_and_wait(requester: httpx.Client, db: sqlite3.Connection) -> tuple[int, int]:
    """A case waiting at its legal gate: (case id, gate id)."""
    case_id = requester.post("/cases", json=purchase_request(0)).raise_for_status().json()["id"]
    if wait(lambda: pending_gate(db, case_id), timeout=300) is None:
        raise RuntimeError("the first case never reached its legal gate")
    gate = pending_gate(db, case_id)
    assert gate is not None
    return case_id, gate


FLOOR_CODE = """
import asyncio, time
from prefect import flow
from flows.executor import shared_prefect_clients

@flow(name="bench-floor")
async def empty(n: int) -> int:
    return n

async def calls(count):
    await empty(0)
    began = time.monotonic()
    for n in range(count):
        await empty(n)
    return count / (time.monotonic() - began)

async def main(count):
    print(await calls(count))
    async with shared_prefect_clients():  # as the executor runs them
        print(await calls(count))
"""


def floor_runs_per_second(prefect_url: str, count: int) -> tuple[float, float]:
    """Empty async flows called one after another in one process, against the product's
    Prefect server: what a stage run cannot be cheaper than. Twice: with Prefect's defaults
    (a client opened for each run, a heartbeat thread each), and as the executor calls them
    (one client for all, no heartbeats), which is the floor the product is held to."""
    code = FLOOR_CODE + f"asyncio.run(main({count}))\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=prefect_url, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    default, shared = out.stdout.strip().splitlines()[-2:]
    return float(default), float(shared)


def fmt(value: float | None, unit: str = "s") -> str:
    """A figure, or 'not reached'."""
    return "not reached" if value is None else f"{value:.2f} {unit}"


def bench(
    cases: int,
    cap: float,
    idle_rounds: int,
    extra_env: dict[str, str],
    backlog_decisions: int = 5,
    spacing: float = 15.0,
    keep_log: Path | None = None,
) -> dict[str, Any]:
    """Run the whole benchmark once; returns the figures. During the backlog, up to
    `backlog_decisions` gates are decided `spacing` seconds apart. The product's log is copied
    to `keep_log`, if given, to see afterwards what held up an outlier."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-runs-") as folder:
        product = Product(Path(folder) / "data", extra_env)
        product.start()
        try:
            # Measured while the product is idle, so the product's own runs do not slow it.
            figures["floor_default"], figures["floor"] = floor_runs_per_second(
                product.prefect_url, 200
            )
            print(
                f"floor: {figures['floor']:.2f} empty flow runs a second with one client "
                f"({figures['floor_default']:.2f} with Prefect's defaults)",
                flush=True,
            )
            requester = product.user("Rae Bench", "requester")
            legal = product.user("Lin Bench", "legal")
            with database(product.data_dir) as db:
                idle = []
                for _ in range(idle_rounds):
                    idle.append(decision_latency(legal, db, *raise_and_wait(requester, db), 60))
                print(f"idle (started, finished): {idle}", flush=True)
                figures["idle_started"] = [s for s, _ in idle]
                figures["idle_finished"] = [f for _, f in idle]
                prepared = [raise_and_wait(requester, db) for _ in range(backlog_decisions)]
                done_before = one(db, "SELECT count(*) FROM flowrequest WHERE status='completed'")
                cpu_before = product.cpu_by_part()
                posts: list[float] = []
                # The new cases only: the prepared ones are at the gate until decided.
                at_gate = (
                    "SELECT count(*) FROM gate WHERE kind='legal_consultation' "
                    f"AND status='pending' AND case_id > {max(case for case, _ in prepared)}"
                )

                def post(number: int) -> None:
                    began = time.monotonic()
                    requester.post("/cases", json=purchase_request(number)).raise_for_status()
                    posts.append(time.monotonic() - began)

                def decide_during_backlog() -> list[tuple[float | None, float | None]]:
                    """A decision at once, then one every `spacing` seconds while new cases
                    are still on their way to the gate: a person's wait across the backlog,
                    not at one moment of it."""
                    waits = []
                    first = time.monotonic()
                    with database(product.data_dir) as own:
                        for number, (case_id, gate_id) in enumerate(prepared):
                            while time.monotonic() < first + number * spacing:
                                time.sleep(0.2)
                            if number and one(own, at_gate) >= cases:
                                break
                            waits.append(decision_latency(legal, own, case_id, gate_id, cap))
                    return waits

                began = time.monotonic()
                with ThreadPoolExecutor(10) as pool:
                    list(pool.map(post, range(1, cases + 1)))
                figures["post_seconds"] = time.monotonic() - began
                figures["post_p99"] = statistics.quantiles(posts, n=100)[98]
                with ThreadPoolExecutor(1) as deciding:
                    decisions = deciding.submit(decide_during_backlog)
                    while time.monotonic() - began < cap and one(db, at_gate) < cases:
                        time.sleep(5)
                        print(
                            f"{time.monotonic() - began:.0f} s: {one(db, at_gate)} at the gate",
                            flush=True,
                        )
                    figures["elapsed"] = time.monotonic() - began
                    figures["at_gate"] = one(db, at_gate)
                    backlog = decisions.result()
                print(f"backlog decisions (started, finished): {backlog}", flush=True)
                figures["backlog_started"] = [started for started, _ in backlog]
                figures["backlog_finished"] = [finished for _, finished in backlog]
                done = one(db, "SELECT count(*) FROM flowrequest WHERE status='completed'")
                figures["runs"] = done - done_before
                figures["runs_per_second"] = figures["runs"] / figures["elapsed"]
                after = product.cpu_by_part()
                figures["cpu"] = {k: v - cpu_before.get(k, 0.0) for k, v in after.items()}
        except Exception:
            log = product.data_dir.parent / "product.log"
            sys.stderr.write(log.read_text(errors="replace")[-6000:])
            raise
        finally:
            product.stop()
            if keep_log is not None:
                shutil.copyfile(product.data_dir.parent / "product.log", keep_log)
    return figures


def report(figures: dict[str, Any], cases: int) -> None:
    """Print the product's figures beside the floor's."""
    floor = figures["floor"]
    posted, p99 = figures["post_seconds"], figures["post_p99"]
    print(f"posted {cases} purchase requests in {posted:.1f} s (POST p99 {p99:.2f} s)")
    print(f"at the legal gate: {figures['at_gate']}/{cases} after {figures['elapsed']:.1f} s")
    print(f"{'measure':<52}{'product':>12}{'floor':>12}{'ratio':>8}")
    rate = figures["runs_per_second"]
    ratio = floor / rate if rate else float("inf")
    print(f"{'stage runs a second (backlog)':<52}{rate:>12.2f}{floor:>12.2f}{ratio:>8.1f}")
    default = figures["floor_default"]
    default_ratio = default / rate if rate else float("inf")
    print(f"{'  floor with Prefect defaults':<52}{'':>12}{default:>12.2f}{default_ratio:>8.1f}")
    for label, key in (
        ("idle: decision -> next stage started", "idle_started"),
        ("idle: decision -> next stage finished", "idle_finished"),
    ):
        values = [v for v in figures[key] if v is not None]
        median = statistics.median(values) if values else None
        print(f"{label:<52}{fmt(median):>12}{1 / floor:>10.2f} s{(median or 0) * floor:>8.1f}")
    for label, key in (
        ("backlog: decision -> next stage started", "backlog_started"),
        ("backlog: decision -> next stage finished", "backlog_finished"),
    ):
        # A decision whose next stage never came within the cap counts as the worst.
        values = figures[key]
        reached = sorted(v for v in values if v is not None)
        worst = None if len(reached) < len(values) else max(reached, default=None)
        median = statistics.median(reached) if reached else None
        for part, value in (("median", median), (f"worst of {len(values)}", worst)):
            times = f"{value * floor:>8.1f}" if value is not None else f"{'-':>8}"
            print(f"{label + ', ' + part:<52}{fmt(value):>12}{1 / floor:>10.2f} s{times}")
    print("CPU seconds during the backlog, by process:")
    for name, seconds in sorted(figures["cpu"].items(), key=lambda item: -item[1]):
        if seconds >= 0.5:
            print(f"  {name:<42}{seconds:>8.1f}")


def main() -> int:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--cap", type=float, default=180.0, help="seconds to wait at most")
    parser.add_argument("--idle-rounds", type=int, default=3)
    parser.add_argument(
        "--backlog-decisions",
        type=int,
        choices=range(1, 21),
        default=5,
        metavar="1..20",
        help="gates decided during the backlog",
    )
    parser.add_argument("--spacing", type=float, default=15.0, help="seconds between them")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the product")
    parser.add_argument("--keep-log", type=Path, help="copy the product's log to this file")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    figures = bench(
        args.cases,
        args.cap,
        args.idle_rounds,
        extra,
        args.backlog_decisions,
        args.spacing,
        args.keep_log,
    )
    report(figures, args.cases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
