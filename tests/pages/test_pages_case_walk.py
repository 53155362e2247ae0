"""One above-threshold key contract from request to closure with nothing but the page forms,
as each person would click through them, with the stage work performed in-process between
steps as the API's lifecycle test does."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.calendar import start_of_day
from lifecycle.models import Bid, Case, RegisterEntry
from tests.pages.test_pages_case import gate_id, visible

PDF = b"%PDF-1.4\n% a contract\n%%EOF\n"
BID_ID = re.compile(r'name="bid_id" type="radio" value="(\d+)"')


def date_fields(name: str, day: date) -> dict[str, str]:
    """A date typed into a GOV.UK date input."""
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


class CasePage:
    """One case's page, and posting its forms as the person looking at it."""

    def __init__(self, case_id: int) -> None:
        self.url = f"/app/cases/{case_id}"

    def post(self, person: Any, path: str, fields: dict[str, str], **kwargs: Any) -> str:
        """Post the form at `path`, which the page must be showing this person; returns the
        page they land on, as text."""
        action = self.url + path
        assert f'action="{action}"' in person.get(self.url).text, f"no form for {action}"
        answer = person.submit(self.url, action, fields, **kwargs)
        assert answer.status_code == 303, visible(answer.text)[-3000:]
        return visible(person.get(self.url).text)

    def refused(self, person: Any, path: str, fields: dict[str, str]) -> Any:
        """Post a form the service refuses; returns the answer."""
        answer = person.submit(self.url, self.url + path, fields)
        assert answer.status_code in (403, 409, 413, 415, 422), answer.status_code
        return answer

    def decide(self, person: Any, decision: str, **fields: str) -> str:
        """Decide the pending gate."""
        gate = gate_id(person.get(self.url).text)
        return self.post(person, "/decision", {"gate_id": gate, "decision": decision, **fields})

    def upload(self, person: Any, kind: str, title: str) -> str:
        """Upload a PDF of an OCDS document type."""
        files = {"file": (f"{kind}.pdf", PDF + kind.encode(), "application/pdf")}
        fields = {"document_type": kind, "document_title": title}
        return self.post(person, "/documents", fields, files=files)


def stored(engine: Engine, case_id: int) -> tuple[str, str, str | None, str | None]:
    """The case's stage, status and outcome, and its register entry's status."""
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        entry = session.exec(select(RegisterEntry).where(RegisterEntry.case_id == case_id)).first()
        return case.stage, case.status, case.outcome, entry.status if entry else None


