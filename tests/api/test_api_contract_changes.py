"""Variations, expiry decisions and termination of a live contract, over the API on SQLite
and PostgreSQL: success, the wrong person, bad input, a second decision refused; the contract
and its register entry change only once every approval is given; the expiry alerts and the
termination-notice reminders each go once."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import (
    AuditEvent,
    Case,
    Contract,
    Document,
    ExpiryDecision,
    FlowRequest,
    Gate,
    Mail,
    RegisterEntry,
    User,
    VariationApproval,
)
from lifecycle.services import expiry, termination, variations
from lifecycle.settings import Settings

TODAY = date(2026, 12, 1)
VALUE = 1_000_000_00
GATE_KINDS = (
    "legal_consultation",
    "award_approval",
    "signing_confirmation",
    "register_verification",
)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """A fixed today."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def live_contract(
    engine: Engine,
    requester: User,
    manager: User,
    *,
    number: int = 1,
    end_date: date = date(2029, 12, 31),
    category: str = "services",
    route: str = "below_threshold",
) -> int:
    """A contract case in monitoring with its contract and published register entry, written
    straight to the database."""
    assert requester.id is not None and manager.id is not None
    reference = f"PR-2025-{number:04d}"  # numbered apart from new cases
    with transaction(engine) as session:
        case = Case(
            reference=reference,
            ocid=f"ocds-test-{number}",
            title="Waste collection",
            description="Refuse vehicles and crews",
            category=category,
            department="Environment",
            estimated_value_pence=VALUE,
            needed_by=date(2026, 1, 1),
            contract_required=True,
            route=route,
            contract=True,
            stage="monitoring",
            # Above threshold, the award was published and its standstill ended long ago.
            award_notice_published_on=date(2025, 11, 1) if route == "above_threshold" else None,
            standstill_last_day=date(2025, 11, 13) if route == "above_threshold" else None,
            status="in_progress",
            requester_id=requester.id,
            contract_manager_id=manager.id,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(
            Contract(
                case_id=case.id,
                start_date=date(2026, 1, 1),
                end_date=end_date,
                supplier_signed_on=date(2025, 12, 1),
                council_signed_on=date(2025, 12, 1),
                recorded_by=requester.id,
            )
        )
        session.add(
            RegisterEntry(
                case_id=case.id,
                status="published",
                reference=reference,
                ocid=f"ocds-test-{number}",
                title="Waste collection",
                department="Environment",
                description="Refuse vehicles and crews",
                supplier_name="Acme Waste Ltd",
                start_date=date(2026, 1, 1),
                end_date=end_date,
                value_pence=VALUE,
                review_date=date(2027, 1, 1),
                procurement_process="Published tender (below threshold)",
                contract_manager_name=manager.name,
            )
        )
        # What the rules ask of a case that entered monitoring: its gates approved and the
        # signed contract held, so it may go on to exit.
        for kind in GATE_KINDS:
            session.add(
                Gate(
                    case_id=case.id,
                    kind=kind,
                    role="procurement",
                    status="decided",
                    decision="approve",
                    due_on=date(2025, 12, 1),
                    decided_at=datetime(2025, 11, 1, tzinfo=UTC),
                )
            )
        session.add(
            Document(
                case_id=case.id,
                document_type="contractSigned",
                title="Signed contract",
                filename="contract.pdf",
                content_type="application/pdf",
                size_bytes=1,
                sha256=f"{number:064d}",
                uploaded_by=requester.id,
            )
        )
        return case.id


def contract_now(engine: Engine, case_id: int) -> tuple[date, date | None, int]:
    """The contract's end date, and its register entry's end date and value."""
    with Session(engine) as session:
        contract = session.exec(select(Contract).where(Contract.case_id == case_id)).one()
        entry = session.exec(select(RegisterEntry).where(RegisterEntry.case_id == case_id)).one()
        return contract.end_date, entry.end_date, entry.value_pence


def events(engine: Engine, case_id: int, action: str) -> list[dict[str, Any]]:
    """The details of a case's audit events of one kind, oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == case_id, AuditEvent.action == action)
            .order_by(col(AuditEvent.id))
        )
        return [row.detail for row in rows]


def test_a_small_variation_is_approved_by_procurement_and_changes_contract_and_register(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, today: date
) -> None:
    requester, requester_token = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    buyer, buyer_token = make_user("procurement")
    _, lawyer_token = make_user("legal")
    case_id = live_contract(engine, requester, manager)
    url = f"/cases/{case_id}/variations"
    body = {"what": "Add a fourth crew", "why": "New estate", "value_change_pence": 50_000_00}

    # Only the manager proposes; the input is checked before anything is written.
    assert client.post(url, json=body, headers=helpers.auth(buyer_token)).status_code == 403
    nothing = {**body, "value_change_pence": 0}
    refused = client.post(url, json=nothing, headers=helpers.auth(manager_token))
    assert refused.status_code == 422 and refused.json()["field"] == "value_change_pence"
    extra = client.post(url, json={**body, "oops": 1}, headers=helpers.auth(manager_token))
    assert extra.status_code == 422 and "oops" not in extra.text
    huge = {**body, "what": "x" * 5001}
    assert client.post(url, json=huge, headers=helpers.auth(manager_token)).status_code == 422

    proposed = client.post(url, json=body, headers=helpers.auth(manager_token))
    assert proposed.status_code == 201, proposed.text
    variation = proposed.json()
    assert variation["status"] == "pending" and variation["legal_because"] == ""
    assert [a["role"] for a in variation["approvals"]] == ["procurement"]
    assert [p["id"] for p in variation["approvals"][0]["waiting_on"]] == [buyer.id]
    again = client.post(url, json=body, headers=helpers.auth(manager_token))
    assert again.status_code == 409

    decide = f"{url}/{variation['id']}/decision"
    approve = {"role": "procurement", "decision": "approve"}
    assert client.post(decide, json=approve, headers=helpers.auth(lawyer_token)).status_code == 403
    assert (
        client.post(decide, json=approve, headers=helpers.auth(requester_token)).status_code == 403
    )
    legal = client.post(
        decide, json={"role": "legal", "decision": "approve"}, headers=helpers.auth(lawyer_token)
    )
    assert legal.status_code == 422 and legal.json()["field"] == "role"
    assert contract_now(engine, case_id) == (date(2029, 12, 31), date(2029, 12, 31), VALUE)

    approved = client.post(decide, json=approve, headers=helpers.auth(buyer_token))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["value_after_pence"] == VALUE + 50_000_00
    assert contract_now(engine, case_id) == (
        date(2029, 12, 31),
        date(2029, 12, 31),
        VALUE + 50_000_00,
    )
    second = client.post(decide, json=approve, headers=helpers.auth(buyer_token))
    assert second.status_code == 409
    [applied] = events(engine, case_id, "variation_applied")
    assert applied["value_before_pence"] == VALUE
    assert applied["value_after_pence"] == VALUE + 50_000_00
    listed = client.get(url, headers=helpers.auth(requester_token)).json()
    assert [v["status"] for v in listed] == ["approved"]
    # Deciding a variation is not a stage gate: the case stays in monitoring.
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and (case.stage, case.status) == ("monitoring", "in_progress")
        assert session.exec(select(Gate).where(Gate.status == "pending")).all() == []
        assert len(session.exec(select(Gate)).all()) == len(GATE_KINDS)


def test_a_large_variation_needs_legal_too_and_a_rejection_changes_nothing(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    settings: Settings,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, _ = make_user("requester")
    manager, manager_token = make_user("contract_manager", "procurement")
    buyer, buyer_token = make_user("procurement", "legal")
    lawyer, lawyer_token = make_user("legal")
    case_id = live_contract(engine, requester, manager)
    body = {
        "what": "Extend by a year and add garden waste",
        "why": "The new service starts next spring",
        "value_change_pence": 250_000_00,
        "new_end_date": "2030-12-31",
    }
    proposed = client.post(
        f"/cases/{case_id}/variations", json=body, headers=helpers.auth(manager_token)
    )
    assert proposed.status_code == 201, proposed.text
    variation = proposed.json()
    assert [a["role"] for a in variation["approvals"]] == ["procurement", "legal"]
    assert "10%" in variation["legal_because"] and "substantial" in variation["legal_because"]
    decide = f"/cases/{case_id}/variations/{variation['id']}/decision"

    # The proposer holds procurement's role but may not approve what they proposed.
    mine = client.post(
        decide,
        json={"role": "procurement", "decision": "approve"},
        headers=helpers.auth(manager_token),
    )
    assert mine.status_code == 403 and "proposed" in mine.json()["detail"]
    first = client.post(
        decide,
        json={"role": "procurement", "decision": "approve"},
        headers=helpers.auth(buyer_token),
    )
    assert first.status_code == 200 and first.json()["status"] == "pending"
    assert contract_now(engine, case_id) == (date(2029, 12, 31), date(2029, 12, 31), VALUE)
    # One officer does not give both approvals, even holding both roles.
    both = client.post(
        decide, json={"role": "legal", "decision": "approve"}, headers=helpers.auth(buyer_token)
    )
    assert both.status_code == 403
    shown = client.get(
        f"/cases/{case_id}/variations/{variation['id']}", headers=helpers.auth(lawyer_token)
    )
    legal_approval = shown.json()["approvals"][1]
    assert [person["name"] for person in legal_approval["waiting_on"]] == [lawyer.name]

    # Past its due date the open approval is reminded once, then escalated to the admins.
    admin, _ = make_user("admin")

    def remind(day: date) -> int:
        monkeypatch.setattr(clock, "today", lambda: day)
        with transaction(engine) as session:
            return variations.remind_overdue(session, settings=settings)

    due = date.fromisoformat(legal_approval["due_on"])
    assert remind(due) == 0
    assert remind(due + timedelta(days=1)) == 1
    assert remind(due + timedelta(days=2)) == 0
    assert remind(due + timedelta(days=30)) == 1
    assert remind(due + timedelta(days=31)) == 0
    with Session(engine) as session:
        told = [
            m.recipients
            for m in session.exec(
                select(Mail).where(col(Mail.key).contains(":legal:")).order_by(col(Mail.id))
            )
        ]
    assert told[-2:] == [[lawyer.email], sorted([lawyer.email, admin.email])]
    monkeypatch.setattr(clock, "today", lambda: today)

    no_reason = client.post(
        decide, json={"role": "legal", "decision": "reject"}, headers=helpers.auth(lawyer_token)
    )
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    rejected = client.post(
        decide,
        json={"role": "legal", "decision": "reject", "reason": "Needs a new procurement"},
        headers=helpers.auth(lawyer_token),
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert contract_now(engine, case_id) == (date(2029, 12, 31), date(2029, 12, 31), VALUE)
    assert events(engine, case_id, "variation_applied") == []
    again = client.post(
        decide,
        json={"role": "legal", "decision": "approve"},
        headers=helpers.auth(lawyer_token),
    )
    assert again.status_code == 409


def test_expiry_extends_within_the_option_and_a_second_decision_is_refused(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, today: date
) -> None:
    requester, requester_token = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    _, buyer_token = make_user("procurement")
    case_id = live_contract(engine, requester, manager, end_date=date(2027, 8, 31))
    shown = client.get(f"/cases/{case_id}/expiry", headers=helpers.auth(requester_token))
    assert shown.status_code == 200
    assert shown.json()["alerts"] == [
        {"months": 9, "on": "2026-11-30"},
        {"months": 6, "on": "2027-02-28"},
        {"months": 3, "on": "2027-05-31"},
    ]
    assert shown.json()["decision_needed"] is True  # the 9-month alert has come
    later = live_contract(engine, requester, manager, end_date=date(2027, 9, 2), number=2)
    early = client.get(f"/cases/{later}/expiry", headers=helpers.auth(requester_token)).json()
    assert early["decision_needed"] is False  # not asked for before its first alert

    decide = f"/cases/{case_id}/expiry/decision"
    extend = {"decision": "extend", "new_end_date": "2028-08-31"}
    no_option = client.post(decide, json=extend, headers=helpers.auth(manager_token))
    assert no_option.status_code == 409
    option = f"/cases/{case_id}/expiry/extension-option"
    assert (
        client.post(
            option, json={"extension_until": "2028-08-31"}, headers=helpers.auth(requester_token)
        ).status_code
        == 403
    )
    backwards = client.post(
        option, json={"extension_until": "2027-01-31"}, headers=helpers.auth(manager_token)
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "extension_until"
    recorded = client.post(
        option, json={"extension_until": "2028-08-31"}, headers=helpers.auth(manager_token)
    )
    assert recorded.status_code == 200 and recorded.json()["extension_until"] == "2028-08-31"
    beyond = {"decision": "extend", "new_end_date": "2028-09-01"}
    too_far = client.post(decide, json=beyond, headers=helpers.auth(buyer_token))
    assert too_far.status_code == 422 and too_far.json()["field"] == "new_end_date"
    assert (
        client.post(decide, json=extend, headers=helpers.auth(requester_token)).status_code == 403
    )

    extended = client.post(decide, json=extend, headers=helpers.auth(buyer_token))
    assert extended.status_code == 201, extended.text
    assert contract_now(engine, case_id)[:2] == (date(2028, 8, 31), date(2028, 8, 31))
    assert events(engine, case_id, "contract_extended")[0]["end_date_before"] == "2027-08-31"
    # The new end date needs its own decision; this one is taken, once.
    end = {"decision": "end", "reason": "No longer needed"}
    assert client.post(decide, json=end, headers=helpers.auth(manager_token)).status_code == 201
    assert client.post(decide, json=end, headers=helpers.auth(buyer_token)).status_code == 409
    after = client.get(f"/cases/{case_id}/expiry", headers=helpers.auth(manager_token)).json()
    assert after["decision_needed"] is False and after["decision"]["decision"] == "end"


def test_reprocure_opens_a_linked_case_that_goes_to_legal_again(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    today: date,
    run_flows: Any,
) -> None:
    requester, requester_token = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    make_user("legal")
    case_id = live_contract(engine, requester, manager, end_date=date(2027, 8, 31))
    decided = client.post(
        f"/cases/{case_id}/expiry/decision",
        json={"decision": "reprocure"},
        headers=helpers.auth(manager_token),
    )
    assert decided.status_code == 201, decided.text
    new_id = decided.json()["new_case_id"]
    linked = client.get(f"/cases/{new_id}", headers=helpers.auth(requester_token))
    assert linked.status_code == 200 and linked.json()["previous_case_id"] == case_id
    run_flows()
    with Session(engine) as session:
        new = session.get(Case, new_id)
        assert new is not None
        assert new.previous_case_id == case_id and new.requester_id == requester.id
        assert new.title == "Re-procurement: Waste collection"
        assert new.estimated_value_pence == VALUE and new.needed_by == date(2027, 8, 31)
        assert new.stage == "legal_consultation" and new.status == "awaiting_decision"
        gates = session.exec(select(Gate).where(Gate.case_id == new_id)).all()
        assert [gate.kind for gate in gates] == ["legal_consultation"]
        assert session.exec(select(FlowRequest).where(FlowRequest.case_id == new_id)).all()


def test_the_sweep_alerts_once_per_lead_escalates_and_ends_what_was_let_end(
    engine: Engine, make_user: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager")
    buyer, _ = make_user("procurement")
    soon = live_contract(engine, requester, manager, number=1, end_date=date(2027, 8, 31))
    later = live_contract(engine, requester, manager, number=2, end_date=date(2029, 8, 31))
    decided = live_contract(engine, requester, manager, number=3, end_date=date(2027, 2, 28))
    with transaction(engine) as session:
        assert manager.id is not None
        session.add(
            ExpiryDecision(
                case_id=decided, end_date=date(2027, 2, 28), decision="end", decided_by=manager.id
            )
        )

    def sweep(day: date) -> int:
        monkeypatch.setattr(clock, "today", lambda: day)
        with transaction(engine) as session:
            expiry.end_expired(session)
            return expiry.send_alerts(session, settings=settings)

    def keys() -> list[tuple[int | None, str, list[str]]]:
        with Session(engine) as session:
            rows = session.exec(select(Mail).order_by(col(Mail.id)))
            return [(m.case_id, m.key.split(":", 1)[1], m.recipients) for m in rows]

    assert sweep(date(2026, 11, 29)) == 0
    assert sweep(date(2026, 11, 30)) == 1
    assert sweep(date(2026, 12, 15)) == 0  # the same alert is not sent twice
    assert keys() == [(soon, "expiry:2027-08-31:9m", sorted([manager.email, buyer.email]))]
    # Found late (only the 3-month alert due): the latest alert goes, with its escalation.
    assert sweep(date(2027, 5, 31)) == 2
    assert sweep(date(2027, 5, 31)) == 0
    assert [key for case, key, _ in keys() if case == soon] == [
        "expiry:2027-08-31:9m",
        "expiry:2027-08-31:3m",
        "expiry-escalated:2027-08-31",
    ]
    assert all(case != later for case, _, _ in keys())
    # The contract let end moves to exit once its end date has passed.
    with Session(engine) as session:
        case = session.get(Case, decided)
        assert case is not None and case.stage == "exit"
        contract = session.exec(select(Contract).where(Contract.case_id == decided)).one()
        assert (contract.ended_on, contract.exit_reason) == (date(2027, 2, 28), "expired")


def test_termination_moves_to_exit_and_its_notice_is_tracked_until_published(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    settings: Settings,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, requester_token = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    buyer, buyer_token = make_user("procurement")
    case_id = live_contract(
        engine, requester, manager, end_date=date(2027, 8, 31), route="above_threshold"
    )
    # A below-threshold contract ended the same day: the Act asks no notice of it, so no mail.
    quote = live_contract(engine, requester, manager, end_date=date(2027, 8, 31), number=2)
    url = f"/cases/{case_id}/termination"
    body = {"terminated_on": "2026-11-30", "reason": "Supplier insolvent"}
    assert (
        client.post(f"/cases/{quote}/termination", json=body, headers=helpers.auth(buyer_token))
    ).status_code == 200
    assert client.post(url, json=body, headers=helpers.auth(requester_token)).status_code == 403
    for wrong in ("2027-08-31", "2026-12-02"):
        refused = client.post(
            url, json={**body, "terminated_on": wrong}, headers=helpers.auth(buyer_token)
        )
        assert refused.status_code == 422 and refused.json()["field"] == "terminated_on"
    assert (
        client.post(
            url, json={"terminated_on": "2026-11-30"}, headers=helpers.auth(buyer_token)
        ).status_code
        == 422
    )

    ended = client.post(url, json=body, headers=helpers.auth(buyer_token))
    assert ended.status_code == 200, ended.text
    assert ended.json()["termination_notice_due_on"] == "2026-12-29"
    assert client.post(url, json=body, headers=helpers.auth(buyer_token)).status_code == 409
    shown = client.get(url, headers=helpers.auth(manager_token)).json()
    assert shown["notice_due_on"] == "2026-12-29" and shown["notice_published_on"] is None
    detail = client.get(f"/cases/{case_id}", headers=helpers.auth(manager_token)).json()
    assert detail["stage"] == "exit"
    assert detail["contract_record"]["termination_reason"] == "Supplier insolvent"
    assert detail["contract_record"]["termination_notice_due_on"] == "2026-12-29"

    def remind(day: date) -> int:
        monkeypatch.setattr(clock, "today", lambda: day)
        with transaction(engine) as session:
            return termination.remind_notices(session, settings=settings)

    assert remind(date(2026, 12, 1)) == 1
    assert remind(date(2026, 12, 1)) == 0
    assert remind(date(2026, 12, 22)) == 1  # 7 days left
    assert remind(date(2026, 12, 30)) == 1  # overdue
    assert remind(date(2026, 12, 31)) == 0
    with Session(engine) as session:
        told = session.exec(select(Mail).where(col(Mail.key).contains("termination"))).all()
        assert all(m.recipients == sorted([manager.email, buyer.email]) for m in told)

    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 31))
    notice = f"{url}/notice"
    published = {"published_on": "2026-12-31", "notice_id": "UK11-2026-000123"}
    assert (
        client.post(notice, json=published, headers=helpers.auth(requester_token)).status_code
        == 403
    )
    early = {**published, "published_on": "2026-11-01"}
    assert client.post(notice, json=early, headers=helpers.auth(buyer_token)).status_code == 422
    recorded = client.post(notice, json=published, headers=helpers.auth(buyer_token))
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["termination_notice_id"] == "UK11-2026-000123"
    assert client.post(notice, json=published, headers=helpers.auth(buyer_token)).status_code == 409
    assert remind(date(2027, 1, 5)) == 0
    assert client.get(url, headers=helpers.auth(manager_token)).json()["notice_overdue"] is False


def delegate(client: TestClient, helpers: Any, token: str, to: int, role: str) -> int:
    """A delegation of `role` to `to`, from today for a week; its id."""
    today = clock.today()
    body = {
        "delegate_id": to,
        "role": role,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=6)).isoformat(),
    }
    answer = client.post("/delegations", json=body, headers=helpers.auth(token))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_a_delegate_gives_a_variation_approval_on_behalf_with_segregation_for_both(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    requester, _ = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    away, away_token = make_user("procurement", "legal", name="Ada Away")
    cover, cover_token = make_user("procurement", name="Bo Cover")
    _, stranger_token = make_user("procurement")
    case_id = live_contract(engine, requester, manager)
    body = {"what": "Add garden waste", "why": "Spring", "value_change_pence": 250_000_00}
    url = f"/cases/{case_id}/variations"
    variation = client.post(url, json=body, headers=helpers.auth(manager_token)).json()
    assert [a["role"] for a in variation["approvals"]] == ["procurement", "legal"]
    decide = f"{url}/{variation['id']}/decision"
    for_ada = {"role": "procurement", "decision": "approve", "on_behalf_of": away.id}

    # Without a delegation in force nobody gives it for Ada (and ids cannot be probed).
    for behalf in (away.id, 2**31 - 1):
        refused = client.post(
            decide, json={**for_ada, "on_behalf_of": behalf}, headers=helpers.auth(cover_token)
        )
        assert refused.status_code == 403 and refused.json()["field"] == "on_behalf_of"
        assert "no delegation in force for the role of this approval" in refused.json()["detail"]
    delegate(client, helpers, away_token, cover.id, "procurement")
    # Ada gave the legal approval herself: nobody gives her the procurement one too.
    legal = client.post(
        decide, json={"role": "legal", "decision": "approve"}, headers=helpers.auth(away_token)
    )
    assert legal.status_code == 200, legal.text
    barred = client.post(decide, json=for_ada, headers=helpers.auth(cover_token))
    assert barred.status_code == 403
    assert "could not decide this approval themselves" in barred.json()["detail"]
    stranger = client.post(decide, json=for_ada, headers=helpers.auth(stranger_token))
    assert stranger.status_code == 403
    with Session(engine) as session:
        pending = session.exec(
            select(VariationApproval).where(VariationApproval.role == "procurement")
        ).one()
        assert pending.status == "pending" and pending.decided_by is None


def test_a_delegate_gives_a_variation_approval_for_a_colleague_and_both_names_are_kept(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    requester, _ = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    away, away_token = make_user("procurement", name="Ada Away")
    cover, cover_token = make_user("procurement", name="Bo Cover")
    case_id = live_contract(engine, requester, manager)
    body = {"what": "Add a crew", "why": "New estate", "value_change_pence": 50_000_00}
    url = f"/cases/{case_id}/variations"
    variation = client.post(url, json=body, headers=helpers.auth(manager_token)).json()
    delegate(client, helpers, away_token, cover.id, "procurement")
    approved = client.post(
        f"{url}/{variation['id']}/decision",
        json={"role": "procurement", "decision": "approve", "on_behalf_of": away.id},
        headers=helpers.auth(cover_token),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    (approval,) = approved.json()["approvals"]
    assert (approval["decided_by"], approval["decided_for"]) == (cover.id, away.id)
    [decided] = events(engine, case_id, "variation_decided")
    assert (decided["on_behalf_of"], decided["on_behalf_of_name"]) == (away.id, "Ada Away")
    assert contract_now(engine, case_id)[2] == VALUE + 50_000_00


def test_a_colleague_an_approval_was_given_for_gives_no_other_and_is_not_waited_on(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    """Given for Ada by her delegate, the procurement approval bars Ada from the legal one as
    if she had given it herself: refused, and not among those it waits on."""
    requester, _ = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    away, away_token = make_user("procurement", "legal", name="Ada Away")
    cover, cover_token = make_user("procurement", name="Bo Cover")
    lawyer, _ = make_user("legal", name="Lee Lawyer")
    case_id = live_contract(engine, requester, manager)
    body = {"what": "Add garden waste", "why": "Spring", "value_change_pence": 250_000_00}
    url = f"/cases/{case_id}/variations"
    variation = client.post(url, json=body, headers=helpers.auth(manager_token)).json()
    decide = f"{url}/{variation['id']}/decision"
    delegate(client, helpers, away_token, cover.id, "procurement")
    given = client.post(
        decide,
        json={"role": "procurement", "decision": "approve", "on_behalf_of": away.id},
        headers=helpers.auth(cover_token),
    )
    assert given.status_code == 200, given.text
    legal = next(a for a in given.json()["approvals"] if a["role"] == "legal")
    assert [person["id"] for person in legal["waiting_on"]] == [lawyer.id]
    herself = client.post(
        decide, json={"role": "legal", "decision": "approve"}, headers=helpers.auth(away_token)
    )
    assert herself.status_code == 403 and "other approval" in herself.json()["detail"]


def test_no_approval_is_given_for_a_colleague_whose_delegation_ended_or_who_has_left(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    requester, _ = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    away, away_token = make_user("procurement", name="Ada Away")
    left, left_token = make_user("procurement", name="Lou Left")
    cover, cover_token = make_user("procurement", name="Bo Cover")
    case_id = live_contract(engine, requester, manager)
    body = {"what": "Add a crew", "why": "New estate", "value_change_pence": 50_000_00}
    url = f"/cases/{case_id}/variations"
    variation = client.post(url, json=body, headers=helpers.auth(manager_token)).json()
    decide = f"{url}/{variation['id']}/decision"
    withdrawn = delegate(client, helpers, away_token, cover.id, "procurement")
    answer = client.post(f"/delegations/{withdrawn}/withdraw", headers=helpers.auth(away_token))
    assert answer.status_code == 200, answer.text
    delegate(client, helpers, left_token, cover.id, "procurement")
    with transaction(engine) as session:
        leaver = session.get(User, left.id)
        assert leaver is not None
        leaver.active = False
        session.add(leaver)
    for behalf in (away.id, left.id):
        refused = client.post(
            decide,
            json={"role": "procurement", "decision": "approve", "on_behalf_of": behalf},
            headers=helpers.auth(cover_token),
        )
        assert refused.status_code == 403 and refused.json()["field"] == "on_behalf_of"
    with Session(engine) as session:
        assert session.exec(select(VariationApproval)).one().status == "pending"
