"""Reads people wait for, and the cost at rest: the product beside a bare floor, in one run.

For each database (SQLite, PostgreSQL): seed N cases (bulk inserts), start the product's API
(`procure api`, uvicorn, no Prefect) and a bare FastAPI + SQLModel app on the same rows
(scripts/bench_floor.py), then drive each with concurrent httpx clients for a fixed time:
GET /cases/{id} (50 clients, random cases), GET /assurance, /register and /register.csv.
Then a register of `--export` published contracts: the CSV export's time and the API's peak
memory, and /assurance over that many cases. Last, `procure start` (the whole product) at
rest: memory and CPU of each of its processes. Run it with `scripts/bench`.

The machine is shared: read the ratios, which come from the same run, before the figures."""

import argparse
import asyncio
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from alembic import command  # noqa: E402
from bench_procs import sample, sample_tree  # noqa: E402
from bench_seed import TOKEN, seed  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from lifecycle.db import make_engine  # noqa: E402
from lifecycle.schema import config  # noqa: E402
from tests.e2e.support import free_port, fresh_postgres_database  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, migrated database of `kind` ('sqlite' or 'postgres'); yields its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'procure.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


def schema(url: str) -> Any:
    """An engine on `url` holding the models' tables, stamped as the newest revision: the
    tables as the code declares them now (the same indexes, since migrations must agree with
    the models), so the API finds nothing to migrate."""
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as connection:
        command.stamp(config(connection), "head")
    return engine


@contextmanager
def server(argv: list[str], env: dict[str, str], health: str, log: Path) -> Iterator[int]:
    """A server process, ready when `health` answers; yields its pid, stopped after."""
    with log.open("w") as out:
        process = subprocess.Popen(
            argv, env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{argv} exited; see {log}")
            try:
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{health} did not answer; see {log}")
            time.sleep(0.2)
        yield process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def product(url: str, folder: Path) -> Any:
    """The product's API alone (what `procure start` runs as its `api` child)."""
    port = free_port()
    env = {
        "PROCURE_DATA_DIR": str(folder),
        "PROCURE_DATABASE_URL": url,
        "PROCURE_API_PORT": str(port),
    }
    argv = [sys.executable, "-m", "api.cli", "api"]
    return port, server(argv, env, f"http://127.0.0.1:{port}/health", folder / "api.log")


def floor(url: str, folder: Path) -> Any:
    """The bare app on the same database."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--app-dir", "scripts", "bench_floor:app"]
    argv += ["--port", str(port), "--log-level", "warning"]
    env = {"BENCH_DATABASE_URL": url}
    return port, server(argv, env, f"http://127.0.0.1:{port}/openapi.json", folder / "floor.log")


async def _drive(base: str, path: Callable[[], str], clients: int, seconds: float) -> dict:
    """`clients` clients asking for `path()` back to back for `seconds`; a request in flight at
    the end is waited for and counted."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=AUTH, limits=limits, timeout=120) as http:
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            """One client's loop."""
            nonlocal failures
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    answer = await http.get(path())
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # A connection the server closed as it was reused: a failure, not the end
                    # of the whole benchmark.
                    failures += 1
                    continue
                latencies.append(time.perf_counter() - started)
                failures += answer.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, math.ceil(len(latencies) * 0.99) - 1)] * 1000,
    }


def drive(port: int, pid: int, path: Callable[[], str], clients: int, seconds: float) -> dict:
    """Warm up once, then drive; adds the server's CPU milliseconds per request (a figure the
    other loads on a shared machine disturb far less than times)."""
    base = f"http://127.0.0.1:{port}"
    answer = httpx.get(base + path(), headers=AUTH, timeout=120)
    if answer.status_code != 200:
        raise SystemExit(f"{base}{path()}: {answer.status_code} {answer.text[:300]}")
    used = sample(pid).cpu_seconds
    figures = asyncio.run(_drive(base, path, clients, seconds))
    used = sample(pid).cpu_seconds - used
    return {**figures, "cpu_ms": used / max(figures["requests"], 1) * 1000}


