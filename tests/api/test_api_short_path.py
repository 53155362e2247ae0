"""A low-value purchase without a contract takes the short path: no legal consultation, one
quote, an award approved by a second procurement officer, and done, off the register."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from lifecycle.models import Gate, RegisterEntry


def test_low_value_purchase_without_contract_takes_the_short_path(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    requester, requester_token = make_user("requester")
    _, legal_token = make_user("legal")
    buyer, buyer_token = make_user("procurement")
    approver, approver_token = make_user("procurement")
    as_ = helpers.auth

    body = helpers.purchase_request(
        title="Office chairs",
        category="goods",
        estimated_value_pence=1_000_00,
        contract_required=False,
    )
    response = client.post("/cases", json=body, headers=as_(requester_token))
    assert response.status_code == 201, response.text
    case = response.json()
    case_id = case["id"]
    assert (case["route"], case["needs_contract"]) == ("low_value", False)
    run_flows()

    detail = client.get(f"/cases/{case_id}", headers=as_(buyer_token)).json()
    assert (detail["stage"], detail["status"]) == ("procurement", "in_progress")
    assert detail["pending_gate"] is None
    assert detail["gates"] == []

    response = client.post(
        f"/cases/{case_id}/bids",
        json={"supplier_name": "Seating Supplies Ltd", "price_pence": 950_00},
        headers=as_(buyer_token),
    )
    assert response.status_code == 201, response.text
    bid_id = response.json()["id"]
    response = client.post(
        f"/cases/{case_id}/award-recommendation",
        json={"bid_id": bid_id, "rationale": "Single quote within budget"},
        headers=as_(buyer_token),
    )
    assert response.status_code == 200, response.text
    run_flows()

    detail = client.get(f"/cases/{case_id}", headers=as_(approver_token)).json()
    gate = detail["pending_gate"]
    assert gate["kind"] == "award_approval" and gate["role"] == "procurement"
    # The buyer recorded the quote and recommended it: another officer approves (four eyes).
    waiting = {person["id"] for person in gate["waiting_on"]}
    assert approver.id in waiting and buyer.id not in waiting
    response = client.post(
        f"/cases/{case_id}/gates/{gate['id']}/decision",
        json={"decision": "approve"},
        headers=as_(approver_token),
    )
    assert response.status_code == 200, response.text
    assert run_flows() == []

    detail = client.get(f"/cases/{case_id}", headers=as_(requester_token)).json()
    assert (detail["status"], detail["outcome"]) == ("closed", "completed")
    assert detail["stage"] == "procurement"
    assert detail["awarded_bid_id"] == bid_id
    assert [g["kind"] for g in detail["gates"]] == ["award_approval"]
    assert detail["register_entry"] is None
    stages = [e["to_stage"] for e in detail["timeline"] if e["action"] == "stage_entered"]
    assert stages == ["procurement"]
    assert "case_closed" in [e["action"] for e in detail["timeline"]]

    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(RegisterEntry)).one() == 0
        kinds = session.exec(select(Gate.kind).where(Gate.case_id == case_id)).all()
        assert "legal_consultation" not in kinds
    assert client.get("/register").json() == []
    assert client.get("/register.csv").text.strip().count("\n") == 0  # header only

    mail = client.get("/outbox/mail", headers=as_(requester_token)).json()
    assert "gate_decided" in [m["notification"] for m in mail]
    # Legal was never consulted, so nothing was sent to them.
    assert client.get("/outbox/mail", headers=as_(legal_token)).json() == []


def test_low_value_purchase_with_a_contract_goes_to_legal_first(
    client: TestClient, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    _, legal_token = make_user("legal")
    body = helpers.purchase_request(estimated_value_pence=1_000_00, contract_required=True)
    response = client.post("/cases", json=body, headers=helpers.auth(requester_token))
    assert response.status_code == 201, response.text
    assert (response.json()["route"], response.json()["needs_contract"]) == ("low_value", True)
    run_flows()
    detail = client.get(f"/cases/{response.json()['id']}", headers=helpers.auth(legal_token))
    assert detail.json()["stage"] == "legal_consultation"
    assert detail.json()["pending_gate"]["kind"] == "legal_consultation"
