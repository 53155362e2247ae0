"""Training: naming an untrained manager for a key contract (or one of 500,000 or more) is
allowed and raises a training need (the manager and procurement are told); a record procurement
keeps meets it; training that lapses raises it again at the daily check; /training-needs and
the assurance report name who needs what. Over the API, on SQLite and PostgreSQL."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import AuditEvent, Bid, Case, Mail, RegisterEntry, User
from lifecycle.services import assurance, training
from lifecycle.settings import Settings

TODAY = date(2026, 11, 30)


def case_at_signing(engine: Engine, requester: User, **changes: Any) -> int:
    """A contract case at signing, written straight to the database."""
    assert requester.id is not None
    fields: dict[str, Any] = {
        "reference": "PR-2026-0001",
        "ocid": "ocds-test-1",
        "title": "Waste collection",
        "description": "Refuse vehicles and crews",
        "category": "services",
        "department": "Environment",
        "estimated_value_pence": 80_000_00,
        "needed_by": date(2027, 6, 1),
        "contract_required": True,
        "route": "below_threshold",
        "contract": True,
        "key_contract": True,
        "stage": "signing",
        "status": "in_progress",
        "requester_id": requester.id,
    }
    with transaction(engine) as session:
        case = Case(**(fields | changes))
        session.add(case)
        session.flush()
        assert case.id is not None
        return case.id


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """A fixed today, moved by the test when it needs to."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def test_an_untrained_manager_raises_a_need_that_training_meets_and_lapsing_reopens(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    helpers: Any,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, requester_token = make_user("requester")
    manager, manager_token = make_user("contract_manager", name="Sam Manager")
    buyer, buyer_token = make_user("procurement")
    _, auditor_token = make_user("auditor")
    case_id = case_at_signing(engine, requester)

    named = client.put(
        f"/cases/{case_id}/contract-manager",
        json={"user_id": manager.id},
        headers=helpers.auth(requester_token),
    )
    assert named.status_code == 200, named.text  # allowed, but noticed
    needs = client.get("/training-needs", headers=helpers.auth(auditor_token)).json()
    assert [(n["reference"], n["manager_name"], n["why"]) for n in needs] == [
        ("PR-2026-0001", "Sam Manager", "a key contract")
    ]
    with Session(engine) as session:
        told = [m.recipients for m in session.exec(select(Mail)) if "training" in m.key]
    assert told == [sorted([manager.email, buyer.email])]
    with Session(engine) as session:
        auditor = session.exec(select(User).where(User.roles == "auditor")).one()
        measures = assurance.report(session, by=auditor, settings=settings)
    # Not yet in force (signing): the report's measure waits for monitoring.
    trained = next(m for m in measures if m.key == "trained_managers")
    assert (trained.met, trained.of) == (0, 0)

    # Only procurement and admins record training; the dates must make sense.
    course = {
        "user_id": manager.id,
        "course": "Contract management practitioner",
        "provider": "Government Commercial College",
        "completed_on": (today - timedelta(days=10)).isoformat(),
        "valid_until": (today + timedelta(days=30)).isoformat(),
    }
    refused = client.post("/training-records", json=course, headers=helpers.auth(manager_token))
    assert refused.status_code == 403
    backwards = {**course, "valid_until": (today - timedelta(days=20)).isoformat()}
    wrong = client.post("/training-records", json=backwards, headers=helpers.auth(buyer_token))
    assert wrong.status_code == 422 and wrong.json()["field"] == "valid_until"
    recorded = client.post("/training-records", json=course, headers=helpers.auth(buyer_token))
    assert recorded.status_code == 201, recorded.text
    assert client.get("/training-needs", headers=helpers.auth(buyer_token)).json() == []

    # The manager reads their own records, and nobody else's.
    own = client.get("/training-records", headers=helpers.auth(manager_token)).json()
    assert [r["course"] for r in own] == ["Contract management practitioner"]
    other = client.get(f"/training-records?user_id={buyer.id}", headers=helpers.auth(manager_token))
    assert other.status_code == 404
    assert client.get("/training-needs", headers=helpers.auth(manager_token)).status_code == 403

    # The training lapses: the daily check raises the need again.
    monkeypatch.setattr(clock, "today", lambda: today + timedelta(days=31))
    with transaction(engine) as session:
        assert training.sweep(session, settings=settings) == 1
    needs = client.get("/training-needs", headers=helpers.auth(buyer_token)).json()
    assert [n["manager_name"] for n in needs] == ["Sam Manager"]


def test_a_small_ordinary_contract_needs_no_trained_manager(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, today: date
) -> None:
    requester, requester_token = make_user("requester")
    manager, _ = make_user("contract_manager")
    _, buyer_token = make_user("procurement")
    case_id = case_at_signing(engine, requester, key_contract=False)
    named = client.put(
        f"/cases/{case_id}/contract-manager",
        json={"user_id": manager.id},
        headers=helpers.auth(requester_token),
    )
    assert named.status_code == 200
    assert client.get("/training-needs", headers=helpers.auth(buyer_token)).json() == []


