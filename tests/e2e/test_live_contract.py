"""A live contract's life after signature, on the whole product started as a user starts it and
driven over HTTP: a key contract over 5,000,000 with 3 KPIs and a trained manager reaches
monitoring; a variation is proposed and approved; months later the daily sweep, run on the
product's own Prefect server, sends the expiry alert, which is answered with re-procure; the new
linked case goes through early legal consultation again. Mail is checked at a real SMTP
server."""

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.support import ROOT, Api, Product, wait_until
from tests.e2e.test_whole_product import decide, pending_gate, stage_flow_finished, upload

pytestmark = pytest.mark.e2e

KPIS = [
    {"name": "Vehicles available", "measure": "Share of the fleet on the road", "target": "95%"},
    {"name": "Missed collections", "measure": "Per 100,000 collections", "target": "Under 30"},
    {"name": "Repairs on time", "measure": "Repairs within 48 hours", "target": "90%"},
]


def run_monitoring_sweep(product: Product) -> None:
    """Start the daily sweep now on the product's Prefect server, as an operator would from
    Prefect's own command line, instead of waiting for 07:00."""
    env = product.environment()
    env.setdefault("PREFECT_API_URL", f"http://127.0.0.1:{env['PROCURE_PREFECT_PORT']}/api")
    result = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "prefect"),
            "deployment",
            "run",
            "monitoring-sweep/monitoring-sweep",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_key_contract_is_varied_and_re_procured_when_it_expires(
    product_factory: Callable[..., Product], smtp: Any
) -> None:
    inbox, _ = smtp
    product = product_factory()
    product.start()
    people = {
        role: product.create_user(f"{role.title()} Person", f"{role}@council.example", role)
        for role in ("requester", "legal", "procurement", "contract_manager", "auditor")
    }
    people["approver"] = product.create_user(
        "Approver Person", "approver@council.example", "procurement"
    )
    api = {role: Api(product.url, token) for role, (_, token) in people.items()}
    manager_id = people["contract_manager"][0]
    # Stage runs in process: the dispatcher also serves the schedules (the sweep run below),
    # with no stage runner of its own.
    assert "dispatcher" in product.parts() and "runner" not in product.parts()
    today = date.today()

    # The manager's contract-management training is on record before they are named.
    trained = api["procurement"].post(
        "/training-records",
        json={
            "user_id": manager_id,
            "course": "Contract management practitioner",
            "provider": "Government Commercial College",
            "completed_on": (today - timedelta(days=30)).isoformat(),
        },
    )
    assert trained.status_code == 201, trained.text

    # Request, legal consultation (a key contract), procurement and the award.
    response = api["requester"].post(
        "/cases",
        json={
            "title": "Waste collection fleet and crews",
            "description": "Refuse collection for the whole borough, seven years.",
            "category": "services",
            "department": "Neighbourhood Services",
            "estimated_value_pence": 6_200_000_00,
            "irrecoverable_vat_pence": 0,
            "needed_by": (today + timedelta(days=200)).isoformat(),
            "contract_required": True,
        },
    )
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    gate = wait_until(
        lambda: pending_gate(api["legal"], case_id, "legal_consultation"), what="the legal gate"
    )
    decide(api["legal"], case_id, gate, contract_type="Services", key_contract=True)
    wait_until(
        lambda: stage_flow_finished(api["auditor"], case_id, "procurement"),
        what="the procurement flow run",
    )
    bid = api["procurement"].post(
        f"/cases/{case_id}/bids",
        json={
            "supplier_name": "Borough Environmental Ltd",
            "registration_number": "09876543",
            "price_pence": 6_000_000_00,
            "score": 81,
        },
    )
    assert bid.status_code == 201, bid.text
    recommended = api["procurement"].post(
        f"/cases/{case_id}/award-recommendation",
        json={"bid_id": bid.json()["id"], "rationale": "Best value"},
    )
    assert recommended.status_code == 200, recommended.text
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "award_approval"), what="the award gate"
    )
    decide(api["approver"], case_id, gate)
    notice = api["procurement"].post(
        f"/cases/{case_id}/award-notice", json={"published_on": today.isoformat()}
    )
    assert notice.status_code == 200, notice.text

    # The standstill passes while everything is stopped.
    product.stop()
    days = (date.fromisoformat(notice.json()["standstill_last_day"]) - today).days + 1
    product.start(days_ahead=days)
    now = today + timedelta(days=days)
    wait_until(
        lambda: api["legal"].case(case_id)["stage"] == "signing", timeout=120, what="signing"
    )

    # Signing: a two-year contract starting in a week.
    upload(api["legal"], case_id, "contractSigned")
    end = now + timedelta(days=737)
    contract = {
        "start_date": (now + timedelta(days=7)).isoformat(),
        "end_date": end.isoformat(),
        "supplier_signed_on": now.isoformat(),
        "council_signed_on": now.isoformat(),
    }
    recorded = api["procurement"].put(f"/cases/{case_id}/contract", json=contract)
    assert recorded.status_code == 200, recorded.text
    gate = wait_until(
        lambda: pending_gate(api["legal"], case_id, "signing_confirmation"), what="signing gate"
    )
    decide(api["legal"], case_id, gate)

    # Register entry: the trained manager is named (no training need), sets the three KPIs a
    # contract over 5,000,000 must have (s.52), and procurement verifies.
    wait_until(
        lambda: stage_flow_finished(api["auditor"], case_id, "register-entry"),
        what="the register-entry flow",
    )
    named = api["requester"].put(f"/cases/{case_id}/contract-manager", json={"user_id": manager_id})
    assert named.status_code == 200, named.text
    assert api["auditor"].get("/training-needs").json() == []
    for kpi in KPIS:
        added = api["contract_manager"].post(f"/cases/{case_id}/kpis", json=kpi)
        assert added.status_code == 201, added.text
    assert (
        api["contract_manager"]
        .patch(
            f"/cases/{case_id}/register-entry",
            json={"review_date": (now + timedelta(days=180)).isoformat()},
        )
        .status_code
        == 200
    )
    upload(api["contract_manager"], case_id, "contractArrangements")
    upload(api["contract_manager"], case_id, "contractSummary")
    assert (
        api["contract_manager"].post(f"/cases/{case_id}/register-entry/submit").status_code == 200
    )
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "register_verification"),
        what="the register gate",
    )
    decide(api["procurement"], case_id, gate)
    wait_until(
        lambda: api["auditor"].case(case_id)["stage"] == "monitoring", what="monitoring to start"
    )
    performance = wait_until(
        lambda: (
            (kpis := api["auditor"].get(f"/cases/{case_id}/kpis").json())["next_assessment_due"]
            and kpis
        ),
        what="the first KPI assessment to be scheduled",
    )
    assert [row["kpi"]["name"] for row in performance["kpis"]] == [kpi["name"] for kpi in KPIS]
    assert performance["shortfall"] == ""

    # A variation: more crews for a new estate, 5% of the value, so procurement alone decides.
    proposed = api["contract_manager"].post(
        f"/cases/{case_id}/variations",
        json={
            "what": "Two more crews for the new estate",
            "why": "Six hundred new homes",
            "value_change_pence": 300_000_00,
        },
    )
    assert proposed.status_code == 201, proposed.text
    variation = proposed.json()
    assert variation["status"] == "pending"
    assert [a["role"] for a in variation["approvals"]] == ["procurement"]
    path = f"/cases/{case_id}/variations/{variation['id']}/decision"
    approval = {"role": "procurement", "decision": "approve"}
    assert api["contract_manager"].post(path, json=approval).status_code == 403
    approved = api["procurement"].post(path, json=approval)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert api["approver"].post(path, json=approval).status_code == 409
    register = httpx.get(f"{product.url}/register").json()
    assert [row["value_pence"] for row in register] == [6_300_000_00]

    # Months pass: the contract ends in under 9 months. The daily sweep, run on the product's
    # Prefect server, alerts the manager and procurement once.
    product.stop()
    later = (end - timedelta(days=250) - today).days
    product.start(days_ahead=later)
    wait_until(
        lambda: api["auditor"].get(f"/cases/{case_id}/expiry").json()["decision_needed"],
        what="the expiry decision to be needed",
    )
    run_monitoring_sweep(product)

    def alerted() -> list[Any]:
        """The expiry alerts the manager has received."""
        return [
            mail
            for mail in inbox.for_address("contract_manager@council.example")
            if mail["X-Procure-Notification"] == "contract_expiring"
        ]

    assert len(wait_until(alerted, timeout=120, what="the expiry alert")) == 1
    assert any(
        m["X-Procure-Notification"] == "contract_expiring"
        for m in inbox.for_address("procurement@council.example")
    )
    run_monitoring_sweep(product)  # a second run sends nothing again

    # The answer: re-procure. A new case, linked and prefilled, starts at legal consultation.
    decided = api["contract_manager"].post(
        f"/cases/{case_id}/expiry/decision",
        json={"decision": "reprocure", "reason": "Service still needed; market has moved"},
    )
    assert decided.status_code == 201, decided.text
    new_case_id = decided.json()["new_case_id"]
    assert new_case_id is not None
    assert (
        api["contract_manager"]
        .post(f"/cases/{case_id}/expiry/decision", json={"decision": "end"})
        .status_code
        == 409
    )
    new_case = api["auditor"].case(new_case_id)
    assert new_case["previous_case_id"] == case_id
    assert new_case["title"] == "Re-procurement: Waste collection fleet and crews"
    assert new_case["department"] == "Neighbourhood Services"
    wait_until(
        lambda: pending_gate(api["legal"], new_case_id, "legal_consultation"),
        what="the new case's legal gate",
    )
    wait_until(
        lambda: api["auditor"].get("/outbox/mail?status=pending").json() == [],
        what="every mail to leave the outbox",
    )
    assert len(alerted()) == 1
    assert api["auditor"].get("/outbox/mail?status=failed").json() == []
