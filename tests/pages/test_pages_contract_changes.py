"""The case page shows a live contract's variations and what they wait on, the expiry
decision it needs, and, once it has ended, its termination notice deadline (s.80)."""

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.schemas import DelegationIn
from lifecycle.services import delegations
from lifecycle.settings import Settings
from tests.api.test_api_contract_changes import live_contract


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """A fixed today."""
    day = date(2026, 12, 1)
    monkeypatch.setattr(clock, "today", lambda: day)
    return day


def test_the_case_page_shows_variations_the_expiry_decision_and_the_notice(
    engine: Engine, signed_in: Any, make_user: Any, client: Any, helpers: Any
) -> None:
    requester, _ = make_user("requester")
    person, manager, manager_token = signed_in("contract_manager", name="Sam Manager")
    case_id = live_contract(
        engine, requester, manager, end_date=date(2027, 8, 31), route="above_threshold"
    )
    proposed = client.post(
        f"/cases/{case_id}/variations",
        json={"what": "Add a fourth crew", "why": "New estate", "value_change_pence": 50_000_00},
        headers=helpers.auth(manager_token),
    )
    assert proposed.status_code == 201
    page = person.get(f"/app/cases/{case_id}").text
    assert "Changes and the end of the contract" in page
    assert "Decision needed: extend, re-procure or let the contract end on 31 August 2027" in page
    assert "Add a fourth crew" in page and "Waiting on procurement" in page
    assert "+£50,000" in page
    # "Waiting on me": the expiry decision for the manager (its first alert has gone), the
    # approval for procurement.
    assert (
        "Decide what happens when the contract ends on 31 August 2027" in person.get("/app/").text
    )
    buyer, _, _ = signed_in("procurement")
    assert "Decide variation 1 (procurement)" in buyer.get("/app/").text

    ended = client.post(
        f"/cases/{case_id}/termination",
        json={"terminated_on": "2026-11-30", "reason": "Supplier insolvent"},
        headers=helpers.auth(manager_token),
    )
    assert ended.status_code == 200
    page = person.get(f"/app/cases/{case_id}").text
    assert "Due by 29 December 2026 (Procurement Act 2023 s.80)" in page
    assert "terminated: Supplier insolvent" in page
    assert "Decision needed" not in page
    home = buyer.get("/app/").text
    assert "Publish the termination notice" in home
    assert "Decide what happens when the contract ends" not in home


