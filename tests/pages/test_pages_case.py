"""The case page: where a case stands and what it waits on, the decision form for whoever may
decide and for nobody else, refusals that change nothing, and errors that keep what was typed."""

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.models import AuditEvent, Gate
from tests.routes import paths

GATE_ID = re.compile(r'name="gate_id" value="(\d+)"')


def visible(page_html: str) -> str:
    """The page's text as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", page_html)
    return re.sub(r"\s+", " ", html.unescape(without_tags)).strip()


def raise_case(client: TestClient, helpers: Any, run_flows: Any, token: str, **changes: Any) -> int:
    """A purchase request raised over the API, with its flow run (it then waits on legal)."""
    answer = client.post(
        "/cases", json=helpers.purchase_request(**changes), headers=helpers.auth(token)
    )
    assert answer.status_code == 201, answer.text
    run_flows()
    return int(answer.json()["id"])


def gate_id(page_html: str) -> str:
    """The pending gate the page's decision form is about."""
    found = GATE_ID.search(page_html)
    assert found, "the page has no decision form"
    return found.group(1)


def pending_gates(engine: Engine, case_id: int) -> list[tuple[str, str]]:
    """The case's undecided gates, by kind and status."""
    with Session(engine) as session:
        rows = session.exec(select(Gate).where(Gate.case_id == case_id)).all()
        return [(gate.kind, gate.status) for gate in rows if gate.status == "pending"]


def events(engine: Engine, case_id: int) -> int:
    """How many audit events the case has."""
    with Session(engine) as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.case_id == case_id)).all())


