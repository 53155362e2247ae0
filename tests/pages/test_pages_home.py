"""The home page, "Waiting on me": each role's tasks appear as a case reaches them and go when
they are done, overdue ones say so, and nobody is asked to decide their own case's gate. Cases
are moved over the JSON API, as in tests/api/test_case_lifecycle.py."""

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Contract
from lifecycle.schemas import PurchaseRequestIn
from lifecycle.services import cases, worklist
from lifecycle.settings import Settings
from tests.conftest import auth, purchase_request

PDF = b"%PDF-1.4\n% a document\n%%EOF\n"


def tasks(person: Any) -> list[str]:
    """The home page's rows as a person reads them: reference, what to do, due, overdue."""
    page = person.get("/app/").text
    assert '<h1 class="govuk-heading-l">Waiting on me</h1>' in page
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)[1:]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def actions(person: Any) -> list[str]:
    """Just the tasks' references and words, without their dates."""
    return [
        re.sub(r" \d{1,2} \w+ \d{4}.*$", "", row).replace(" A purchase", "")
        for row in tasks(person)
    ]


def raise_case(client: TestClient, token: str, **overrides: Any) -> tuple[int, str]:
    """A purchase request over the API: its id and reference."""
    body = purchase_request(title="A purchase", **overrides)
    answer = client.post("/cases", json=body, headers=auth(token))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["reference"]


def pending_gate(client: TestClient, token: str, case_id: int) -> dict[str, Any]:
    """The gate the case waits on."""
    gate = client.get(f"/cases/{case_id}", headers=auth(token)).json()["pending_gate"]
    assert gate is not None
    return gate  # type: ignore[no-any-return]


def decide(client: TestClient, token: str, case_id: int, **decision: Any) -> None:
    """Decide the case's pending gate."""
    gate = pending_gate(client, token, case_id)
    answer = client.post(
        f"/cases/{case_id}/gates/{gate['id']}/decision", json=decision, headers=auth(token)
    )
    assert answer.status_code == 200, answer.text


def call(client: TestClient, method: str, url: str, token: str, **kwargs: Any) -> Any:
    """An API call that must succeed."""
    answer = client.request(method, url, headers=auth(token), **kwargs)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def upload(client: TestClient, token: str, case_id: int, kind: str) -> None:
    """Upload a PDF of an OCDS document type."""
    call(
        client,
        "POST",
        f"/cases/{case_id}/documents",
        token,
        data={"document_type": kind, "title": kind},
        files={"file": (f"{kind}.pdf", PDF + kind.encode(), "application/pdf")},
    )


def recommend(client: TestClient, token: str, case_id: int) -> None:
    """One bid, recommended for award."""
    bid = call(
        client,
        "POST",
        f"/cases/{case_id}/bids",
        token,
        json={"supplier_name": "Acme Ltd", "registration_number": "01234567", "price_pence": 1},
    )
    call(
        client,
        "POST",
        f"/cases/{case_id}/award-recommendation",
        token,
        json={"bid_id": bid["id"], "rationale": "Best value"},
    )


APPROVE_LEGAL = {"decision": "approve", "contract_type": "Services", "key_contract": True}


