"""Roles and segregation of duties: only the gate's role decides it, never the case's own
requester; auditors read but change nothing; a gate is decided once; a rejection closes."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from lifecycle.models import AuditEvent, Case, Gate


def raise_case(client: TestClient, token: str, helpers: Any, run_flows: Any) -> dict[str, Any]:
    """Raise an above-threshold case and let its flow open the legal gate."""
    response = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    assert response.status_code == 201, response.text
    run_flows()
    detail = client.get(f"/cases/{response.json()['id']}", headers=helpers.auth(token)).json()
    assert detail["pending_gate"]["kind"] == "legal_consultation"
    return dict(detail)


APPROVE = {"decision": "approve", "contract_type": "Services", "key_contract": False}


def decide(client: TestClient, case: dict[str, Any], token: str, body: dict[str, Any]) -> Any:
    gate_id = case["pending_gate"]["id"]
    return client.post(
        f"/cases/{case['id']}/gates/{gate_id}/decision",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def gate_status(engine: Engine, gate_id: int) -> tuple[str, str | None]:
    with Session(engine) as session:
        gate = session.get(Gate, gate_id)
        assert gate is not None
        return gate.status, gate.decision


def test_requester_only_user_cannot_decide_a_gate(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    _, other_requester_token = make_user("requester")
    case = raise_case(client, requester_token, helpers, run_flows)
    response = decide(client, case, requester_token, APPROVE)
    assert response.status_code == 403, response.text
    assert "legal" in response.json()["detail"]
    # Another requester may not even read the case: it is not found.
    assert decide(client, case, other_requester_token, APPROVE).status_code == 404
    assert gate_status(engine, case["pending_gate"]["id"]) == ("pending", None)


def test_wrong_role_cannot_decide_a_gate(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    case = raise_case(client, requester_token, helpers, run_flows)
    # Those who read every case are refused the decision; a contract manager the case does not
    # name may not read it, so for them it is not found.
    for roles, refused in (
        (("procurement",), 403),
        (("contract_manager",), 404),
        (("auditor",), 403),
        (("admin",), 403),
    ):
        _, token = make_user(*roles)
        for body in (APPROVE, {"decision": "reject", "reason": "No"}):
            response = decide(client, case, token, body)
            assert response.status_code == refused, (roles, response.text)
    assert gate_status(engine, case["pending_gate"]["id"]) == ("pending", None)


def test_requester_holding_the_gate_role_cannot_decide_their_own_case(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    dual, dual_token = make_user("requester", "legal")
    legal, legal_token = make_user("legal")
    case = raise_case(client, dual_token, helpers, run_flows)
    waiting = [person["id"] for person in case["pending_gate"]["waiting_on"]]
    assert legal.id in waiting and dual.id not in waiting

    for body in (APPROVE, {"decision": "reject", "reason": "Mine"}):
        response = decide(client, case, dual_token, body)
        assert response.status_code == 403, response.text
        assert "requester" in response.json()["detail"]
    assert gate_status(engine, case["pending_gate"]["id"]) == ("pending", None)
    assert client.get("/cases?waiting_on_me=true", headers=helpers.auth(dual_token)).json() == []

    opened = [
        m
        for m in client.get("/outbox/mail", headers=helpers.auth(legal_token)).json()
        if m["notification"] == "gate_opened"
    ]
    assert len(opened) == 1 and opened[0]["recipients"] == [legal.email]

    response = decide(client, case, legal_token, APPROVE)
    assert response.status_code == 200, response.text
    assert response.json()["decided_by"] == legal.id
    assert gate_status(engine, case["pending_gate"]["id"]) == ("decided", "approve")


def test_dual_role_user_may_decide_someone_elses_case(
    client: TestClient, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    _, dual_token = make_user("requester", "legal")
    case = raise_case(client, requester_token, helpers, run_flows)
    response = decide(client, case, dual_token, APPROVE)
    assert response.status_code == 200, response.text


def test_auditor_reads_everything_but_cannot_raise_a_case(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    _, auditor_token = make_user("auditor")
    case = raise_case(client, requester_token, helpers, run_flows)
    response = client.get(f"/cases/{case['id']}", headers=helpers.auth(auditor_token))
    assert response.status_code == 200, response.text
    assert response.json()["reference"] == case["reference"]
    listed = client.get("/cases", headers=helpers.auth(auditor_token)).json()
    assert [c["id"] for c in listed] == [case["id"]]

    with Session(engine) as session:
        before = (
            session.exec(select(func.count()).select_from(Case)).one(),
            session.exec(select(func.count()).select_from(AuditEvent)).one(),
        )
    response = client.post(
        "/cases", json=helpers.purchase_request(), headers=helpers.auth(auditor_token)
    )
    assert response.status_code == 403, response.text
    assert "requester" in response.json()["detail"]
    with Session(engine) as session:
        after = (
            session.exec(select(func.count()).select_from(Case)).one(),
            session.exec(select(func.count()).select_from(AuditEvent)).one(),
        )
    assert after == before


def test_second_decision_on_a_decided_gate_is_a_conflict(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    _, legal_token = make_user("legal")
    _, other_legal_token = make_user("legal")
    case = raise_case(client, requester_token, helpers, run_flows)
    assert decide(client, case, legal_token, APPROVE).status_code == 200
    with Session(engine) as session:
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    for token, body in (
        (legal_token, APPROVE),
        (other_legal_token, APPROVE),
        (other_legal_token, {"decision": "reject", "reason": "Too late"}),
    ):
        response = decide(client, case, token, body)
        assert response.status_code == 409, response.text
        assert "already decided" in response.json()["detail"]
    assert gate_status(engine, case["pending_gate"]["id"]) == ("decided", "approve")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events


def test_rejection_at_legal_closes_the_case_and_tells_the_requester(
    client: TestClient, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    requester, requester_token = make_user("requester")
    legal, legal_token = make_user("legal")
    case = raise_case(client, requester_token, helpers, run_flows)
    response = decide(client, case, legal_token, {"decision": "reject"})
    assert response.status_code == 422  # a rejection must give its reason
    response = decide(
        client, case, legal_token, {"decision": "reject", "reason": "No budget this year"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == "reject"
    assert run_flows() == []

    detail = client.get(f"/cases/{case['id']}", headers=helpers.auth(requester_token)).json()
    assert (detail["status"], detail["outcome"]) == ("closed", "rejected")
    assert detail["pending_gate"] is None
    assert detail["closed_at"] is not None
    assert "case_closed" in [event["action"] for event in detail["timeline"]]

    mail = client.get("/outbox/mail", headers=helpers.auth(requester_token)).json()
    decided = [m for m in mail if m["notification"] == "gate_decided"]
    assert len(decided) == 1
    assert decided[0]["recipients"] == [requester.email]
    assert decided[0]["case_id"] == case["id"]
    assert "rejected" in decided[0]["subject"]
    assert "No budget this year" in decided[0]["text_body"]
    assert legal.email not in decided[0]["recipients"]

    # A closed case takes no more work.
    response = client.patch(
        f"/cases/{case['id']}/request",
        json={"title": "Try again"},
        headers=helpers.auth(requester_token),
    )
    assert response.status_code == 409
    assert (
        client.post(
            f"/cases/{case['id']}/resubmit", headers=helpers.auth(requester_token)
        ).status_code
        == 409
    )