def test_the_report_names_the_untrained_manager_of_a_live_large_contract(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    helpers: Any,
    today: date,
) -> None:
    requester, requester_token = make_user("requester")
    manager, _ = make_user("contract_manager", name="Sam Manager")
    auditor, _ = make_user("auditor")
    case_id = case_at_signing(
        engine, requester, key_contract=False, estimated_value_pence=600_000_00
    )
    client.put(
        f"/cases/{case_id}/contract-manager",
        json={"user_id": manager.id},
        headers=helpers.auth(requester_token),
    )
    with transaction(engine) as session:
        case = session.get_one(Case, case_id)
        case.stage = "monitoring"
        session.add(case)
        session.add(AuditEvent(case_id=case_id, action="stage_entered", to_stage="monitoring"))
    with Session(engine) as session:
        measures = assurance.report(session, by=auditor, settings=settings)
    trained = next(m for m in measures if m.key == "trained_managers")
    assert (trained.met, trained.of) == (0, 1)
    assert trained.shortfalls == ["PR-2026-0001 (Sam Manager)"]


def test_the_command_line_records_training_and_lists_needs(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    today: date,
    cli: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("api.cli.get_settings", lambda: settings)
    requester, requester_token = make_user("requester")
    manager, _ = make_user("contract_manager", name="Sam Manager")
    buyer, _ = make_user("procurement")
    case_id = case_at_signing(engine, requester)
    client.put(
        f"/cases/{case_id}/contract-manager",
        json={"user_id": manager.id},
        headers=helpers.auth(requester_token),
    )
    code, out, _ = cli("training", "needs")
    assert code == 0 and out.startswith("PR-2026-0001\tSam Manager\ta key contract\tsince ")
    code, _, err = cli(
        "training",
        "record",
        "--email",
        manager.email,
        "--course",
        "Contract management",
        "--provider",
        "In house",
        "--completed-on",
        "30/11/2026",
        "--by",
        buyer.email,
    )
    assert code == 2 and "YYYY-MM-DD" in err
    code, out, _ = cli(
        "training",
        "record",
        "--email",
        manager.email,
        "--course",
        "Contract management",
        "--provider",
        "In house",
        "--completed-on",
        today.isoformat(),
        "--by",
        buyer.email,
    )
    assert code == 0 and "does not lapse" in out
    assert cli("training", "needs")[1] == ""


def test_a_need_is_met_when_its_case_closes_and_the_awarded_price_decides(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    helpers: Any,
    today: date,
) -> None:
    requester, requester_token = make_user("requester")
    manager, _ = make_user("contract_manager")
    buyer, buyer_token = make_user("procurement")
    # Estimated under 500,000, awarded over it: the award decides, as on the register.
    case_id = case_at_signing(engine, requester, key_contract=False)
    with transaction(engine) as session:
        bid = Bid(
            case_id=case_id,
            supplier_name="Fleet Ltd",
            price_pence=520_000_00,
            created_by=buyer.id,
        )
        session.add(bid)
        session.flush()
        case = session.get_one(Case, case_id)
        case.awarded_bid_id = bid.id
        session.add(case)
    client.put(
        f"/cases/{case_id}/contract-manager",
        json={"user_id": manager.id},
        headers=helpers.auth(requester_token),
    )
    needs = client.get("/training-needs", headers=helpers.auth(buyer_token)).json()
    assert [n["why"] for n in needs] == ["a contract of 500,000 or more (whole life)"]
    with transaction(engine) as session:
        case = session.get_one(Case, case_id)
        case.status = "closed"
        session.add(case)
    with transaction(engine) as session:
        assert training.sweep(session, settings=settings) == 0
    assert client.get("/training-needs", headers=helpers.auth(buyer_token)).json() == []


def test_a_variation_that_takes_a_contract_over_the_threshold_raises_a_need_at_the_check(
    engine: Engine, settings: Settings, make_user: Any, today: date
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager", name="Sam Manager")
    make_user("procurement")
    assert manager.id is not None
    case_id = case_at_signing(
        engine,
        requester,
        stage="monitoring",
        key_contract=False,
        estimated_value_pence=450_000_00,
        contract_manager_id=manager.id,
    )
    with transaction(engine) as session:
        session.add(
            RegisterEntry(
                case_id=case_id,
                status="published",
                reference="PR-2026-0001",
                ocid="ocds-test-1",
                title="Waste collection",
                department="Environment",
                description="Refuse vehicles and crews",
                value_pence=450_000_00,
            )
        )
    with transaction(engine) as session:
        assert training.sweep(session, settings=settings) == 0
    with transaction(engine) as session:  # an approved variation keeps the entry's value current
        entry = session.exec(select(RegisterEntry).where(RegisterEntry.case_id == case_id)).one()
        entry.value_pence = 550_000_00
        session.add(entry)
    with transaction(engine) as session:
        assert training.sweep(session, settings=settings) == 1
        assert training.open_needs(session)[0].case_id == case_id