def test_legal_and_the_requester_see_the_consultation_as_it_moves(
    signed_in: Any, client: TestClient, run_flows: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Legal decides; changes go back to the requester and return; overdue is marked; then
    procurement is asked to run it."""
    requester, _, requester_token = signed_in("requester")
    legal, _, legal_token = signed_in("legal")
    buyer, _, _ = signed_in("procurement")
    case_id, reference = raise_case(client, requester_token, estimated_value_pence=50_000_00)
    assert tasks(legal) == []
    run_flows()

    assert actions(legal) == [f"{reference} Decide the early legal consultation"]
    assert "Overdue" not in tasks(legal)[0]
    assert tasks(requester) == tasks(buyer) == []
    assert "Nothing is waiting on you." in requester.get("/app/").text

    decide(client, legal_token, case_id, decision="request_changes", reason="Split the lots")
    assert tasks(legal) == []
    assert actions(requester) == [
        f"{reference} Change the request as legal asked, then resubmit it"
    ]
    call(client, "POST", f"/cases/{case_id}/resubmit", requester_token)
    run_flows()
    assert tasks(requester) == []
    assert actions(legal) == [f"{reference} Decide the early legal consultation"]

    due = clock.today() + timedelta(days=10)
    monkeypatch.setattr(clock, "today", lambda: due)
    row = tasks(legal)[0]
    assert row.endswith("Overdue"), row
    assert "1 task is waiting on you, oldest first; 1 is overdue." in " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", legal.get("/app/").text)).split()
    )
    assert f'href="/app/cases/{case_id}"' in legal.get("/app/").text

    decide(client, legal_token, case_id, **APPROVE_LEGAL)
    run_flows()
    assert tasks(legal) == []
    assert actions(buyer) == [f"{reference} Advertise, record the bids and recommend an award"]


def test_procurement_sees_the_award_and_its_notice(
    signed_in: Any, client: TestClient, run_flows: Any
) -> None:
    """Above threshold: the award approval, then the award notice, then nothing."""
    _, _, requester_token = signed_in("requester")
    _, _, legal_token = signed_in("legal")
    buyer, _, buyer_token = signed_in("procurement")
    approver, _, approver_token = signed_in("procurement")
    case_id, reference = raise_case(client, requester_token)
    run_flows()
    decide(client, legal_token, case_id, **APPROVE_LEGAL)
    run_flows()
    run_words = f"{reference} Run the competition, record the bids and recommend an award"
    assert actions(buyer) == actions(approver) == [run_words]

    recommend(client, buyer_token, case_id)
    assert tasks(buyer) == []  # the flow has not opened the gate yet: nothing to do
    run_flows()
    assert actions(approver) == [f"{reference} Decide the award approval"]

    decide(client, approver_token, case_id, decision="approve")
    notice = (
        f"{reference} Record the award notice (the standstill starts on the day it is published)"
    )
    assert actions(buyer) == [notice]
    call(
        client,
        "POST",
        f"/cases/{case_id}/award-notice",
        buyer_token,
        json={"published_on": clock.today().isoformat()},
    )
    assert tasks(buyer) == tasks(approver) == []


def test_the_contract_manager_sees_documents_register_details_and_reviews(
    signed_in: Any,
    client: TestClient,
    run_flows: Any,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From signing to monitoring: each task until it is done, and a review as it falls due."""
    requester, _, requester_token = signed_in("requester")
    _, _, legal_token = signed_in("legal")
    buyer, _, buyer_token = signed_in("procurement")
    manager, manager_user, manager_token = signed_in("contract_manager")
    case_id, reference = raise_case(client, requester_token, estimated_value_pence=50_000_00)
    run_flows()
    decide(client, legal_token, case_id, **APPROVE_LEGAL)
    run_flows()
    recommend(client, buyer_token, case_id)
    run_flows()
    _, _, approver_token = signed_in("procurement")
    decide(client, approver_token, case_id, decision="approve")
    run_flows()
    assert tasks(manager) == []

    call(
        client,
        "PUT",
        f"/cases/{case_id}/contract-manager",
        requester_token,
        json={"user_id": manager_user.id},
    )
    assert actions(manager) == [f"{reference} Upload the signed contract"]
    upload(client, manager_token, case_id, "contractSigned")
    assert tasks(manager) == []
    today = clock.today()
    contract = {
        "start_date": (today + timedelta(days=14)).isoformat(),
        "end_date": (today + timedelta(days=400)).isoformat(),
        "supplier_signed_on": today.isoformat(),
        "council_signed_on": today.isoformat(),
    }
    # Legal confirms the signing, so procurement records the contract (segregation of duties).
    call(client, "PUT", f"/cases/{case_id}/contract", buyer_token, json=contract)
    run_flows()
    decide(client, legal_token, case_id, decision="approve")
    run_flows()

    exit_documents = (
        f"{reference} Upload the exit plan (contractArrangements) and the contract summary "
        "(contractSummary)"
    )
    assert actions(manager) == [
        f"{reference} Supply the register details and submit the entry",
        exit_documents,
    ]
    assert tasks(requester) == []
    call(
        client,
        "PATCH",
        f"/cases/{case_id}/register-entry",
        manager_token,
        json={"review_date": (today + timedelta(days=200)).isoformat()},
    )
    call(client, "POST", f"/cases/{case_id}/register-entry/submit", manager_token)
    run_flows()
    assert actions(manager) == [exit_documents]
    assert actions(buyer) == [f"{reference} Verify the register entry"]
    upload(client, manager_token, case_id, "contractArrangements")
    upload(client, manager_token, case_id, "contractSummary")
    assert tasks(manager) == []
    decide(client, buyer_token, case_id, decision="approve")
    run_flows()
    assert tasks(manager) == tasks(buyer) == []

    with Session(engine) as session:
        due = session.exec(select(Contract.next_review_due)).one()
    assert due is not None
    monkeypatch.setattr(clock, "today", lambda: due - timedelta(days=8))
    assert tasks(manager) == []
    monkeypatch.setattr(clock, "today", lambda: due - timedelta(days=7))
    assert actions(manager) == [f"{reference} Submit the performance review"]
    assert "Overdue" not in tasks(manager)[0]
    monkeypatch.setattr(clock, "today", lambda: due + timedelta(days=1))
    assert tasks(manager)[0].endswith("Overdue")


def test_a_requester_never_sees_their_own_cases_gate(
    signed_in: Any, client: TestClient, run_flows: Any
) -> None:
    """A requester who also holds the legal role is not asked to decide their own case."""
    dual, _, dual_token = signed_in("requester", "legal")
    colleague, _, _ = signed_in("legal")
    _, reference = raise_case(client, dual_token)
    run_flows()
    assert tasks(dual) == []
    assert actions(colleague) == [f"{reference} Decide the early legal consultation"]


def test_the_home_page_reads_a_constant_number_of_queries(
    signed_in: Any, engine: Engine, settings: Settings, run_flows: Any
) -> None:
    """No query per case: the same count for two waiting gates as for twelve."""
    _, requester, _ = signed_in("requester")
    legal, _, _ = signed_in("legal")

    def add_cases(number: int) -> None:
        body = PurchaseRequestIn.model_validate(purchase_request())
        for _ in range(number):
            with transaction(engine) as session:
                cases.create(session, requester=requester, request=body, settings=settings)
        run_flows()

    def queries_for_home() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert legal.get("/app/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    add_cases(2)
    few = queries_for_home()
    assert len(tasks(legal)) == 2
    add_cases(10)
    assert queries_for_home() == few
    assert len(tasks(legal)) == 12


def test_the_worklist_is_bounded_and_says_when_there_are_more(
    signed_in: Any, engine: Engine, settings: Settings, run_flows: Any
) -> None:
    """Three gates, a bound of two: the two oldest, and word that more are waiting."""
    _, requester, _ = signed_in("requester")
    _, legal, _ = signed_in("legal")
    body = PurchaseRequestIn.model_validate(purchase_request())
    for _ in range(3):
        with transaction(engine) as session:
            cases.create(session, requester=requester, request=body, settings=settings)
    run_flows()
    with transaction(engine) as session:
        bounded = worklist.for_person(session, me=legal, settings=settings, limit=2)
        everything = worklist.for_person(session, me=legal, settings=settings)
    assert [task.reference[-4:] for task in bounded.tasks] == ["0001", "0002"] and bounded.more
    assert len(everything.tasks) == 3 and not everything.more
