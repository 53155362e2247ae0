"""The public OCDS API over a case taken through every stage, on SQLite and PostgreSQL: at each
stage every release procure can build for the case validates, every public endpoint is read and
shows nothing of the case until its register entry is published, and after that the release and
record packages validate."""

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Case, RegisterEntry
from lifecycle.ocds_record import record, record_package, release_package
from lifecycle.services import ocds
from lifecycle.settings import Settings
from tests.ocds_check import assert_valid
from tests.routes import paths

PDF = b"%PDF-1.4\n% signed contract\n%%EOF\n"
TITLE = "Zebra crossing renewal ZQX"
SUPPLIER = "Quokka Paving Ltd"


def public_paths(client: TestClient, ocid: str, case_id: int) -> list[str]:
    """Every GET route, its path parameters filled in where the case gives them."""
    fill = {"ocid": ocid, "case_id": str(case_id)}
    found = []
    for path in paths(client.app.routes, "GET"):  # type: ignore[attr-defined]
        names = re.findall(r"{(\w+)(?::\w+)?}", path)
        if all(name in fill for name in names):
            found.append(re.sub(r"{(\w+)(?::\w+)?}", lambda m: fill[m.group(1)], path))
    return sorted(set(found))


def read_everything_public(client: TestClient, ocid: str, case_id: int) -> dict[str, str]:
    """What every GET answers to somebody not signed in, by path, for those that answer."""
    bodies = {}
    for path in public_paths(client, ocid, case_id):
        response = client.get(path, follow_redirects=False)
        if response.status_code == 200:
            bodies[path] = response.text
    return bodies


def check_stage(
    client: TestClient, engine: Engine, settings: Settings, case: dict[str, Any], published: bool
) -> None:
    """At this stage: the case's releases validate; the public sees it only once published."""
    with Session(engine) as session:
        built = ocds.case_releases(session, settings=settings, case_ids=[case["id"]])
    for item in built:
        assert_valid("single", item)
    # What procure would publish of the case as it stands, whether or not it is public yet.
    publisher = ocds.publisher(settings)
    assert_valid("release", release_package(built, uri="https://x.example/p", publisher=publisher))
    assert_valid(
        "record", record_package([record(built)], uri="https://x.example/r", publisher=publisher)
    )
    bodies = read_everything_public(client, case["ocid"], case["id"])
    assert "/ocds/releases" in public_paths(client, case["ocid"], case["id"])
    shows = {
        path
        for path, body in bodies.items()
        if case["ocid"] in body or TITLE in body or SUPPLIER in body
    }
    if not published:
        assert shows == set(), shows
        assert client.get("/ocds/releases").status_code == 404
        assert client.get(f"/ocds/records/{case['ocid']}").status_code == 404
        return
    assert {"/ocds/releases", f"/ocds/records/{case['ocid']}"} <= shows
    package = client.get("/ocds/releases").json()
    assert_valid("release", package)
    assert [r["id"] for r in package["releases"]] == [r["id"] for r in built]
    served = client.get(f"/ocds/records/{case['ocid']}").json()
    assert_valid("record", served)
    assert served["records"][0]["compiledRelease"]["tender"]["title"] == TITLE


