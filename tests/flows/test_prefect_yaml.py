"""prefect.yaml declares exactly the flows the embedded runner serves, under the same names,
with importable entrypoints and the same schedules."""

import importlib
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow

from flows.runner import served_flows
from flows.sweeps import SCHEDULES

ROOT = Path(__file__).resolve().parents[2]


def load_entrypoint(entrypoint: str) -> Any:
    """Import 'flows/stages.py:name' the way a worker would."""
    path, name = entrypoint.split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def deployments() -> list[dict[str, Any]]:
    """The deployments prefect.yaml declares."""
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def test_every_entrypoint_imports_a_flow_named_like_its_deployment() -> None:
    for deployment in deployments():
        target = load_entrypoint(deployment["entrypoint"])
        assert isinstance(target, Flow), deployment["entrypoint"]
        assert target.name == deployment["name"]
        assert (ROOT / deployment["entrypoint"].split(":")[0]).is_file()


def test_declared_deployments_match_the_flows_the_runner_serves() -> None:
    declared = {load_entrypoint(d["entrypoint"]).name for d in deployments()}
    assert declared == {flow.name for flow in served_flows()}
    assert len(deployments()) == len(served_flows())


def test_schedules_match_the_runner() -> None:
    declared = {d["name"]: [s["cron"] for s in d.get("schedules", [])] for d in deployments()}
    for sweep, cron in SCHEDULES.items():
        assert declared[sweep.name] == [cron]
    scheduled = {name for name, crons in declared.items() if crons}
    assert scheduled == {sweep.name for sweep in SCHEDULES}