def test_the_forms_propose_approve_decide_terminate_and_record_the_notice(
    engine: Engine, signed_in: Any, make_user: Any
) -> None:
    requester, _ = make_user("requester")
    manager_browser, manager, _ = signed_in("contract_manager", name="Sam Manager")
    buyer_browser, _, _ = signed_in("procurement", name="Pat Buyer")
    auditor_browser, _, _ = signed_in("auditor")
    case_id = live_contract(
        engine, requester, manager, end_date=date(2027, 8, 31), route="above_threshold"
    )
    url = f"/app/cases/{case_id}"
    page = buyer_browser.get(url).text
    assert "Propose a variation" not in page  # the manager's to propose

    # A mistake comes back beside its field, with what was typed kept.
    wrong = manager_browser.submit(
        url,
        f"{url}/variations",
        {"variation_what": "Add a fourth crew", "variation_why": "", "variation_value": "lots"},
    )
    assert wrong.status_code == 422
    assert "Change in value must be an amount in pounds" in wrong.text
    assert "Add a fourth crew</textarea>" in wrong.text
    proposed = manager_browser.submit(
        url,
        f"{url}/variations",
        {
            "variation_what": "Add a fourth crew",
            "variation_why": "New estate",
            "variation_value": "-2,500",
        },
    )
    assert proposed.status_code == 303, proposed.text
    page = buyer_browser.get(url).text
    assert "Your decision: variation 1 (procurement)" in page and "−£2,500" in page
    assert "Your decision: variation 1" not in manager_browser.get(url).text
    approved = buyer_browser.submit(
        url,
        f"{url}/variation-decision",
        {"variation_id": "1", "variation_role": "procurement", "variation_decision": "approve"},
    )
    assert approved.status_code == 303, approved.text
    assert "Approved" in buyer_browser.get(url).text

    unchosen = manager_browser.submit(url, f"{url}/expiry-decision", {})
    assert unchosen.status_code == 422
    assert "Select what happens when the contract ends" in unchosen.text
    decided = manager_browser.submit(url, f"{url}/expiry-decision", {"expiry_decision": "end"})
    assert decided.status_code == 303, decided.text
    page = manager_browser.get(url).text
    assert "Let it end" in page and "Decide what happens when the contract ends" not in page

    terminated = buyer_browser.submit(
        url,
        f"{url}/termination",
        {
            "terminated_on-day": "30",
            "terminated_on-month": "11",
            "terminated_on-year": "2026",
            "termination_reason": "Supplier insolvent",
        },
    )
    assert terminated.status_code == 303, terminated.text
    page = buyer_browser.get(url).text
    assert "Record the termination notice" in page and "Due by 29 December 2026" in page
    recorded = buyer_browser.submit(
        url,
        f"{url}/termination-notice",
        {
            "notice_published_on-day": "1",
            "notice_published_on-month": "12",
            "notice_published_on-year": "2026",
            "notice_id": "UK11-2026-000123",
        },
    )
    assert recorded.status_code == 303, recorded.text
    page = buyer_browser.get(url).text
    assert "Published on 1 December 2026 (UK11-2026-000123)" in page
    # The history keeps what changed, in words.
    assert "Variation 1 applied: value £1,000,000.00 to £997,500.00" in page
    assert "Terminated the contract on 30 November 2026: Supplier insolvent" in page
    assert "Recorded the termination notice UK11-2026-000123, published on 1 December 2026" in page
    assert "Record the termination notice" not in page
    # An auditor reads it all and is offered none of it.
    page = auditor_browser.get(url).text
    assert "Changes and the end of the contract" in page and "Add a fourth crew" in page
    assert "Propose a variation" not in page and "Record the termination notice" not in page


def test_a_delegate_approves_a_variation_on_a_colleagues_behalf_from_the_case_page(
    engine: Engine, signed_in: Any, make_user: Any, settings: Settings, today: date
) -> None:
    requester, _ = make_user("requester")
    manager_browser, manager, _ = signed_in("contract_manager", name="Sam Manager")
    cover_browser, cover, _ = signed_in("procurement", name="Bo Cover")
    away, _ = make_user("procurement", name="Ada Away")
    case_id = live_contract(engine, requester, manager, end_date=date(2027, 8, 31))
    url = f"/app/cases/{case_id}"
    fields = {"variation_what": "Add a crew", "variation_why": "Estate", "variation_value": "500"}
    assert manager_browser.submit(url, f"{url}/variations", fields).status_code == 303
    assert "Who are you deciding for?" not in cover_browser.get(url).text
    with transaction(engine) as session:
        period = {"starts_on": today, "ends_on": today + timedelta(days=6)}
        delegation = DelegationIn(delegate_id=cover.id, role="procurement", **period)
        delegations.create(session, by=away, delegation=delegation, settings=settings)
    page = cover_browser.get(url).text
    assert "Who are you deciding for?" in page
    assert f'value="{away.id}"' in page and "On behalf of Ada Away (delegated to you)" in page
    decision = {
        "variation_id": "1",
        "variation_role": "procurement",
        "variation_decision": "approve",
    }
    stranger = cover_browser.submit(
        url, f"{url}/variation-decision", {**decision, "variation_on_behalf_of": "999999"}
    )
    assert stranger.status_code == 403
    assert 'id="variation_on_behalf_of-error"' in stranger.text
    approved = cover_browser.submit(
        url, f"{url}/variation-decision", {**decision, "variation_on_behalf_of": str(away.id)}
    )
    assert approved.status_code == 303, approved.text
    shown = cover_browser.get(url).text
    assert "Approved variation 1 (procurement, on behalf of Ada Away by delegation)" in shown