def test_the_page_says_where_the_case_stands_and_what_it_waits_on(
    client: TestClient, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """The requester reads the progress line, the pending decision and who it waits on, and
    the request in words; the history is there, and no decision form is."""
    requester, _, token = signed_in("requester", name="Rita Patel")
    signed_in("legal", name="Lee Okafor")
    case_id = raise_case(client, helpers, run_flows, token)
    page = requester.get(f"/app/cases/{case_id}")
    assert page.status_code == 200
    text = visible(page.text)
    assert re.search(r"Purchase request Done .*Early legal consultation Current stage", text)
    assert "Procurement Not started" in text and "Exit Not started" in text
    assert 'aria-current="step"' in page.text
    assert "Waiting for Early legal consultation decision" in text
    assert "Decided by Legal: Lee Okafor" in text
    assert "Due" in text and "Overdue" not in text
    assert "£450,000.00" in text
    assert "Above-threshold Procurement Act 2023 competition" in text
    assert "Environment and Highways" in text and "Rita Patel" in text
    assert "Raised the purchase request" in text and "Opened the early legal consultation" in text
    assert f'action="/app/cases/{case_id}/decision"' not in page.text
    assert "Upload a document" in text  # the requester keeps the case's documents


def test_only_the_decider_sees_the_decision_form(
    client: TestClient, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """Legal sees approve, request changes and reject with the contract questions; the
    requester, procurement, an auditor and a requester who also holds legal do not."""
    requester, _, token = signed_in("requester")
    legal, _, _ = signed_in("legal")
    case_id = raise_case(client, helpers, run_flows, token)
    page = legal.get(f"/app/cases/{case_id}")
    text = visible(page.text)
    assert f'action="/app/cases/{case_id}/decision"' in page.text
    assert "Your decision: early legal consultation" in text
    for choice in ("Approve", "Request changes", "Reject", "Contract type", "key contract"):
        assert choice in text
    assert f'href="/app/lessons?case_id={case_id}"' in page.text

    dual, _, dual_token = signed_in("requester", "legal")
    own_case = raise_case(client, helpers, run_flows, dual_token)
    others = [requester, signed_in("procurement")[0], signed_in("auditor")[0]]
    for person, case in [(someone, case_id) for someone in others] + [(dual, own_case)]:
        seen = person.get(f"/app/cases/{case}")
        assert seen.status_code == 200
        assert "/decision" not in seen.text and "Record decision" not in seen.text


def test_a_decision_from_the_wrong_person_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """Procurement and the requester post the form anyway: the service refuses (403), as the
    API does, and the gate stays open with nothing recorded."""
    requester, _, token = signed_in("requester")
    legal, _, _ = signed_in("legal")
    buyer, _, _ = signed_in("procurement")
    case_id = raise_case(client, helpers, run_flows, token)
    gate = gate_id(legal.get(f"/app/cases/{case_id}").text)
    before = events(engine, case_id)
    fields = {
        "gate_id": gate,
        "decision": "approve",
        "contract_type": "Services",
        "key_contract": "no",
    }
    for person, says in ((buyer, "Only the legal role decides"), (requester, "Only the legal")):
        answer = person.submit(f"/app/cases/{case_id}", f"/app/cases/{case_id}/decision", fields)
        assert answer.status_code == 403
        assert says in visible(answer.text)
        assert 'href="#next-steps"' in answer.text  # the summary points at a heading on the page
    assert pending_gates(engine, case_id) == [("legal_consultation", "pending")]
    assert events(engine, case_id) == before


def test_a_decision_missing_its_reason_keeps_what_was_typed_and_names_the_field(
    client: TestClient, engine: Engine, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """Requesting changes without a reason: the page comes back (422) with the error beside
    the reason and everything typed still there; nothing is decided."""
    _, _, token = signed_in("requester")
    legal, _, _ = signed_in("legal")
    case_id = raise_case(client, helpers, run_flows, token)
    page_url = f"/app/cases/{case_id}"
    fields = {
        "gate_id": gate_id(legal.get(page_url).text),
        "decision": "request_changes",
        "decision_reason": "",
        "contract_type": "Works (JCT) typed first",
    }
    answer = legal.submit(page_url, f"/app/cases/{case_id}/decision", fields)
    assert answer.status_code == 422
    assert 'href="#decision_reason"' in answer.text
    assert "A reason is required to request changes" in visible(answer.text)
    assert 'id="decision_reason-error"' in answer.text
    assert 'value="Works (JCT) typed first"' in answer.text
    assert re.search(r'value="request_changes"\s+checked', answer.text)
    assert answer.text.startswith("<!DOCTYPE html>") and "Error: " in answer.text
    assert pending_gates(engine, case_id) == [("legal_consultation", "pending")]


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """The decider's own browser, but the form lacks the page's token (or carries another):
    refused with 403, nothing decided."""
    _, _, token = signed_in("requester")
    legal, _, _ = signed_in("legal")
    case_id = raise_case(client, helpers, run_flows, token)
    fields = {
        "gate_id": gate_id(legal.get(f"/app/cases/{case_id}").text),
        "decision": "reject",
        "decision_reason": "Not needed",
    }
    for extra in ({}, {"csrf_token": "not-the-token"}):
        answer = legal.client.post(
            f"/app/cases/{case_id}/decision", data={**fields, **extra}, follow_redirects=False
        )
        assert answer.status_code == 403
        assert "did not come from this page" in visible(answer.text)
    assert pending_gates(engine, case_id) == [("legal_consultation", "pending")]


def test_a_decision_is_recorded_and_the_page_says_so(
    client: TestClient, engine: Engine, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """Legal approves with the contract type: back on the case page with the flash, and the
    case moves on once its flow has run."""
    _, _, token = signed_in("requester")
    legal, _, _ = signed_in("legal", name="Lee Okafor")
    case_id = raise_case(client, helpers, run_flows, token)
    page_url = f"/app/cases/{case_id}"
    fields = {
        "gate_id": gate_id(legal.get(page_url).text),
        "decision": "approve",
        "contract_type": "Services (NEC4)",
        "key_contract": "yes",
    }
    answer = legal.submit(page_url, f"/app/cases/{case_id}/decision", fields)
    assert answer.status_code == 303 and answer.headers["location"] == page_url
    shown = visible(legal.get(page_url).text)
    assert "Decision recorded: approved" in shown
    assert "Contract type Services (NEC4)" in shown and "Key contract Yes" in shown
    assert "Early legal consultation: approved" in shown
    assert "Decision recorded" not in visible(legal.get(page_url).text)  # shown once
    run_flows()
    assert "Procurement Current stage" in visible(legal.get(page_url).text)


def test_a_case_is_not_shown_to_someone_it_does_not_name(
    client: TestClient, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """Another requester is told the case is not found, exactly as for a case that does not
    exist, for the page and its documents alike: nothing about it is given away."""
    _, _, token = signed_in("requester")
    stranger, _, _ = signed_in("requester")
    case_id = raise_case(client, helpers, run_flows, token)
    refused = stranger.get(f"/app/cases/{case_id}")
    assert refused.status_code == 404
    assert "Page not found" in refused.text and "PR-" not in refused.text
    assert stranger.get(f"/app/cases/{case_id}/documents/1").status_code == 404
    assert stranger.get("/app/cases/999999").status_code == 404


def test_a_rejected_case_says_where_it_ended_and_why(
    client: TestClient, engine: Engine, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """Legal rejects through the form: the progress line marks where it ended, the page says
    it is closed and gives legal's reason, and nobody is offered anything but a lesson."""
    requester, _, token = signed_in("requester")
    legal, _, _ = signed_in("legal", name="Lee Okafor")
    case_id = raise_case(client, helpers, run_flows, token)
    page_url = f"/app/cases/{case_id}"
    fields = {
        "gate_id": gate_id(legal.get(page_url).text),
        "decision": "reject",
        "decision_reason": "Book it through the venues framework instead",
    }
    answer = legal.submit(page_url, f"/app/cases/{case_id}/decision", fields)
    assert answer.status_code == 303
    text = visible(requester.get(page_url).text)
    assert "Early legal consultation Rejected here" in text
    assert "Procurement Not reached" in text and "Current stage" not in text
    assert "This case is closed: the request was rejected" in text
    assert "Lee Okafor rejected it at the early legal consultation" in text
    assert "Book it through the venues framework instead" in text
    assert "Upload a document" not in text and "/decision" not in requester.get(page_url).text
    assert pending_gates(engine, case_id) == []


def test_every_page_form_refuses_a_post_without_its_token(page_app: Any, signed_in: Any) -> None:
    """Whatever a form does, a post that lacks the page's token is refused before anything is
    read or written: every POST route under /app, signed in as an admin (who reaches most)."""
    admin, _, _ = signed_in("admin", "procurement", "legal", "contract_manager")
    posts = sorted(path for path in paths(page_app.routes, "POST") if path.startswith("/app"))
    assert len(posts) > 30, posts  # the inventory is real
    for path in posts:
        url = re.sub(r"\{[^}]+\}", "1", path)
        answer = admin.client.post(url, data={"anything": "x"}, follow_redirects=False)
        assert answer.status_code == 403, (path, answer.status_code)
        assert "did not come from this page" in visible(answer.text), path
