"""The whole product, started as a user starts it and driven over HTTP only: one
above-threshold key contract from purchase request to closure. The standstill's timer survives
a restart of every process, and the mail is checked at a real SMTP server."""

import csv
import io
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from lifecycle.kpis import add_months
from tests.e2e.support import Api, Product, fresh_postgres_database, wait_until

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n%%EOF\n"


def stage_flow_finished(api: Api, case_id: int, flow_name: str, count: int = 1) -> bool:
    """Whether `count` runs of a stage flow have completed for the case."""
    runs = [r for r in api.case(case_id)["flow_runs"] if r["flow_name"] == flow_name]
    return sum(r["status"] == "completed" for r in runs) >= count


def pending_gate(api: Api, case_id: int, kind: str) -> dict[str, Any] | None:
    """The case's pending gate when it is of `kind`."""
    gate = api.case(case_id)["pending_gate"]
    return gate if gate and gate["kind"] == kind else None


def decide(api: Api, case_id: int, gate: dict[str, Any], **body: Any) -> None:
    """Decide a gate, asserting success."""
    response = api.post(
        f"/cases/{case_id}/gates/{gate['id']}/decision", json={"decision": "approve", **body}
    )
    assert response.status_code == 200, response.text


def upload(api: Api, case_id: int, kind: str) -> None:
    """Upload a PDF of an OCDS document type."""
    response = api.post(
        f"/cases/{case_id}/documents",
        data={"document_type": kind},
        files={"file": (f"{kind}.pdf", PDF + kind.encode(), "application/pdf")},
    )
    assert response.status_code == 201, response.text


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The embedded default (SQLite), and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_postgres_database() as url:
        yield url


