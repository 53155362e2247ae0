"""Stage flows may run twice (a retry, a redelivered request): a rerun after any step opens
no second gate, sends no second mail, drafts no second register entry and asks for no new
flow run. Walked over the API for a quotes-route contract from request to closure."""

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from lifecycle import clock
from lifecycle.models import AuditEvent, FlowRequest, Gate, Mail, RegisterEntry

PDF = b"%PDF-1.4\n% signed contract\n%%EOF\n"


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything a flow run may write, keyed so that a repeat shows up."""
    with Session(engine) as session:
        gates = session.exec(select(Gate)).all()
        mail = session.exec(select(Mail)).all()
        flows = session.exec(select(FlowRequest)).all()
        entries = session.exec(select(RegisterEntry)).all()
        events = session.exec(select(AuditEvent)).all()
        return {
            "gates": sorted((g.case_id, g.kind, g.round, g.status) for g in gates),
            "mail": sorted(m.key for m in mail),
            "flows": sorted(f.key for f in flows),
            "register": sorted((e.case_id, e.status) for e in entries),
            "events": len(events),
        }


def assert_consistent(engine: Engine) -> None:
    """No duplicates anywhere, whatever has run."""
    with Session(engine) as session:
        gates = session.exec(select(Gate)).all()
        pending = Counter(g.case_id for g in gates if g.status == "pending")
        assert all(n == 1 for n in pending.values()), pending
        rounds = Counter((g.case_id, g.kind, g.round) for g in gates)
        assert all(n == 1 for n in rounds.values()), rounds
        keys = Counter(m.key for m in session.exec(select(Mail)))
        assert all(n == 1 for n in keys.values()), keys
        opened = Counter(
            m.key for m in session.exec(select(Mail).where(Mail.notification == "gate_opened"))
        )
        assert len(opened) <= len(gates)
        flows = Counter(f.key for f in session.exec(select(FlowRequest)))
        assert all(n == 1 for n in flows.values()), flows
        entries = Counter(e.case_id for e in session.exec(select(RegisterEntry)))
        assert all(n == 1 for n in entries.values()), entries


class Steps:
    """Runs the flows after every step, then reruns them and checks nothing changed."""

    def __init__(self, client: TestClient, engine: Engine, run_flows: Any) -> None:
        self.client, self.engine, self.run_flows = client, engine, run_flows
        self.reruns = 0

    def settle(self) -> None:
        self.run_flows()
        assert_consistent(self.engine)
        settled = snapshot(self.engine)
        assert self.run_flows() == []
        # Requeue every request the runner already completed, as a redelivery would.
        with Session(self.engine) as session:
            for request in session.exec(select(FlowRequest)).all():
                request.status = "pending"
                session.add(request)
            session.commit()
        self.run_flows()
        self.reruns += 1
        assert_consistent(self.engine)
        again = snapshot(self.engine)
        assert again["gates"] == settled["gates"]
        assert again["mail"] == settled["mail"]
        assert again["flows"] == settled["flows"]
        assert again["register"] == settled["register"]
        assert again["events"] == settled["events"]

    def ok(self, method: str, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
        response = self.client.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        assert response.status_code in (200, 201), response.text
        self.settle()
        return dict(response.json())

    def pending_gate(self, case_id: int, token: str) -> dict[str, Any]:
        detail = self.client.get(
            f"/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert detail["pending_gate"] is not None, detail["timeline"]
        return dict(detail["pending_gate"])


def test_rerunning_flows_after_every_step_changes_nothing(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    _, legal_token = make_user("legal")
    _, buyer_token = make_user("procurement")
    _, approver_token = make_user("procurement")
    manager, manager_token = make_user("contract_manager")
    steps = Steps(client, engine, run_flows)
    today = clock.today()

    case = steps.ok(
        "post",
        "/cases",
        requester_token,
        json=helpers.purchase_request(estimated_value_pence=12_000_00),
    )
    case_id = case["id"]
    assert case["route"] == "quotes"

    def decide(token: str, body: dict[str, Any]) -> None:
        gate = steps.pending_gate(case_id, token)
        steps.ok("post", f"/cases/{case_id}/gates/{gate['id']}/decision", token, json=body)

    # Legal asks for changes, the requester resubmits: round 2 opens once.
    decide(legal_token, {"decision": "request_changes", "reason": "Name the lots"})
    steps.ok("patch", f"/cases/{case_id}/request", requester_token, json={"title": "Lots 1-2"})
    steps.ok("post", f"/cases/{case_id}/resubmit", requester_token)
    assert steps.pending_gate(case_id, legal_token)["round"] == 2
    decide(legal_token, {"decision": "approve", "contract_type": "Services", "key_contract": False})

    bid, *_ = [
        steps.ok(
            "post",
            f"/cases/{case_id}/bids",
            buyer_token,
            json={"supplier_name": supplier, "price_pence": price},
        )
        for supplier, price in (
            ("Acme Ltd", 11_000_00),
            ("Beta Ltd", 11_500_00),
            ("Gamma Ltd", 11_900_00),
        )
    ]
    steps.ok(
        "post",
        f"/cases/{case_id}/award-recommendation",
        buyer_token,
        json={"bid_id": bid["id"], "rationale": "Lowest of three quotes"},
    )
    decide(approver_token, {"decision": "approve"})

    steps.ok(
        "post",
        f"/cases/{case_id}/documents",
        legal_token,
        data={"document_type": "contractSigned", "title": "Signed"},
        files={"file": ("signed.pdf", PDF, "application/pdf")},
    )
    start = today + timedelta(days=7)
    steps.ok(
        "put",
        f"/cases/{case_id}/contract",
        buyer_token,  # legal confirms the signing, so another officer records the contract
        json={
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=365)).isoformat(),
            "supplier_signed_on": today.isoformat(),
            "council_signed_on": today.isoformat(),
        },
    )
    decide(legal_token, {"decision": "approve"})

    steps.ok(
        "put", f"/cases/{case_id}/contract-manager", requester_token, json={"user_id": manager.id}
    )
    steps.ok(
        "patch",
        f"/cases/{case_id}/register-entry",
        manager_token,
        json={"review_date": (start + timedelta(days=180)).isoformat()},
    )
    steps.ok("post", f"/cases/{case_id}/register-entry/submit", manager_token)
    decide(buyer_token, {"decision": "approve"})

    register = client.get("/register").json()
    assert [entry["reference"] for entry in register] == [case["reference"]]
    assert register[0]["status"] == "published"

    steps.ok(
        "post",
        f"/cases/{case_id}/exit",
        manager_token,
        json={"reason": "terminated", "ended_on": today.isoformat()},
    )
    steps.ok("post", "/lessons", manager_token, json={"case_id": case_id, "text": "none"})
    decide(buyer_token, {"decision": "approve"})

    detail = client.get(f"/cases/{case_id}", headers=helpers.auth(buyer_token)).json()
    assert (detail["status"], detail["outcome"]) == ("closed", "completed")
    assert [entry["status"] for entry in client.get("/register").json()] == ["ended"]
    kinds = Counter((g["kind"], g["round"]) for g in detail["gates"])
    assert kinds == {
        ("legal_consultation", 1): 1,
        ("legal_consultation", 2): 1,
        ("award_approval", 1): 1,
        ("signing_confirmation", 1): 1,
        ("register_verification", 1): 1,
        ("closure", 1): 1,
    }
    stages = [e["to_stage"] for e in detail["timeline"] if e["action"] == "stage_entered"]
    assert stages == [
        "legal_consultation",
        "procurement",
        "signing",
        "register_entry",
        "monitoring",
        "exit",
    ]
    with Session(engine) as session:
        opened = session.exec(
            select(Mail.key).where(Mail.case_id == case_id, Mail.notification == "gate_opened")
        ).all()
        assert len(opened) == len(detail["gates"])
        stage_open = session.exec(
            select(Mail.key).where(Mail.case_id == case_id, Mail.notification == "stage_open")
        ).all()
        assert sorted(stage_open) == sorted(set(stage_open))
        assert len(session.exec(select(RegisterEntry)).all()) == 1
    assert steps.reruns >= 15


def test_flow_request_keys_are_unique_in_the_database(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("requester")
    response = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    assert response.status_code == 201
    with Session(engine) as session:
        existing = session.exec(select(FlowRequest)).one()
        duplicate = FlowRequest(
            key=existing.key,
            case_id=existing.case_id,
            flow_name=existing.flow_name,
            run_name=existing.run_name,
            parameters=existing.parameters,
        )
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            session.commit()
    with Session(engine) as session:
        assert len(session.exec(select(FlowRequest)).all()) == 1