def walk_case(
    client: TestClient,
    make_user: Any,
    run_flows: Any,
    helpers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """A below-threshold contract from request to closure; yields (stage, case, published)
    after each step that changes what may be public."""
    as_ = helpers.auth
    _, requester = make_user("requester")
    _, legal = make_user("legal")
    _, buyer = make_user("procurement")
    _, second_buyer = make_user("procurement")
    manager, manager_token = make_user("contract_manager")

    def ok(response: Any) -> Any:
        """The response, which must be a success."""
        assert response.status_code in (200, 201), response.text
        return response.json()

    def decide(case_id: int, token: str, **body: Any) -> None:
        """Decide the pending gate."""
        gate = ok(client.get(f"/cases/{case_id}", headers=as_(token)))["pending_gate"]
        ok(
            client.post(
                f"/cases/{case_id}/gates/{gate['id']}/decision",
                json={"decision": "approve", **body},
                headers=as_(token),
            )
        )
        run_flows()

    request = helpers.purchase_request(title=TITLE, estimated_value_pence=90_000_00)
    case = ok(client.post("/cases", json=request, headers=as_(requester)))
    case_id = case["id"]
    run_flows()
    yield "legal_consultation", case, False
    decide(case_id, legal, contract_type="Services", key_contract=False)
    yield "procurement", case, False
    bid = ok(
        client.post(
            f"/cases/{case_id}/bids",
            json={
                "supplier_name": SUPPLIER,
                "registration_number": "01234567",
                "sme": True,
                "price_pence": 88_000_00,
            },
            headers=as_(buyer),
        )
    )
    ok(
        client.post(
            f"/cases/{case_id}/award-recommendation",
            json={"bid_id": bid["id"], "rationale": "Only bid"},
            headers=as_(buyer),
        )
    )
    run_flows()
    decide(case_id, second_buyer)
    yield "signing", case, False
    today = clock.today()
    ok(
        client.post(
            f"/cases/{case_id}/documents",
            headers=as_(legal),
            data={"document_type": "contractSigned", "title": "Signed contract"},
            files={"file": ("signed.pdf", PDF, "application/pdf")},
        )
    )
    contract = {
        "start_date": (today + timedelta(days=7)).isoformat(),
        "end_date": (today + timedelta(days=7 + 365)).isoformat(),
        "supplier_signed_on": today.isoformat(),
        "council_signed_on": today.isoformat(),
    }
    ok(client.put(f"/cases/{case_id}/contract", json=contract, headers=as_(buyer)))
    run_flows()
    decide(case_id, legal)
    yield "register_entry", case, False
    ok(
        client.put(
            f"/cases/{case_id}/contract-manager",
            json={"user_id": manager.id},
            headers=as_(requester),
        )
    )
    review_date = (today + timedelta(days=180)).isoformat()
    ok(
        client.patch(
            f"/cases/{case_id}/register-entry",
            json={"review_date": review_date},
            headers=as_(manager_token),
        )
    )
    ok(client.post(f"/cases/{case_id}/register-entry/submit", headers=as_(manager_token)))
    run_flows()
    yield "register_entry (submitted)", case, False
    decide(case_id, buyer)
    yield "monitoring", case, True
    later = today + timedelta(days=40)
    monkeypatch.setattr(clock, "today", lambda: later)
    review = {
        "period_start": contract["start_date"],
        "period_end": later.isoformat(),
        "rag": "amber",
        "notes": "Slow start",
    }
    ok(client.post(f"/cases/{case_id}/reviews", json=review, headers=as_(manager_token)))
    yield "monitoring (reviewed)", case, True
    ok(
        client.post(
            f"/cases/{case_id}/exit",
            json={"reason": "terminated", "ended_on": later.isoformat()},
            headers=as_(manager_token),
        )
    )
    run_flows()
    yield "exit", case, True
    ok(
        client.post(
            "/lessons", json={"case_id": case_id, "text": "none"}, headers=as_(manager_token)
        )
    )
    decide(case_id, buyer)
    yield "closed", case, True


def test_every_stage_validates_and_nothing_unpublished_leaks(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    run_flows: Callable[..., list[str]],
    helpers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = []
    for stage, case, published in walk_case(client, make_user, run_flows, helpers, monkeypatch):
        check_stage(client, engine, settings, case, published)
        seen.append(stage)
    assert seen[-1] == "closed"
    tags = [r["tag"][0] for r in client.get("/ocds/releases").json()["releases"]]
    assert tags == [
        "planning",
        "tender",
        "award",
        "contract",
        "contractUpdate",
        "implementation",
        "contractTermination",
    ]
    compiled = client.get(f"/ocds/records/{case['ocid']}").json()["records"][0]["compiledRelease"]
    assert compiled["contracts"][0]["status"] == "terminated"
    assert compiled["awards"][0]["value"] == {"amount": 88000.0, "currency": "GBP"}
    supplier = next(p for p in compiled["parties"] if "supplier" in p["roles"])
    assert supplier["details"]["scale"] == "sme" and supplier["identifier"]["id"] == "01234567"

    # Paged and filtered by date; bad input refused without echoing it.
    first = client.get("/ocds/releases?limit=2")
    assert first.headers["X-Total-Count"] == "7" and len(first.json()["releases"]) == 2
    rest = client.get("/ocds/releases?limit=100&offset=2").json()["releases"]
    assert [r["id"] for r in first.json()["releases"] + rest] == [
        r["id"] for r in client.get("/ocds/releases").json()["releases"]
    ]
    today = clock.today()
    assert (
        client.get(f"/ocds/releases?since={(today + timedelta(days=1)).isoformat()}").status_code
        == 404
    )
    assert (
        client.get(f"/ocds/releases?until={(today - timedelta(days=400)).isoformat()}").status_code
        == 404
    )
    assert (
        client.get(f"/ocds/releases?since={(today - timedelta(days=400)).isoformat()}").status_code
        == 200
    )
    for bad in (
        "/ocds/releases?limit=0",
        "/ocds/releases?limit=101",
        "/ocds/releases?since=yesterday",
    ):
        response = client.get(bad)
        assert response.status_code == 422 and set(response.json()) == {"detail", "field"}
    response = client.get("/ocds/records/%3Cscript%3E")
    assert response.status_code == 422 and "script" not in response.text
    assert client.get("/ocds/records/ocds-procure-PR-1999-0001").status_code == 404


def test_dates_out_of_range_are_refused_and_a_process_with_no_release_is_not_found(
    client: TestClient, engine: Engine, make_user: Callable[..., Any]
) -> None:
    for query in ("until=9999-12-31", "since=0001-01-01"):
        answer = client.get(f"/ocds/releases?{query}")
        assert answer.status_code == 422, answer.text
        assert "9999" not in answer.text and "0001" not in answer.text
    # A contract imported from an earlier register: published, with no event yet to release.
    requester, _ = make_user("requester")
    with transaction(engine) as session:
        case = Case(
            reference="PR-2026-0900",
            ocid="ocds-procure-PR-2026-0900",
            title="Grounds maintenance",
            description="Imported",
            category="",
            department="Parks",
            estimated_value_pence=90_000_00,
            needed_by=date(2026, 1, 1),
            contract_required=True,
            route="below_threshold",
            contract=True,
            stage="monitoring",
            status="in_progress",
            requester_id=requester.id,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(
            RegisterEntry(
                case_id=case.id,
                status="published",
                reference=case.reference,
                ocid=case.ocid,
                title=case.title,
                department=case.department,
                description=case.description,
                value_pence=90_000_00,
            )
        )
    answer = client.get("/ocds/records/ocds-procure-PR-2026-0900")
    assert answer.status_code == 404, answer.text
