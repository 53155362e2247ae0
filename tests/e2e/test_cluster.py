"""A deployment that has outgrown one machine, on one machine (api/cluster.py, as
`scripts/cluster` starts it): a standalone Prefect server on PostgreSQL behind its own
authentication, two workers on the `procure` pool from prefect.yaml, two API processes on one
address, two dispatchers and the product's PostgreSQL. One case goes through all seven stages
while one worker, one API process and one dispatcher are killed: nothing is lost, and every
mail arrives once."""

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from api.cluster import Cluster
from tests.e2e.support import (
    Api,
    Inbox,
    create_user,
    free_port,
    fresh_postgres_database,
    wait_until,
)
from tests.e2e.test_whole_product import decide, pending_gate, stage_flow_finished, upload

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.prefect]


@pytest.fixture
def cluster(tmp_path: Path, smtp: tuple[Inbox, int]) -> Iterator[Cluster]:
    """The whole topology on fresh databases, stopped (and its logs shown) at the end."""
    with fresh_postgres_database() as product_db, fresh_postgres_database() as prefect_db:
        running = Cluster(
            data_dir=tmp_path / "data",
            database_url=product_db,
            prefect_database_url=prefect_db.replace("+psycopg", "+asyncpg"),
            api_port=free_port(),
            prefect_port=free_port(),
            extra_env={
                "PROCURE_SMTP_HOST": "127.0.0.1",
                "PROCURE_SMTP_PORT": str(smtp[1]),
                "PROCURE_DISPATCH_INTERVAL_SECONDS": "0.2",
                # A killed dispatcher's claimed mail goes to the other after this.
                "PROCURE_MAIL_LEASE_SECONDS": "5",
                "PREFECT_WORKER_QUERY_SECONDS": "1",
            },
        )
        try:
            running.start()
            yield running
        finally:
            running.stop()
            for log in sorted((running.data_dir / "logs").glob("*.log")):
                print(f"--- {log.name} (last lines)\n{log.read_text()[-3000:]}")


