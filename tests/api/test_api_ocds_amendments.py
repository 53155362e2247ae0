"""A live contract's variation, extension and KPI assessment as public OCDS releases, on SQLite
and PostgreSQL: each change an amendment release, the releases published before it unchanged,
the record compiled to the latest value; and the quarter frozen with the register's value and end
date as they stood at its end, however the contract changed since."""

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Case, Kpi, RegisterEntry
from lifecycle.services import audit, quarters
from lifecycle.settings import Settings
from tests.api.test_api_contract_changes import TODAY, VALUE, live_contract
from tests.ocds_check import assert_valid

OCID = "ocds-test-1"


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """A fixed today, in the fourth quarter of 2026."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def published_entry(engine: Engine, case_id: int, manager_id: int) -> int:
    """Give the contract's register entry its publication (in Q3 2026, with the audit event a
    release is made of) and one KPI; the KPI's id."""
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        entry = session.exec(select(RegisterEntry).where(RegisterEntry.case_id == case_id)).one()
        entry.published_at = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
        session.add(entry)
        audit.record(session, case=case, actor_id=None, action="register_published")
        kpi = Kpi(
            case_id=case_id,
            name="Missed collections",
            measure="per 100,000",
            target="under 50",
            set_by=manager_id,
        )
        session.add(kpi)
        session.flush()
        assert kpi.id is not None
        return kpi.id


def change_the_contract(
    client: TestClient, helpers: Any, case_id: int, manager: str, buyer: str, kpi_id: int
) -> None:
    """A variation approved, the end date extended within the option, the KPIs assessed."""
    url = f"/cases/{case_id}/variations"
    body = {"what": "Add a fourth crew", "why": "New estate", "value_change_pence": 50_000_00}
    proposed = client.post(url, json=body, headers=helpers.auth(manager))
    assert proposed.status_code == 201, proposed.text
    approved = client.post(
        f"{url}/{proposed.json()['id']}/decision",
        json={"role": "procurement", "decision": "approve"},
        headers=helpers.auth(buyer),
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    option = client.post(
        f"/cases/{case_id}/expiry/extension-option",
        json={"extension_until": "2028-08-31"},
        headers=helpers.auth(manager),
    )
    assert option.status_code == 200, option.text
    extended = client.post(
        f"/cases/{case_id}/expiry/decision",
        json={"decision": "extend", "new_end_date": "2028-08-31"},
        headers=helpers.auth(buyer),
    )
    assert extended.status_code == 201, extended.text
    assessed = client.post(
        f"/cases/{case_id}/assessments",
        json={"period_end": "2026-11-30", "ratings": [{"kpi_id": kpi_id, "rating": "good"}]},
        headers=helpers.auth(manager),
    )
    assert assessed.status_code == 201, assessed.text


def test_changes_are_amendments_and_earlier_releases_stay_as_published(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, today: date
) -> None:
    requester, _ = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    _, buyer_token = make_user("procurement")
    case_id = live_contract(engine, requester, manager, end_date=date(2027, 8, 31))
    assert manager.id is not None
    kpi_id = published_entry(engine, case_id, manager.id)
    before = client.get("/ocds/releases").json()["releases"]
    assert [r["tag"] for r in before] == [["contractUpdate"]]

    change_the_contract(client, helpers, case_id, manager_token, buyer_token, kpi_id)
    package = client.get("/ocds/releases").json()
    assert_valid("release", package)
    after = package["releases"]
    assert [r["tag"] for r in after] == [
        ["contractUpdate"],
        ["contractAmendment"],
        ["contractAmendment"],
        ["implementation"],
    ]
    # Published before the changes, the register's release is byte for byte what it was.
    assert json.dumps(after[0]) == json.dumps(before[0])
    assert after[0]["contracts"][0]["value"]["amount"] == VALUE / 100
    variation, extension = after[1]["contracts"][0], after[2]["contracts"][0]
    assert variation["value"]["amount"] == (VALUE + 50_000_00) / 100
    assert variation["period"]["endDate"] == "2027-08-31T00:00:00Z"
    (amendment,) = variation["amendments"]
    assert amendment["rationale"] == "New estate"
    assert amendment["description"] == "Add a fourth crew; value £1,000,000.00 to £1,050,000.00."
    assert amendment["amendsReleaseID"] == after[0]["id"]
    assert amendment["releaseID"] == after[1]["id"]
    assert extension["period"]["endDate"] == "2028-08-31T00:00:00Z"
    assert extension["amendments"][1]["description"] == (
        "Contract extended; end date 2027-08-31 to 2028-08-31."
    )
    (milestone,) = after[3]["contracts"][0]["implementation"]["milestones"]
    assert (milestone["status"], milestone["description"]) == ("met", "Missed collections: good")

    record = client.get(f"/ocds/records/{OCID}").json()
    assert_valid("record", record)
    (contract,) = record["records"][0]["compiledRelease"]["contracts"]
    assert contract["value"]["amount"] == (VALUE + 50_000_00) / 100
    assert contract["period"]["endDate"] == "2028-08-31T00:00:00Z"
    assert len(contract["amendments"]) == 2

    # A KPI renamed later leaves the published assessment as it was.
    renamed = client.put(
        f"/cases/{case_id}/kpis/{kpi_id}",
        json={"name": "Missed bins", "measure": "per 100,000", "target": "under 30", "reason": "x"},
        headers=helpers.auth(manager_token),
    )
    assert renamed.status_code == 200, renamed.text
    again = client.get("/ocds/releases").json()["releases"]
    assert json.dumps(again[3]) == json.dumps(after[3])


def test_a_quarter_shows_the_register_as_it_stood_at_its_end(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    settings: Settings,
    today: date,
) -> None:
    requester, _ = make_user("requester")
    manager, manager_token = make_user("contract_manager")
    _, buyer_token = make_user("procurement")
    case_id = live_contract(engine, requester, manager, end_date=date(2027, 8, 31))
    assert manager.id is not None
    kpi_id = published_entry(engine, case_id, manager.id)
    # Changed in December, after the third quarter ended.
    change_the_contract(client, helpers, case_id, manager_token, buyer_token, kpi_id)

    q3 = quarters.quarter_from("2026-Q3")
    with transaction(engine) as session:
        row, published = quarters.publish(session, quarter=q3, settings=settings)
        assert published
        text = row.csv_text
    (entry,) = csv.DictReader(io.StringIO(text))
    assert (entry["Value (GBP, whole life)"], entry["End date"]) == ("1000000.00", "2027-08-31")
    with transaction(engine) as session:
        rebuilt, _, entries = quarters.build(session, quarter=q3, settings=settings)
    assert rebuilt.encode() == text.encode() and entries == 1
