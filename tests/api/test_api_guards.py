"""Guards found by review: a value lowered during legal consultation keeps the contract path,
an award notice cannot be backdated past the approval, the quotes route needs three quotes,
a stale flow plan cannot undo a request for changes, cases are read by those they concern,
and overdue gates are reminded then escalated once."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Gate, Mail
from lifecycle.plans import Step
from lifecycle.rules import GateKind, Stage
from lifecycle.services import cases, gates, stagework
from lifecycle.settings import Settings

APPROVE_LEGAL = {"decision": "approve", "contract_type": "Services", "key_contract": False}


class Walk:
    """A case walked over the API by a requester, legal and two buyers."""

    def __init__(self, client: TestClient, make_user: Any, helpers: Any, run_flows: Any) -> None:
        self.client, self.helpers, self.run_flows = client, helpers, run_flows
        self.requester = make_user("requester")[1]
        self.legal = make_user("legal")[1]
        self.buyer = make_user("procurement")[1]
        self.approver = make_user("procurement")[1]

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.helpers.auth(token), **kwargs)

    def ok(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = self.call(method, path, token, **kwargs)
        assert response.status_code in (200, 201), response.text
        self.run_flows()
        return response.json()

    def raise_case(self, **overrides: Any) -> int:
        body = self.helpers.purchase_request(**overrides)
        return int(self.ok("post", "/cases", self.requester, json=body)["id"])

    def gate(self, case_id: int) -> dict[str, Any]:
        return dict(self.ok("get", f"/cases/{case_id}", self.legal)["pending_gate"])

    def decide(self, case_id: int, token: str, body: dict[str, Any]) -> Any:
        gate = self.gate(case_id)
        return self.call("post", f"/cases/{case_id}/gates/{gate['id']}/decision", token, json=body)

    def bids(self, case_id: int, count: int) -> list[int]:
        return [
            self.ok(
                "post",
                f"/cases/{case_id}/bids",
                self.buyer,
                json={"supplier_name": f"Supplier {n}", "price_pence": 20_000_00 + n},
            )["id"]
            for n in range(count)
        ]


@pytest.fixture
def walk(client: TestClient, make_user: Any, helpers: Any, run_flows: Any) -> Walk:
    return Walk(client, make_user, helpers, run_flows)


def test_lowering_the_value_during_legal_keeps_the_contract_path(walk: Walk) -> None:
    case_id = walk.raise_case(estimated_value_pence=10_000_00, contract_required=False)
    body = {"decision": "request_changes", "reason": "Check the value"}
    assert walk.decide(case_id, walk.legal, body).status_code == 200
    walk.ok(
        "patch",
        f"/cases/{case_id}/request",
        walk.requester,
        json={"estimated_value_pence": 4_000_00},
    )
    walk.ok("post", f"/cases/{case_id}/resubmit", walk.requester)
    response = walk.decide(case_id, walk.legal, APPROVE_LEGAL)
    assert response.status_code == 200, response.text
    case = walk.ok("get", f"/cases/{case_id}", walk.legal)
    assert (case["route"], case["needs_contract"], case["stage"]) == (
        "low_value",
        True,
        "procurement",
    )


def test_award_notice_cannot_predate_the_award_approval(walk: Walk) -> None:
    case_id = walk.raise_case()
    assert walk.decide(case_id, walk.legal, APPROVE_LEGAL).status_code == 200
    bid_id = walk.bids(case_id, 1)[0]
    walk.ok(
        "post",
        f"/cases/{case_id}/award-recommendation",
        walk.buyer,
        json={"bid_id": bid_id, "rationale": "Best value"},
    )
    assert walk.decide(case_id, walk.approver, {"decision": "approve"}).status_code == 200
    backdated = (clock.today() - timedelta(days=60)).isoformat()
    response = walk.call(
        "post", f"/cases/{case_id}/award-notice", walk.buyer, json={"published_on": backdated}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "published_on"
    assert walk.ok("get", f"/cases/{case_id}", walk.legal)["status"] == "in_progress"


def test_quotes_route_needs_three_quotes_before_a_recommendation(walk: Walk) -> None:
    case_id = walk.raise_case(estimated_value_pence=20_000_00)
    assert walk.decide(case_id, walk.legal, APPROVE_LEGAL).status_code == 200
    first = walk.bids(case_id, 1)[0]
    body = {"bid_id": first, "rationale": "Cheapest"}
    response = walk.call("post", f"/cases/{case_id}/award-recommendation", walk.buyer, json=body)
    assert response.status_code == 409 and "3 written quotes" in response.json()["detail"]
    walk.bids(case_id, 2)
    walk.ok("post", f"/cases/{case_id}/award-recommendation", walk.buyer, json=body)
    assert walk.gate(case_id)["kind"] == "award_approval"


def test_a_stale_plan_cannot_reopen_a_gate_sent_back(
    walk: Walk, engine: Engine, settings: Settings
) -> None:
    case_id = walk.raise_case()
    body = {"decision": "request_changes", "reason": "More detail"}
    assert walk.decide(case_id, walk.legal, body).status_code == 200
    # A legal-consultation run planned before the decision now performs its OPEN_GATE step.
    with transaction(engine) as session:
        stagework.perform(
            session,
            case=cases.get_for_change(session, case_id=case_id, user=None),
            stage=Stage.LEGAL_CONSULTATION,
            step=Step.OPEN_GATE,
            gate=GateKind.LEGAL_CONSULTATION,
            settings=settings,
        )
    case = walk.ok("get", f"/cases/{case_id}", walk.legal)
    assert case["status"] == "changes_requested" and case["pending_gate"] is None
    assert len(case["gates"]) == 1


def test_cases_are_read_by_the_people_they_name_and_the_teams(walk: Walk, make_user: Any) -> None:
    case_id = walk.raise_case()
    stranger = make_user("requester")[1]
    hidden = walk.call("get", f"/cases/{case_id}", stranger)
    missing = walk.call("get", "/cases/999999", stranger)
    # Not "forbidden": a stranger learns nothing, not even that the case exists.
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == f"no case with id {case_id}"
    assert walk.ok("get", "/cases", stranger) == []
    assert [c["id"] for c in walk.ok("get", "/cases", walk.requester)] == [case_id]
    auditor = make_user("auditor")[1]
    assert walk.call("get", f"/cases/{case_id}", auditor).status_code == 200


def test_overdue_gates_are_reminded_then_escalated_once(
    walk: Walk,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin, _ = make_user("admin")
    case_id = walk.raise_case()
    with Session(engine) as session:
        due_on = session.exec(select(Gate.due_on).where(Gate.case_id == case_id)).one()

    def remind(days_after_due: int) -> int:
        monkeypatch.setattr(clock, "today", lambda: due_on + timedelta(days=days_after_due))
        with transaction(engine) as session:
            return gates.remind_overdue(session, settings=settings)

    assert remind(0) == 0
    assert remind(1) == 1  # the reminder
    assert remind(2) == 0
    assert remind(14) == 1  # past the escalation period: admins are told
    assert remind(15) == 0
    with Session(engine) as session:
        reminders = session.exec(select(Mail).where(Mail.notification == "gate_reminder")).all()
        count = session.exec(select(func.count()).select_from(Mail)).one()
    assert count >= 2
    escalation = [mail for mail in reminders if mail.key.endswith(":escalation")]
    assert len(escalation) == 1 and admin.email in escalation[0].recipients


def test_whoever_prepared_the_award_cannot_approve_it(walk: Walk, engine: Engine) -> None:
    """The officer who recorded the bids and recommended the award is refused in words and
    is not among those the gate waits on; a colleague approves."""
    case_id = walk.raise_case()
    assert walk.decide(case_id, walk.legal, APPROVE_LEGAL).status_code == 200
    bid_id = walk.bids(case_id, 1)[0]
    walk.ok(
        "post",
        f"/cases/{case_id}/award-recommendation",
        walk.approver,
        json={"bid_id": bid_id, "rationale": "Best value"},
    )
    refused = walk.decide(case_id, walk.approver, {"decision": "approve"})
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "you recommended this award, so another officer must decide it"
    )
    recorded = walk.decide(case_id, walk.buyer, {"decision": "approve"})
    assert recorded.status_code == 403
    assert recorded.json()["detail"].startswith("you recorded a bid in this procurement")
    gate = walk.gate(case_id)
    assert gate["kind"] == "award_approval" and gate["status"] == "pending"
    with Session(engine) as session:
        assert (
            session.exec(
                select(func.count())
                .select_from(Gate)
                .where(Gate.decision.is_not(None), Gate.kind == "award_approval")
            ).one()
            == 0
        )  # type: ignore[union-attr]