def api_processes(pid: int) -> list[int]:
    """The API processes uvicorn's supervisor `pid` started (not multiprocessing's helper)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"resource_tracker" not in command:
                found.append(int(child))
    return found


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a part and what it started, as a machine failing would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def test_a_case_goes_through_while_parts_of_the_deployment_die(
    cluster: Cluster, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    # Prefect's API is closed to anyone without its credentials.
    outsider = httpx.post(f"{cluster.prefect_api_url}/flow_runs/filter", json={})
    assert outsider.status_code == 401
    assert (
        httpx.post(
            f"{cluster.prefect_api_url}/deployments/filter",
            json={},
            auth=tuple(cluster.auth_string.split(":", 1)),
        ).status_code
        == 200
    )

    people = {
        role: create_user(cluster.env(), f"{role.title()} Person", f"{role}@council.example", role)
        for role in ("requester", "legal", "procurement", "contract_manager", "auditor")
    }
    people["approver"] = create_user(
        cluster.env(), "Approver Person", "approver@council.example", "procurement"
    )
    api = {role: Api(cluster.api_url, token) for role, (_, token) in people.items()}
    today = date.today()
    response = api["requester"].post(
        "/cases",
        json={
            "title": "Library self-service kiosks",
            "description": "Eight kiosks with three years' support.",
            "category": "goods",
            "department": "Libraries",
            "estimated_value_pence": 120_000_00,
            "irrecoverable_vat_pence": 0,
            "needed_by": (today + timedelta(days=120)).isoformat(),
            "contract_required": True,
        },
    )
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    assert response.json()["route"] == "below_threshold"

    gate = wait_until(
        lambda: pending_gate(api["legal"], case_id, "legal_consultation"),
        what="the legal gate",
        timeout=180,
    )
    # A worker machine fails: the other takes the next stage's run.
    kill(cluster.processes["worker"][0])
    decide(api["legal"], case_id, gate, contract_type="Goods", key_contract=False)
    wait_until(
        lambda: stage_flow_finished(api["auditor"], case_id, "procurement"),
        what="the procurement run on the surviving worker",
        timeout=180,
    )

    # An API machine fails: the other answers on the same address.
    serving = api_processes(cluster.processes["api"][0].pid)
    assert len(serving) == 2
    os.kill(serving[0], signal.SIGKILL)
    for _ in range(3):
        bid = api["procurement"].post(
            f"/cases/{case_id}/bids",
            json={"supplier_name": "Kiosk Systems Ltd", "price_pence": 110_000_00, "score": 80},
        )
        if bid.status_code == 201:
            break
    assert bid.status_code == 201, bid.text
    recommended = api["procurement"].post(
        f"/cases/{case_id}/award-recommendation",
        json={"bid_id": bid.json()["id"], "rationale": "Best value"},
    )
    assert recommended.status_code == 200, recommended.text
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "award_approval"),
        what="the award gate",
        timeout=180,
    )
    # A dispatcher machine fails: the other submits the runs and sends the mail.
    kill(cluster.processes["dispatcher"][0])
    decide(api["approver"], case_id, gate)
    wait_until(
        lambda: api["auditor"].case(case_id)["stage"] == "signing",
        what="signing to open",
        timeout=180,
    )
    upload(api["legal"], case_id, "contractSigned")
    start = today + timedelta(days=14)
    contract = {
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=3 * 365)).isoformat(),
        "supplier_signed_on": today.isoformat(),
        "council_signed_on": today.isoformat(),
    }
    assert api["procurement"].put(f"/cases/{case_id}/contract", json=contract).status_code == 200
    gate = wait_until(
        lambda: pending_gate(api["legal"], case_id, "signing_confirmation"),
        what="the signing gate",
        timeout=180,
    )
    decide(api["legal"], case_id, gate)
    wait_until(
        lambda: stage_flow_finished(api["auditor"], case_id, "register-entry"),
        what="the register-entry run",
        timeout=180,
    )
    manager_id = people["contract_manager"][0]
    named = api["requester"].put(f"/cases/{case_id}/contract-manager", json={"user_id": manager_id})
    assert named.status_code == 200, named.text
    details = {"review_date": (today + timedelta(days=180)).isoformat()}
    assert (
        api["contract_manager"].patch(f"/cases/{case_id}/register-entry", json=details).status_code
        == 200
    )
    assert (
        api["contract_manager"].post(f"/cases/{case_id}/register-entry/submit").status_code == 200
    )
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "register_verification"),
        what="the register gate",
        timeout=180,
    )
    decide(api["procurement"], case_id, gate)
    wait_until(
        lambda: api["auditor"].case(case_id)["stage"] == "monitoring",
        what="monitoring",
        timeout=180,
    )
    ended = api["contract_manager"].post(
        f"/cases/{case_id}/exit", json={"reason": "terminated", "ended_on": today.isoformat()}
    )
    assert ended.status_code == 200, ended.text
    lesson = {"case_id": case_id, "text": "Check kiosk accessibility before the tender."}
    assert api["contract_manager"].post("/lessons", json=lesson).status_code == 201
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "closure"),
        what="the closure gate",
        timeout=180,
    )
    decide(api["procurement"], case_id, gate)

    # Nothing lost: closed, every stage entered, every run completed.
    final = api["auditor"].case(case_id)
    assert (final["status"], final["outcome"]) == ("closed", "completed")
    entered = [e["to_stage"] for e in final["timeline"] if e["action"] == "stage_entered"]
    assert entered == [
        "legal_consultation",
        "procurement",
        "signing",
        "register_entry",
        "monitoring",
        "exit",
    ]
    wait_until(
        lambda: all(
            run["status"] == "completed" for run in api["auditor"].case(case_id)["flow_runs"]
        ),
        what="every run recorded as completed",
        timeout=120,
    )
    # Nothing sent twice: every mail left the outbox, and each arrived once.
    wait_until(
        lambda: api["auditor"].get("/outbox/mail?status=pending").json() == [],
        what="every mail to be sent",
        timeout=120,
    )
    time.sleep(1)
    ids = Counter(str(message["Message-ID"]) for _, message in inbox.messages)
    assert ids and max(ids.values()) == 1, ids
    sent = api["auditor"].get("/outbox/mail?status=sent").json()
    assert len(sent) == len(ids)