def test_one_case_through_all_seven_stages(
    product_factory: Callable[..., Product],
    smtp: Any,
    record_property: Any,
    database_url: str | None,
) -> None:
    inbox, _ = smtp
    product = product_factory(database_url=database_url)
    startup_seconds = product.start()
    record_property("startup_seconds", round(startup_seconds, 1))

    people = {
        role: product.create_user(f"{role.title()} Person", f"{role}@council.example", role)
        for role in ("requester", "legal", "procurement", "contract_manager", "auditor")
    }
    # A second procurement officer approves the award the first one prepared (four eyes).
    people["approver"] = product.create_user(
        "Approver Person", "approver@council.example", "procurement"
    )
    api = {role: Api(product.url, token) for role, (_, token) in people.items()}
    email = {role: f"{role}@council.example" for role in people}
    assert api["auditor"].get("/me").json()["roles"] == ["auditor"]
    assert httpx.get(f"{product.url}/cases").status_code == 401

    # 1. Purchase request: the API answers at once; the stage flow runs in Prefect.
    today = date.today()
    began = time.monotonic()
    response = api["requester"].post(
        "/cases",
        json={
            "title": "Waste collection vehicles",
            "description": "Twelve refuse collection vehicles with five years' maintenance.",
            "category": "goods",
            "department": "Neighbourhood Services",
            "estimated_value_pence": 2_400_000_00,
            "irrecoverable_vat_pence": 0,
            "needed_by": (today + timedelta(days=200)).isoformat(),
            "contract_required": True,
        },
    )
    answered = time.monotonic() - began
    record_property("raise_case_seconds", round(answered, 3))
    assert response.status_code == 201, response.text
    case = response.json()
    case_id, reference = case["id"], case["reference"]
    assert answered < 2.0 and case["stage"] == "purchase_request"
    assert case["route"] == "above_threshold"

    # 2. Early legal consultation, decided by legal only.
    gate = wait_until(
        lambda: pending_gate(api["legal"], case_id, "legal_consultation"), what="the legal gate"
    )
    assert [c["id"] for c in api["legal"].get("/cases?waiting_on_me=true").json()] == [case_id]
    assert (
        api["requester"]
        .post(f"/cases/{case_id}/gates/{gate['id']}/decision", json={"decision": "approve"})
        .status_code
        == 403
    )
    decided = time.monotonic()
    decide(api["legal"], case_id, gate, contract_type="Goods and services", key_contract=True)
    wait_until(
        lambda: stage_flow_finished(api["auditor"], case_id, "procurement"),
        what="the procurement flow run",
    )
    record_property("decision_to_next_flow_seconds", round(time.monotonic() - decided, 2))
    assert (
        api["legal"]
        .post(f"/cases/{case_id}/gates/{gate['id']}/decision", json={"decision": "approve"})
        .status_code
        == 409
    )

    # 3. Procurement, award approval, award notice: the standstill starts.
    bid = api["procurement"].post(
        f"/cases/{case_id}/bids",
        json={
            "supplier_name": "Northern Fleet Ltd",
            "registration_number": "07654321",
            "sme": True,
            "price_pence": 2_250_000_00,
            "score": 86,
        },
    )
    assert bid.status_code == 201, bid.text
    assert (
        api["procurement"]
        .post(
            f"/cases/{case_id}/award-recommendation",
            json={"bid_id": bid.json()["id"], "rationale": "Highest quality score"},
        )
        .status_code
        == 200
    )
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "award_approval"), what="the award gate"
    )
    decide(api["approver"], case_id, gate)
    notice = api["procurement"].post(
        f"/cases/{case_id}/award-notice", json={"published_on": today.isoformat()}
    )
    assert notice.status_code == 200, notice.text
    last_day = date.fromisoformat(notice.json()["standstill_last_day"])
    assert notice.json()["status"] == "standstill"

    # Every process stops; days pass; everything starts again. The timer was in the database.
    product.stop()
    days = (last_day - today).days + 1
    product.start(days_ahead=days)
    now = today + timedelta(days=days)
    wait_until(
        lambda: api["legal"].case(case_id)["stage"] == "signing",
        timeout=120,
        what="signing to open after the standstill",
    )

    # 4. Signing: documents in the central repository, dates, legal's confirmation.
    upload(api["legal"], case_id, "contractSigned")
    contract = {
        "start_date": (now + timedelta(days=7)).isoformat(),
        "end_date": (now + timedelta(days=7 + 5 * 365)).isoformat(),
        "supplier_signed_on": now.isoformat(),
        "council_signed_on": now.isoformat(),
    }
    # Procurement records the contract; legal, who did not, confirms the signing.
    response = api["procurement"].put(f"/cases/{case_id}/contract", json=contract)
    assert response.status_code == 200, response.text
    gate = wait_until(
        lambda: pending_gate(api["legal"], case_id, "signing_confirmation"), what="the signing gate"
    )
    decide(api["legal"], case_id, gate)

    # 5. Register entry: the named manager completes it, procurement verifies.
    wait_until(
        lambda: stage_flow_finished(api["auditor"], case_id, "register-entry"),
        what="the register-entry flow",
    )
    manager_id = people["contract_manager"][0]
    assert (
        api["requester"]
        .put(f"/cases/{case_id}/contract-manager", json={"user_id": manager_id})
        .status_code
        == 200
    )
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
    # The contract's KPIs (Procurement Act s.52), set before it goes live.
    for name in ("Vehicle availability", "Missed collections", "Emissions"):
        kpi = {"name": name, "measure": "monthly", "target": "as agreed"}
        assert api["contract_manager"].post(f"/cases/{case_id}/kpis", json=kpi).status_code == 201
    assert (
        api["contract_manager"].post(f"/cases/{case_id}/register-entry/submit").status_code == 200
    )
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "register_verification"),
        what="the register gate",
    )
    decide(api["procurement"], case_id, gate)

    # 6. Monitoring: the entry is published; the manager reviews.
    wait_until(lambda: httpx.get(f"{product.url}/register").json(), what="the register")
    rows = list(csv.DictReader(io.StringIO(httpx.get(f"{product.url}/register.csv").text)))
    assert [row["Reference"] for row in rows] == [reference]
    row = rows[0]
    assert row["Supplier name"] == "Northern Fleet Ltd"
    assert row["Supplier registration number"] == "07654321" and row["SME"] == "Yes"
    assert row["Contract manager"] == "Contract_Manager Person"
    assert row["Value (GBP, whole life)"] == "2250000.00"
    assert row["Start date"] == contract["start_date"] and row["Status"] == "published"
    # The monitoring flow schedules the first KPI assessment 12 months after the start (s.71).
    performance = wait_until(
        lambda: (
            (body := api["auditor"].get(f"/cases/{case_id}/kpis").json())["next_assessment_due"]
            and body
        ),
        what="the first KPI assessment to be scheduled",
    )
    assert len(performance["kpis"]) == 3 and performance["shortfall"] == ""
    start = date.fromisoformat(contract["start_date"])
    assert performance["next_assessment_due"] == add_months(start, 12).isoformat()

    # 7. Exit: the closure needs a lesson; the register shows the contract ended.
    response = api["contract_manager"].post(
        # Terminated before its start date: it ended today, the day the exit is recorded.
        f"/cases/{case_id}/exit",
        json={"reason": "terminated", "ended_on": now.isoformat()},
    )
    assert response.status_code == 200, response.text
    gate = wait_until(
        lambda: pending_gate(api["procurement"], case_id, "closure"), what="the closure gate"
    )
    assert (
        api["procurement"]
        .post(f"/cases/{case_id}/gates/{gate['id']}/decision", json={"decision": "approve"})
        .status_code
        == 409
    )
    assert (
        api["contract_manager"]
        .post("/lessons", json={"case_id": case_id, "text": "Plan fleet lead times earlier."})
        .status_code
        == 201
    )
    decide(api["procurement"], case_id, gate)
    final = api["auditor"].case(case_id)
    assert (final["status"], final["outcome"]) == ("closed", "completed")
    ended = list(csv.DictReader(io.StringIO(httpx.get(f"{product.url}/register.csv").text)))
    assert ended[0]["Status"] == "ended" and ended[0]["Ended on"] == now.isoformat()

    # The audit timeline: every stage, every decision, every document.
    timeline = final["timeline"]
    entered = [e["to_stage"] for e in timeline if e["action"] == "stage_entered"]
    assert entered == [
        "legal_consultation",
        "procurement",
        "signing",
        "register_entry",
        "monitoring",
        "exit",
    ]
    decisions = [
        (e["detail"]["gate"], e["actor"]) for e in timeline if e["action"] == "gate_decided"
    ]
    assert decisions == [
        ("legal_consultation", "Legal Person"),
        ("award_approval", "Approver Person"),
        ("signing_confirmation", "Legal Person"),
        ("register_verification", "Procurement Person"),
        ("closure", "Procurement Person"),
    ]
    assert sum(e["action"] == "document_uploaded" for e in timeline) == 3

    # The dispatcher copies each run's final state from Prefect a moment after it ends: the exit
    # flow that opened the closure gate may still read "running" when the gate is decided.
    def runs_completed() -> list[Any] | None:
        """The case's flow runs once every one reads completed."""
        runs = api["auditor"].case(case_id)["flow_runs"]
        return runs if runs and all(run["status"] == "completed" for run in runs) else None

    wait_until(runs_completed, what="every stage flow run to be recorded as completed")

    # The mail each person received at the SMTP server.
    def subjects(role: str) -> list[str]:
        return [str(m["Subject"]) for m in inbox.for_address(email[role])]

    wait_until(
        lambda: api["auditor"].get("/outbox/mail?status=pending").json() == [],
        what="every mail to leave the outbox",
    )
    for role in ("requester", "legal", "procurement", "contract_manager"):
        assert subjects(role), f"{role} received no mail"
        assert all(reference in subject for subject in subjects(role))
    kinds = {
        role: {m["X-Procure-Notification"] or "" for m in inbox.for_address(email[role])}
        for role in email
    }
    assert {"gate_opened"} <= kinds["legal"]
    assert {"request_received", "gate_decided"} <= kinds["requester"]
    assert {"manager_named"} <= kinds["contract_manager"]
    assert {"gate_opened", "stage_open"} <= kinds["procurement"]
    assert subjects("auditor") == []
    assert api["auditor"].get("/outbox/mail?status=failed").json() == []