def export(port: int, pid: int, path: str) -> dict:
    """One download of `path`, streamed and counted: seconds, lines, and the server's memory
    before and at its highest while it answered (sampled every 10 ms)."""
    first = sample(pid)
    before = first.rss_mb
    peak = [before]
    done = threading.Event()

    def watch() -> None:
        """Keep the highest resident memory seen."""
        while not done.wait(0.01):
            peak[0] = max(peak[0], sample(pid).rss_mb)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    size = lines = 0
    with httpx.stream("GET", f"http://127.0.0.1:{port}{path}", headers=AUTH, timeout=300) as got:
        got.raise_for_status()
        for chunk in got.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    return {
        "seconds": seconds,
        "cpu_seconds": sample(pid).cpu_seconds - first.cpu_seconds,
        "lines": lines,
        "mb": size / 2**20,
        "rss_before_mb": before,
        "peak_mb": peak[0],
    }


def reads(kind: str, args: argparse.Namespace, folder: Path) -> dict:
    """The read figures on one database."""
    results: dict[str, Any] = {}
    with database(kind, folder) as url:
        engine = schema(url)
        started = time.perf_counter()
        ids = seed(engine, args.cases)
        engine.dispose()
        print(f"[{kind}] seeded {args.cases} cases in {time.perf_counter() - started:.1f} s")
        pick = random.Random(1).choice
        paths: list[tuple[str, Callable[[], str], int, float]] = [
            ("GET /cases/{id}", lambda: f"/cases/{pick(ids)}", args.clients, args.seconds),
            ("GET /assurance", lambda: "/assurance", args.bulk_clients, args.bulk_seconds),
            ("GET /register", lambda: "/register", args.bulk_clients, args.bulk_seconds),
            ("GET /register.csv", lambda: "/register.csv", args.bulk_clients, args.bulk_seconds),
        ]
        for side, start in (("product", product), ("floor", floor)):
            port, running = start(url, folder)
            with running as pid:
                for name, path, clients, seconds in paths:
                    figures = drive(port, pid, path, clients, seconds)
                    results.setdefault(name, {})[side] = {"clients": clients, **figures}
                    print(f"[{kind}] {side:<8}{name:<20}{_figures(figures)}", flush=True)
    if args.export:
        results.update(exported(kind, args, folder / "export"))
    return results


