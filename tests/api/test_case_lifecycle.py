"""One above-threshold key contract through all seven stages over the API, on SQLite and
PostgreSQL, with the stage work performed in-process exactly as the stage flows plan it."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle import clock
from lifecycle.calendar import start_of_day
from lifecycle.models import Mail

PDF = b"%PDF-1.4\n% signed contract\n%%EOF\n"


def mail_to(engine: Engine, email: str) -> list[str]:
    """The notification types in the outbox for one address, in order."""
    with Session(engine) as session:
        return [m.notification for m in session.exec(select(Mail)) if email in m.recipients]


def upload(client: TestClient, case_id: int, token: str, kind: str, data: bytes = PDF) -> Any:
    """Upload a PDF of an OCDS document type."""
    return client.post(
        f"/cases/{case_id}/documents",
        headers={"Authorization": f"Bearer {token}"},
        data={"document_type": kind, "title": kind},
        files={"file": (f"{kind}.pdf", data + kind.encode(), "application/pdf")},
    )


def test_above_threshold_key_contract_from_request_to_closure(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    run_flows: Any,
    helpers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, requester_token = make_user("requester")
    legal, legal_token = make_user("legal")
    buyer, buyer_token = make_user("procurement")
    manager, manager_token = make_user("contract_manager")
    _, auditor_token = make_user("auditor")
    requester_and_legal, dual_token = make_user("requester", "legal")
    as_ = helpers.auth

    # 1. Purchase request: answered at once from the database.
    # The estimate's irrecoverable VAT differs from the awarded bid's: the register must take
    # value and VAT from the same source (the award).
    request = helpers.purchase_request(irrecoverable_vat_pence=9_000_00)
    response = client.post("/cases", json=request, headers=as_(requester_token))
    assert response.status_code == 201, response.text
    case = response.json()
    case_id = case["id"]
    assert case["reference"] == f"PR-{date.today().year}-0001"
    assert (case["stage"], case["status"], case["route"]) == (
        "purchase_request",
        "in_progress",
        "above_threshold",
    )
    run_flows()

    # 2. Early legal consultation.
    detail = client.get(f"/cases/{case_id}", headers=as_(auditor_token)).json()
    assert detail["stage"] == "legal_consultation"
    assert detail["status"] == "awaiting_decision"
    gate = detail["pending_gate"]
    assert gate["kind"] == "legal_consultation" and gate["role"] == "legal"
    assert legal.id in [person["id"] for person in gate["waiting_on"]]
    waiting = client.get("/cases?waiting_on_me=true", headers=as_(legal_token)).json()
    assert [c["id"] for c in waiting] == [case_id]
    assert client.get("/cases?waiting_on_me=true", headers=as_(buyer_token)).json() == []

    decide = f"/cases/{case_id}/gates/{gate['id']}/decision"
    assert (
        client.post(decide, json={"decision": "approve"}, headers=as_(buyer_token)).status_code
        == 403
    )
    assert (
        client.post(
            decide, json={"decision": "request_changes"}, headers=as_(legal_token)
        ).status_code
        == 422
    )
    response = client.post(
        decide,
        json={"decision": "request_changes", "reason": "Split the lots"},
        headers=as_(legal_token),
    )
    assert response.status_code == 200, response.text
    assert (
        client.post(decide, json={"decision": "approve"}, headers=as_(legal_token)).status_code
        == 409
    )
    assert "changes_requested" in mail_to(engine, requester.email)

    response = client.patch(
        f"/cases/{case_id}/request",
        json={"title": "Highways (two lots)"},
        headers=as_(requester_token),
    )
    assert response.status_code == 200, response.text
    assert (
        client.post(f"/cases/{case_id}/resubmit", headers=as_(requester_token)).status_code == 200
    )
    run_flows()
    run_flows()  # a rerun opens nothing new
    detail = client.get(f"/cases/{case_id}", headers=as_(legal_token)).json()
    gate = detail["pending_gate"]
    assert gate["round"] == 2
    assert len([g for g in detail["gates"] if g["status"] == "pending"]) == 1

    decide = f"/cases/{case_id}/gates/{gate['id']}/decision"
    # A requester who also holds the legal role cannot decide their own case's gate; here the
    # dual-role user is not the requester, so only segregation of duties is at stake below.
    assert requester_and_legal.id != requester.id
    response = client.post(decide, json={"decision": "approve"}, headers=as_(legal_token))
    assert response.status_code == 422 and response.json()["field"] == "contract_type"
    response = client.post(
        decide,
        json={"decision": "approve", "contract_type": "Services (NEC4)", "key_contract": True},
        headers=as_(legal_token),
    )
    assert response.status_code == 200, response.text
    run_flows()

    # 3. Procurement: bids, recommendation, award approval, award notice, standstill.
    bids = []
    for supplier, price in (("Acme Highways Ltd", 420_000_00), ("Roadcare CIC", 435_000_00)):
        response = client.post(
            f"/cases/{case_id}/bids",
            json={
                "supplier_name": supplier,
                "registration_number": "01234567",
                "sme": True,
                "price_pence": price,
                "irrecoverable_vat_pence": price // 100,
                "score": 80,
            },
            headers=as_(buyer_token),
        )
        assert response.status_code == 201, response.text
        bids.append(response.json()["id"])
    response = client.post(
        f"/cases/{case_id}/award-recommendation",
        json={"bid_id": bids[0], "rationale": "Best price-quality score"},
        headers=as_(buyer_token),
    )
    assert response.status_code == 200, response.text
    run_flows()
    detail = client.get(f"/cases/{case_id}", headers=as_(buyer_token)).json()
    gate = detail["pending_gate"]
    assert gate["kind"] == "award_approval"
    _, second_buyer_token = make_user("procurement")
    response = client.post(
        f"/cases/{case_id}/gates/{gate['id']}/decision",
        json={"decision": "approve"},
        headers=as_(second_buyer_token),
    )
    assert response.status_code == 200, response.text
    today = clock.today()
    response = client.post(
        f"/cases/{case_id}/award-notice",
        json={"published_on": today.isoformat()},
        headers=as_(buyer_token),
    )
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["status"] == "standstill"
    last_day = date.fromisoformat(detail["standstill_last_day"])
    assert last_day >= today + timedelta(days=9)  # 8 working days span a weekend at least
    assert run_flows() == []  # the timer is not due yet

    # Time passes: the standstill ends and signing opens by itself.
    after = last_day + timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda: after)
    run_flows(now=start_of_day(after))
    detail = client.get(f"/cases/{case_id}", headers=as_(legal_token)).json()
    assert detail["stage"] == "signing"

    # 4. Signing.
    assert upload(client, case_id, legal_token, "contractSigned").status_code == 201
    contract = {
        "start_date": (after + timedelta(days=14)).isoformat(),
        "end_date": (after + timedelta(days=14 + 4 * 365)).isoformat(),
        "supplier_signed_on": after.isoformat(),
        "council_signed_on": after.isoformat(),
    }
    # Legal confirms the signing, so procurement records the contract (segregation of duties).
    response = client.put(f"/cases/{case_id}/contract", json=contract, headers=as_(buyer_token))
    assert response.status_code == 200, response.text
    run_flows()
    gate = client.get(f"/cases/{case_id}", headers=as_(legal_token)).json()["pending_gate"]
    assert gate["kind"] == "signing_confirmation"
    response = client.post(
        f"/cases/{case_id}/gates/{gate['id']}/decision",
        json={"decision": "approve"},
        headers=as_(legal_token),
    )
    assert response.status_code == 200, response.text
    run_flows()
    # Signed and confirmed: the signed contract is a record, neither replaced nor joined.
    for data in (PDF, PDF + b"% a second signed copy"):
        response = upload(client, case_id, legal_token, "contractSigned", data)
        assert response.status_code == 409 and "variation" in response.json()["detail"]

    # 5. Register entry: named manager, completed fields, verification.
    response = client.put(
        f"/cases/{case_id}/contract-manager",
        json={"user_id": manager.id},
        headers=as_(requester_token),
    )
    assert response.status_code == 200, response.text
    assert "manager_named" in mail_to(engine, manager.email)
    response = client.patch(
        f"/cases/{case_id}/register-entry",
        json={"review_date": (after + timedelta(days=200)).isoformat()},
        headers=as_(manager_token),
    )
    assert response.status_code == 200, response.text
    response = client.post(f"/cases/{case_id}/register-entry/submit", headers=as_(manager_token))
    assert response.status_code == 200, response.text
    run_flows()
    gate = client.get(f"/cases/{case_id}", headers=as_(buyer_token)).json()["pending_gate"]
    assert gate["kind"] == "register_verification"
    decide = f"/cases/{case_id}/gates/{gate['id']}/decision"
    response = client.post(decide, json={"decision": "approve"}, headers=as_(buyer_token))
    assert response.status_code == 409
    assert "exit plan" in response.json()["detail"]
    assert upload(client, case_id, manager_token, "contractArrangements").status_code == 201
    assert upload(client, case_id, manager_token, "contractSummary").status_code == 201
    response = client.post(decide, json={"decision": "approve"}, headers=as_(buyer_token))
    assert response.status_code == 200, response.text
    run_flows()

    # 6. Monitoring: published on the register; a review.
    register = client.get("/register").json()
    assert [entry["reference"] for entry in register] == [case["reference"]]
    assert register[0]["contract_manager_name"] == manager.name
    assert (register[0]["value_pence"], register[0]["irrecoverable_vat_pence"]) == (
        420_000_00,
        4_200_00,
    )
    csv_text = client.get("/register.csv").text
    assert case["reference"] in csv_text and "Acme Highways Ltd" in csv_text
    review = {
        "period_start": contract["start_date"],
        "period_end": contract["start_date"],
        "rag": "green",
        "kpis": [{"name": "Response time", "target": "24h", "result": "20h", "rating": "good"}],
        "notes": "First month on track",
    }
    monkeypatch.setattr(clock, "today", lambda: after + timedelta(days=30))
    response = client.post(f"/cases/{case_id}/reviews", json=review, headers=as_(manager_token))
    assert response.status_code == 201, response.text

    # A new contract manager takes over: the published register follows.
    successor, manager_token = make_user("contract_manager", name="Sam Successor")
    response = client.put(
        f"/cases/{case_id}/contract-manager",
        json={"user_id": successor.id},
        headers=as_(requester_token),
    )
    assert response.status_code == 200, response.text
    assert client.get("/register").json()[0]["contract_manager_name"] == "Sam Successor"

    # 7. Exit: closure needs a lesson. A contract has ended by the day its exit is recorded.
    tomorrow = (after + timedelta(days=31)).isoformat()
    response = client.post(
        f"/cases/{case_id}/exit",
        json={"reason": "expired", "ended_on": tomorrow},
        headers=as_(manager_token),
    )
    assert response.status_code == 422 and response.json()["field"] == "ended_on"
    assert "future" in response.json()["detail"]
    response = client.post(
        f"/cases/{case_id}/exit",
        json={"reason": "terminated", "ended_on": contract["start_date"]},
        headers=as_(manager_token),
    )
    assert response.status_code == 200, response.text
    run_flows()
    gate = client.get(f"/cases/{case_id}", headers=as_(buyer_token)).json()["pending_gate"]
    assert gate["kind"] == "closure"
    decide = f"/cases/{case_id}/gates/{gate['id']}/decision"
    response = client.post(decide, json={"decision": "approve"}, headers=as_(buyer_token))
    assert response.status_code == 409 and "lessons" in response.json()["detail"]
    response = client.post(
        "/lessons",
        json={"case_id": case_id, "text": "Agree KPIs earlier"},
        headers=as_(manager_token),
    )
    assert response.status_code == 201, response.text
    response = client.post(decide, json={"decision": "approve"}, headers=as_(buyer_token))
    assert response.status_code == 200, response.text

    detail = client.get(f"/cases/{case_id}", headers=as_(auditor_token)).json()
    assert (detail["status"], detail["outcome"]) == ("closed", "completed")
    assert client.get("/register").json()[0]["status"] == "ended"
    stages = [e["to_stage"] for e in detail["timeline"] if e["action"] == "stage_entered"]
    assert stages == [
        "legal_consultation",
        "procurement",
        "signing",
        "register_entry",
        "monitoring",
        "exit",
    ]
    assert {
        "gate_opened",
        "gate_decided",
        "document_uploaded",
        "standstill_started",
        "contract_recorded",
        "register_published",
        "review_submitted",
        "case_closed",
    } <= {event["action"] for event in detail["timeline"]}
    assert all(run["status"] == "completed" for run in detail["flow_runs"])
    assert "gate_opened" in mail_to(engine, legal.email)

    # The auditor's assurance report: every fix the audit asked for holds for this contract.
    assert client.get("/assurance", headers=as_(requester_token)).status_code == 403
    report = {m["name"]: m for m in client.get("/assurance", headers=as_(auditor_token)).json()}
    applicable = [m for m in report.values() if m["of"]]
    assert all(m["met"] == m["of"] == 1 and m["shortfalls"] == [] for m in applicable), report
    assert report["closed contracts with lessons recorded"]["share"] == 1.0
    assert report["live contracts with no overdue review"]["of"] == 0
    assert "stage_open" in mail_to(engine, buyer.email)
