"""Starts the whole product as child processes and keeps them running: an embedded Prefect
server (unless PREFECT_API_URL is set), the dispatcher, the API, and the stage runner when
stage runs go to deployments (in process, the dispatcher serves the schedules)."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lifecycle.settings import Settings

RESTART_DELAY_SECONDS = 2.0


def prefect_environment(settings: Settings) -> dict[str, str]:
    """Prefect's home, database and logs stay inside the data folder; no telemetry."""
    home = settings.data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(home))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "1")
    env["PROCURE_DATA_DIR"] = str(settings.data_dir)
    return env


def wait_for(
    url: str, *, timeout: float, what: str, process: "subprocess.Popen[bytes] | None" = None
) -> None:
    """Poll `url` until it answers 200, or fail saying what did not come up (at once, if the
    process that should answer has exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s")


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None)

    def start(self, env: dict[str, str], cwd: Path) -> None:
        """Start (or restart) the process."""
        self.process = subprocess.Popen(self.argv, env=env, cwd=cwd)

    def stop(self) -> None:
        """Ask it to stop, then insist."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def command(*args: str) -> list[str]:
    """This interpreter running the procure CLI, so children use the same environment."""
    return [sys.executable, "-m", "api.cli", *args]


def launch(settings: Settings) -> int:
    """Start everything, print where to look, and supervise until interrupted."""
    env = prefect_environment(settings)
    cwd = Path(__file__).resolve().parent.parent
    children: list[Child] = []
    prefect_url = env.get("PREFECT_API_URL")
    if not prefect_url:
        prefect_ui = f"http://127.0.0.1:{settings.prefect_port}"
        prefect_url = f"{prefect_ui}/api"
        env["PREFECT_API_URL"] = prefect_url
        children.append(Child("prefect-server", command("prefect-server")))
    else:
        prefect_ui = prefect_url.removesuffix("/api")
    if settings.stage_execution == "deployments":
        # Otherwise the dispatcher serves the deployments itself (flows/dispatcher.py).
        children.append(Child("runner", command("runner")))
    children += [
        Child("dispatcher", command("dispatcher")),
        Child("api", command("api")),
    ]
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    started = time.monotonic()
    try:
        for child in children:
            child.start(env, cwd)
            if child.name == "prefect-server":
                wait_for(
                    f"{prefect_url}/health",
                    timeout=180,
                    what="the Prefect server",
                    process=child.process,
                )
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        wait_for(f"{api_url}/health", timeout=120, what="the API", process=children[-1].process)
        print(
            f"procure is running ({time.monotonic() - started:.1f} s to start)\n"
            f"  Pages:      {api_url}/app/\n"
            f"  API:        {api_url}\n"
            f"  API docs:   {api_url}/docs\n"
            f"  Prefect UI: {prefect_ui}\n"
            f"  data:       {settings.data_dir}\n"
            "Create the first admin with: .venv/bin/procure users create --name NAME "
            "--email EMAIL --role admin --password-prompt\nStop with Ctrl-C.",
            flush=True,
        )
        while not stopping:
            for child in children:
                assert child.process is not None
                if child.process.poll() is not None and not stopping:
                    print(
                        f"{child.name} exited ({child.process.returncode}); restarting",
                        file=sys.stderr,
                        flush=True,
                    )
                    time.sleep(RESTART_DELAY_SECONDS)
                    child.start(env, cwd)
            time.sleep(0.5)
    finally:
        for child in reversed(children):
            child.stop()
    return 0


if __name__ == "__main__":
    # `procure start` becomes this once the schema is ready (api/cli.py).
    from lifecycle.settings import get_settings

    sys.exit(launch(get_settings()))