def exported(kind: str, args: argparse.Namespace, folder: Path) -> dict:
    """The register of `args.export` contracts: the CSV download and the report over them."""
    results: dict[str, Any] = {}
    with database(kind, folder) as url:
        engine = schema(url)
        started = time.perf_counter()
        seed(engine, args.export, every_published=True)
        engine.dispose()
        print(
            f"[{kind}] seeded {args.export} published contracts in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for side, start in (("product", product), ("floor", floor)):
            port, running = start(url, folder)
            with running as pid:
                figures = export(port, pid, "/register.csv")
                results.setdefault(f"export {args.export} CSV", {})[side] = figures
                print(f"[{kind}] {side:<8}export CSV          {figures}", flush=True)
                if side == "product":
                    report = drive(port, pid, lambda: "/assurance", 1, 3)
                    results[f"GET /assurance at {args.export}"] = {"product": report}
                    print(f"[{kind}] product GET /assurance at {args.export}: {_figures(report)}")
    return results


def at_rest(folder: Path, seconds: float) -> dict:
    """`procure start` on its embedded default, settled, then watched for `seconds`."""
    port, prefect_port = free_port(), free_port()
    env = {
        "PROCURE_DATA_DIR": str(folder),
        "PROCURE_API_PORT": str(port),
        "PROCURE_PREFECT_PORT": str(prefect_port),
    }
    env.pop("PREFECT_API_URL", None)
    argv = [sys.executable, "-m", "api.cli", "start"]
    folder.mkdir(parents=True, exist_ok=True)
    with server(argv, env, f"http://127.0.0.1:{port}/health", folder / "start.log") as pid:
        time.sleep(15)  # past start-up's work: migrations, first polls, imports
        first = {s.pid: s for s in sample_tree(pid)}
        time.sleep(seconds)
        last = sample_tree(pid)
    processes = []
    for now in last:
        then = first.get(now.pid)
        used = now.cpu_seconds - (then.cpu_seconds if then else 0.0)
        processes.append({"name": now.name, "rss_mb": now.rss_mb, "cpu_pct": used / seconds * 100})
    processes.sort(key=lambda p: -p["rss_mb"])
    total = {
        "processes": len(processes),
        "rss_mb": sum(p["rss_mb"] for p in processes),
        "cpu_pct": sum(p["cpu_pct"] for p in processes),
    }
    return {"processes": processes, "total": total}


def _figures(f: dict) -> str:
    """A load run on one line."""
    return (
        f"{f['per_second']:8.1f} req/s  p50 {f['p50_ms']:8.1f} ms  p99 {f['p99_ms']:8.1f} ms"
        f"  cpu {f['cpu_ms']:6.1f} ms/req"
        f"  ({f['requests']} requests, {f['failures']} failed)"
    )


def _cpu(f: dict) -> str:
    """The server's CPU seconds for an export, when measured."""
    return f"({f['cpu_seconds']:.1f} cpu)" if "cpu_seconds" in f else ""


def _memory(f: dict) -> str:
    """Resident memory before an export, and at its highest during it."""
    return f"{f['rss_before_mb']:.0f}->{f['peak_mb']:.0f} MB"


def _load(f: dict | None) -> str:
    """One side of a load run: throughput, p50/p99 and server CPU per request."""
    if not f:
        return "-"
    return f"{f['per_second']:.0f}/s {f['p50_ms']:.0f}/{f['p99_ms']:.0f} ms {f['cpu_ms']:.1f} cpu"


def table(results: dict) -> None:
    """Product, floor and ratios, one line per read."""
    print(f"\n{'read':<36}{'product':>30}{'floor':>30}{'ratio':>8}{'cpu':>7}")
    for kind, reads_ in results.get("reads", {}).items():
        for name, sides in reads_.items():
            line, floor_ = sides["product"], sides.get("floor")
            if "per_second" in line:
                ours, theirs = _load(line), _load(floor_)
                ratio = (
                    f"{floor_['per_second'] / max(line['per_second'], 1e-9):.2f}" if floor_ else "-"
                )
                cpu = f"{line['cpu_ms'] / max(floor_['cpu_ms'], 1e-9):.2f}" if floor_ else "-"
            else:
                ours = f"{line['seconds']:.2f} s {_cpu(line)}, {_memory(line)}"
                theirs = f"{floor_['seconds']:.2f} s {_cpu(floor_)}, {_memory(floor_)}"
                ratio = f"{line['seconds'] / floor_['seconds']:.2f}"
                cpu = (
                    f"{line['cpu_seconds'] / floor_['cpu_seconds']:.2f}"
                    if "cpu_seconds" in line and "cpu_seconds" in floor_
                    else "-"
                )
            print(f"{kind + ' ' + name:<36}{ours:>30}{theirs:>30}{ratio:>8}{cpu:>7}")
    rest = results.get("rest")
    if rest:
        print(
            f"\nat rest: {rest['total']['processes']} processes, "
            f"{rest['total']['rss_mb']:.0f} MB, {rest['total']['cpu_pct']:.1f}% of a core"
        )
        for p in rest["processes"]:
            print(f"  {p['name']:<24}{p['rss_mb']:8.0f} MB{p['cpu_pct']:8.2f}%")
    print(
        "(req/s, p50/p99 ms, server CPU ms per request; ratio: the floor's throughput over the"
        " product's, or the export's time over the floor's; cpu: CPU per request over the"
        " floor's)"
    )


def main() -> int:
    """Run what was asked, print the table, keep the figures if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument(
        "--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--clients", type=int, default=50, help="for GET /cases/{id}")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--bulk-clients",
        type=int,
        default=1,
        help="for /assurance and the register (their goals are latencies)",
    )
    parser.add_argument("--bulk-seconds", type=float, default=5)
    parser.add_argument("--export", type=int, default=100_000, help="0: skip the export")
    parser.add_argument("--rest", type=float, default=30, help="seconds watched at rest; 0: skip")
    parser.add_argument("--save", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="procure-bench-"))
    results: dict[str, Any] = {"reads": {}}

    def keep() -> None:
        """Write what is measured so far (a later failure loses nothing)."""
        if args.save:
            args.save.write_text(json.dumps(results, indent=2))

    for kind in args.db:
        results["reads"][kind] = reads(kind, args, folder / kind)
        keep()
    if args.rest:
        results["rest"] = at_rest(folder / "rest", args.rest)
        keep()
    table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
