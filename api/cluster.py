"""procure laid out as a deployment that has outgrown one machine, started on one machine: a
standalone Prefect server on PostgreSQL with its own authentication, the stage flows deployed
from prefect.yaml to the `procure` work pool, two Prefect workers, two API processes behind one
address, two dispatchers, and the product's PostgreSQL. Each part is what would run on a
machine of its own; `scripts/cluster` starts it, the end-to-end test kills parts of it."""

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from api.launcher import wait_for

ROOT = Path(__file__).resolve().parent.parent
PREFECT_USER = "procure"


def _python(*args: str) -> list[str]:
    """This interpreter running a module, so every part uses the same installation."""
    return [sys.executable, "-m", *args]


@dataclass
class Cluster:
    """The topology's settings and its running processes, by part."""

    data_dir: Path
    database_url: str  # the product's PostgreSQL (postgresql+psycopg://...)
    prefect_database_url: str  # Prefect's own PostgreSQL (postgresql+asyncpg://...)
    api_port: int = 8000
    prefect_port: int = 4200
    extra_env: dict[str, str] = field(default_factory=dict)
    auth_string: str = field(default_factory=lambda: f"{PREFECT_USER}:{secrets.token_urlsafe(24)}")
    processes: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)

    @property
    def prefect_api_url(self) -> str:
        """Where every part finds the Prefect server."""
        return f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def api_url(self) -> str:
        """The one address both API processes answer on."""
        return f"http://127.0.0.1:{self.api_port}"

    def env(self) -> dict[str, str]:
        """What every part is given: the product's database, and Prefect with credentials."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PREFECT_", "PROCURE_"))
        }
        env.update(
            PROCURE_DATA_DIR=str(self.data_dir),
            PROCURE_DATABASE_URL=self.database_url,
            PROCURE_CODE_DIR=str(ROOT),
            # Stage runs go to the workers on the pool (prefect.yaml), not into the dispatchers.
            PROCURE_STAGE_EXECUTION="deployments",
            PREFECT_API_URL=self.prefect_api_url,
            PREFECT_API_AUTH_STRING=self.auth_string,
            PREFECT_HOME=str(self.data_dir / "prefect"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.extra_env)
        return env

    def _start(self, part: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        """Start one process of a part, its output in the data folder's log of that part."""
        log = (self.data_dir / "logs" / f"{part}.log").open("ab")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env or self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.setdefault(part, []).append(process)

    def _run(self, argv: list[str]) -> str:
        """Run a set-up command to the end; its failure stops the start."""
        result = subprocess.run(
            argv, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[2:4])} failed: {result.stderr[-2000:]}")
        return result.stdout

    def start(self) -> None:
        """Every part, in the order each needs the one before."""
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        server_env = {
            **self.env(),
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": self.prefect_database_url,
            # Prefect's own HTTP basic authentication: without it, anyone who can reach the
            # server can cancel runs or pause the daily sweeps.
            "PREFECT_SERVER_API_AUTH_STRING": self.auth_string,
        }
        self._start(
            "prefect-server",
            _python(
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.prefect_port),
            ),
            server_env,
        )
        wait_for(f"{self.prefect_api_url}/health", timeout=180, what="the Prefect server")
        self._run(
            _python("prefect", "work-pool", "create", "procure", "--type", "process", "--overwrite")
        )
        self._run(_python("prefect", "--no-prompt", "deploy", "--all"))
        # The product's schema, once, before the parts that use it start side by side.
        self._run(_python("api.cli", "users", "list"))
        for number in (1, 2):
            self._start(
                "worker",
                _python(
                    "prefect",
                    "worker",
                    "start",
                    "--pool",
                    "procure",
                    "--name",
                    f"procure-worker-{number}",
                ),
            )
            self._start("dispatcher", _python("api.cli", "dispatcher"))
        # Two API processes on one address (uvicorn hands each connection to one of them and
        # starts a new process for one that dies).
        self._start(
            "api",
            _python(
                "uvicorn",
                "api.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--workers",
                "2",
            ),
        )
        wait_for(f"{self.api_url}/health", timeout=180, what="the API")

    def stop(self) -> None:
        """Stop every part, the way an operator would, then insist."""
        for processes in reversed(list(self.processes.values())):
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
        for processes in self.processes.values():
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.processes.clear()


def main() -> int:
    """Start the topology from PROCURE_CLUSTER_* settings and run until interrupted."""
    cluster = Cluster(
        data_dir=Path(os.environ.get("PROCURE_CLUSTER_DATA_DIR", "data/cluster")).resolve(),
        database_url=os.environ["PROCURE_CLUSTER_DATABASE_URL"],
        prefect_database_url=os.environ["PROCURE_CLUSTER_PREFECT_DATABASE_URL"],
        api_port=int(os.environ.get("PROCURE_CLUSTER_API_PORT", "8000")),
        prefect_port=int(os.environ.get("PROCURE_CLUSTER_PREFECT_PORT", "4200")),
    )
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        """Stop on Ctrl-C or SIGTERM."""
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        cluster.start()
        print(
            f"procure cluster is running\n  API and pages: {cluster.api_url} (two processes)\n"
            f"  Prefect:       {cluster.prefect_api_url.removesuffix('/api')} "
            f"(user {PREFECT_USER}, password in PREFECT_API_AUTH_STRING of "
            f"{cluster.data_dir / 'prefect-auth'})\n"
            "  two workers on the procure pool, two dispatchers\nStop with Ctrl-C.",
            flush=True,
        )
        secret = cluster.data_dir / "prefect-auth"
        secret.write_text(f"PREFECT_API_AUTH_STRING={cluster.auth_string}\n")
        secret.chmod(0o600)
        while not stopping:
            time.sleep(0.5)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
