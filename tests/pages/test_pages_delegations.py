"""The delegations page: someone with a role that decides gates delegates them to a colleague
for the days they are away; a wrong form says so beside the field and keeps what was typed;
both people see the delegation; the delegator withdraws it; a person with no deciding role has
no form. On SQLite and PostgreSQL."""

import html
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle import clock
from lifecycle.models import Delegation, Gate


def error_beside(page_html: str, field: str) -> str:
    """The error message shown beside a field, in words."""
    found = re.search(
        rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', page_html, re.S
    )
    assert found, f"no error beside {field}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).replace("Error:", "").strip()


def days(name: str, offset: int) -> dict[str, str]:
    """A date input's three boxes, `offset` days from today."""
    day = clock.today() + timedelta(days=offset)
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def test_an_officer_delegates_their_gates_and_withdraws_the_delegation(
    signed_in: Any, engine: Engine
) -> None:
    away, _, _ = signed_in("legal", name="Ada Away")
    cover, cover_user, _ = signed_in("legal", name="Bo Cover")
    requester, _, _ = signed_in("requester", name="Rae Requester")
    page = away.get("/app/delegations")
    assert page.status_code == 200 and "Delegate your gates" in page.text
    assert f'<option value="{cover_user.id}">Bo Cover</option>' in page.text
    assert "Rae Requester" not in page.text  # holds no role to delegate to

    url = "/app/delegations"
    wrong = away.submit(
        url,
        url,
        {
            "delegate_id": str(cover_user.id),
            "role": "legal",
            **days("starts_on", 5),
            **days("ends_on", 2),
        },
    )
    assert wrong.status_code == 422, re.findall(
        r"govuk-error-summary__list.*?</ul>", wrong.text, re.S
    )
    assert error_beside(wrong.text, "ends_on") == "Last day away cannot be before first day away"
    assert f'<option value="{cover_user.id}" selected>' in wrong.text
    missing = away.submit(url, url, {"delegate_id": "", **days("ends_on", 2)})
    assert error_beside(missing.text, "delegate_id") == "Choose who will decide for you"
    assert error_beside(missing.text, "starts_on") == "Enter first day away"

    done = away.submit(
        url,
        url,
        {
            "delegate_id": str(cover_user.id),
            "role": "legal",
            **days("starts_on", 0),
            **days("ends_on", 6),
        },
    )
    assert done.status_code == 303, done.text
    mine = away.get(url).text
    assert "Bo Cover decides for you" in mine and "In force" in mine
    theirs = cover.get(url).text
    assert "You decide for Ada Away" in theirs and "Withdraw" not in theirs
    assert "none to delegate" in requester.get(url).text

    with Session(engine) as session:
        row = session.exec(select(Delegation)).one()
    withdraw = f"/app/delegations/{row.id}/withdraw"
    assert cover.submit(url, withdraw, {}).status_code == 403
    gone = away.submit(url, withdraw, {})
    assert gone.status_code == 303
    assert "Withdrawn" in away.get(url).text
    assert away.submit(url, withdraw, {}).status_code == 409


def test_a_delegate_decides_on_the_case_page_on_behalf_of_a_colleague_away(
    signed_in: Any,
    engine: Engine,
    make_user: Any,
    client: Any,
    helpers: Any,
    run_flows: Any,
) -> None:
    cover, cover_user, _ = signed_in("legal", name="Bo Cover")
    away, away_token = make_user("legal", name="Ada Away")
    _, requester_token = make_user("requester")
    raised = client.post(
        "/cases", json=helpers.purchase_request(), headers=helpers.auth(requester_token)
    )
    run_flows()
    case_id = raised.json()["id"]
    url = f"/app/cases/{case_id}"
    assert "On behalf of Ada Away" not in cover.get(url).text  # no delegation yet
    today = clock.today().isoformat()
    delegation = {
        "delegate_id": cover_user.id,
        "role": "legal",
        "starts_on": today,
        "ends_on": today,
    }
    assert (
        client.post("/delegations", json=delegation, headers=helpers.auth(away_token)).status_code
        == 201
    )

    waiting = cover.get("/app/").text
    assert "You may decide it on behalf of Ada Away (delegated to you)" in waiting
    page = cover.get(url).text
    assert "On behalf of Ada Away (delegated to you)" in page
    gate_id = re.search(r'name="gate_id" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    decided = cover.submit(
        url,
        f"{url}/decision",
        {
            "gate_id": gate_id,
            "decision": "approve",
            "contract_type": "Services",
            "key_contract": "no",
            "on_behalf_of": str(away.id),
        },
    )
    assert decided.status_code == 303, decided.text
    with Session(engine) as session:
        gate = session.get(Gate, int(gate_id))
        assert gate is not None and (gate.decided_by, gate.decided_for) == (cover_user.id, away.id)
    assert "on behalf of Ada Away, by delegation" in cover.get(url).text