def test_one_case_through_every_stage_with_the_page_forms(
    engine: Engine, signed_in: Any, run_flows: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    requester, _, _ = signed_in("requester", name="Rita Patel")
    legal, _, _ = signed_in("legal", name="Lee Okafor")
    buyer, _, _ = signed_in("procurement", name="Pat Byrne")
    approver, _, _ = signed_in("procurement", name="Sam Second")
    manager, manager_user, _ = signed_in("contract_manager", name="Morgan Manager")
    auditor, _, _ = signed_in("auditor")

    # 1. The requester raises the request on the new-request page.
    needed_by = date.today() + timedelta(days=120)
    request = {
        "title": "Highways maintenance framework",
        "description": "Reactive and planned highways maintenance for four years.",
        "category": "services",
        "department": "Environment and Highways",
        "estimated_value_pence": "450,000",
        "irrecoverable_vat_pence": "",
        "contract_required": "yes",
        **date_fields("needed_by", needed_by),
    }
    sent = requester.submit("/app/requests/new", "/app/requests", request)
    assert sent.status_code == 303, visible(sent.text)[-2000:]
    found = re.search(r"/app/requests/(\d+)/sent", sent.headers["location"])
    assert found
    case_id = int(found.group(1))
    page = CasePage(case_id)
    run_flows()

    # 2. Legal asks for changes; the requester changes the request and resubmits.
    shown = page.decide(legal, "request_changes", decision_reason="Split it into two lots")
    assert "Decision recorded: changes requested" in shown
    shown = visible(requester.get(page.url).text)
    assert "Split it into two lots" in shown and "waits for the requester" in shown
    changed = {
        "request_title": "Highways maintenance (two lots)",
        "request_description": request["description"],
        "request_department": request["department"],
        "request_value": "450000.00",
        "request_vat": "0",
        **date_fields("request_needed_by", needed_by),
    }
    assert "Purchase request changed" in page.post(requester, "/request", changed)
    assert "Resubmitted" in page.post(requester, "/resubmit", {})
    run_flows()
    shown = page.decide(
        legal, "approve", contract_type="Services (NEC4)", key_contract="yes", decision_reason=""
    )
    assert "Decision recorded: approved" in shown
    assert "Highways maintenance (two lots)" in shown
    run_flows()

    # 3. Procurement: two bids, a recommendation, a second officer's approval, the notice.
    for supplier, price, vat in (
        ("Acme Highways Ltd", "420,000", "£4,200.50"),
        ("Roadcare CIC", "435000", ""),
    ):
        bid = {
            "bid_supplier": supplier,
            "bid_registration": "01234567",
            "bid_sme": "yes",
            "bid_price": price,
            "bid_vat": vat,
            "bid_score": "80",
        }
        assert f"Bid recorded: {supplier}" in page.post(buyer, "/bids", bid)
    bids = BID_ID.findall(buyer.get(page.url).text)
    assert len(bids) == 2
    with Session(engine) as session:
        vats = session.exec(select(Bid.irrecoverable_vat_pence).order_by(col(Bid.id))).all()
    assert list(vats) == [4_200_50, 0]
    recommendation = {"bid_id": bids[0], "rationale": "Best price-quality score"}
    assert "Award recommended" in page.post(buyer, "/award-recommendation", recommendation)
    run_flows()
    assert "/decision" not in requester.get(page.url).text
    assert "Decision recorded: approved" in page.decide(approver, "approve")
    today = clock.today()
    shown = page.post(buyer, "/award-notice", date_fields("published_on", today))
    assert "Award notice recorded: the standstill period ends on" in shown
    assert stored(engine, case_id)[:2] == ("procurement", "standstill")
    assert run_flows() == []

    # The standstill ends and signing opens by itself.
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.standstill_last_day is not None
        after = case.standstill_last_day + timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda: after)
    run_flows(now=start_of_day(after))
    assert stored(engine, case_id)[0] == "signing"

    # 4. Signing: the signed contract, its dates (a wrong date first), legal's confirmation.
    waiting = visible(legal.get(page.url).text)
    assert (
        "Upload the signed contract (document type ‘signed contract’) first. "
        "Then you can record the contract." in waiting
    )
    assert f'action="{page.url}/contract"' not in legal.get(page.url).text
    assert "Document uploaded: Signed contract" in page.upload(
        legal, "contractSigned", "Signed contract"
    )
    start = after + timedelta(days=14)
    dates = {
        **date_fields("start_date", start),
        **date_fields("end_date", start + timedelta(days=4 * 365)),
        **date_fields("supplier_signed_on", after),
        **date_fields("council_signed_on", after),
    }
    # Procurement records the contract; legal, who did not, confirms the signing.
    wrong = page.refused(buyer, "/contract", {**dates, "start_date-month": "13"})
    assert wrong.status_code == 422
    assert 'href="#start_date"' in wrong.text and "Start date must be a real date" in wrong.text
    assert 'name="start_date-month" type="text" value="13"' in wrong.text
    assert "Contract recorded" in page.post(buyer, "/contract", dates)
    run_flows()
    assert "/decision" not in buyer.get(page.url).text  # who recorded it does not confirm it
    assert "Decision recorded: approved" in page.decide(legal, "approve")
    run_flows()

    # 5. Register entry: the manager named, the entry completed, the key-contract documents.
    named = page.post(requester, "/contract-manager", {"manager_id": str(manager_user.id)})
    assert "Contract manager named" in named and "Morgan Manager" in named
    details = {
        **date_fields("review_date", after + timedelta(days=200)),
        "supplier_registration_number": "",
        "procurement_process": "",
        "register_description": "",
    }
    assert "Register entry saved" in page.post(manager, "/register-entry", details)
    page.upload(manager, "contractArrangements", "Exit plan")
    page.upload(manager, "contractSummary", "Contract summary")
    shown = page.post(manager, "/register-entry/submit", {})
    assert "Register entry sent to procurement for verification" in shown
    run_flows()
    assert "Decision recorded: approved" in page.decide(buyer, "approve")
    run_flows()
    assert stored(engine, case_id)[3] == "published"

    # 6. Monitoring: a review (a half-filled KPI row first), then exit.
    monkeypatch.setattr(clock, "today", lambda: after + timedelta(days=30))
    review = {
        **date_fields("period_start", start),
        **date_fields("period_end", start),
        "rag": "green",
        "kpi-1-name": "Response time",
        "kpi-1-target": "24 hours",
        "kpi-1-result": "20 hours",
        "kpi-1-rating": "good",
        "review_notes": "First month on track",
    }
    half = page.refused(manager, "/reviews", {**review, "kpi-2-name": "Repairs on time"})
    assert half.status_code == 422 and 'href="#kpi-2-target"' in half.text
    assert (
        'value="Repairs on time"' in half.text and 'value="First month on track"' not in half.text
    )
    assert "First month on track" in half.text  # the notes box keeps its text
    assert "Performance review submitted" in page.post(manager, "/reviews", review)
    exit_fields = {"exit_reason": "terminated", **date_fields("ended_on", start), "exit_notes": ""}
    assert "Exit started" in page.post(manager, "/exit", exit_fields)
    run_flows()

    # 7. Exit: closure waits on a lesson, added from the case page's link.
    refused = page.refused(
        buyer, "/decision", {"gate_id": gate_id(buyer.get(page.url).text), "decision": "approve"}
    )
    assert refused.status_code == 409 and "no lessons-learned entry" in visible(refused.text)
    lessons = f"/app/lessons?case_id={case_id}"
    assert f'href="{lessons}"' in manager.get(page.url).text
    with Session(engine) as session:
        reference = session.get(Case, case_id).reference  # type: ignore[union-attr]
    added = manager.submit(
        lessons, "/app/lessons", {"text": "Agree KPIs earlier", "reference": reference}
    )
    assert added.status_code == 303, visible(added.text)[-2000:]
    assert "Decision recorded: approved" in page.decide(buyer, "approve")

    assert stored(engine, case_id) == ("exit", "closed", "completed", "ended")
    final = visible(auditor.get(page.url).text)
    assert "How it ended" in final and "it was completed" in final
    assert "Exit Completed" in final and "Current stage" not in final
    for seen in (
        "Recorded a bid from Acme Highways Ltd",
        "Award notice published on",
        "Uploaded a document (Signed contract)",
        "Published the contract on the register",
        "Submitted a performance review (rated green)",
        "Started exit: the contract was terminated",
        "Closed the case (completed)",
        "Contract register entry Ended",
        "Response time 24 hours 20 hours Good",
    ):
        assert seen in final, seen
    assert "What you can do There is nothing for you to do on this case now." in final
