"""Delegation: someone away delegates their gates of one role to a colleague holding it, for
a bounded period. The delegate sees those gates as waiting on them, reminders go to both,
a decision on the delegator's behalf records both names, and segregation of duties applies
to both; a delegation can be withdrawn, once. Over the API, on SQLite and PostgreSQL."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import AuditEvent, Gate, Mail, User
from lifecycle.services import gates, worklist
from lifecycle.settings import Settings

APPROVE = {"decision": "approve", "contract_type": "Services", "key_contract": False}


def raise_case(client: TestClient, token: str, helpers: Any, run_flows: Any) -> dict[str, Any]:
    """An above-threshold case waiting on the early legal consultation."""
    response = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    assert response.status_code == 201, response.text
    run_flows()
    detail = client.get(f"/cases/{response.json()['id']}", headers=helpers.auth(token)).json()
    assert detail["pending_gate"]["kind"] == "legal_consultation"
    return dict(detail)


def decide(client: TestClient, case: dict[str, Any], token: str, **extra: Any) -> Any:
    """Approve the case's pending gate, with `extra` in the body."""
    return client.post(
        f"/cases/{case['id']}/gates/{case['pending_gate']['id']}/decision",
        json={**APPROVE, **extra},
        headers={"Authorization": f"Bearer {token}"},
    )


def period(days_from: int, days_to: int) -> dict[str, str]:
    """starts_on and ends_on, counted from today."""
    today = clock.today()
    return {
        "starts_on": (today + timedelta(days=days_from)).isoformat(),
        "ends_on": (today + timedelta(days=days_to)).isoformat(),
    }


def test_a_delegation_is_validated_listed_and_withdrawn_once(
    client: TestClient, make_user: Any, helpers: Any
) -> None:
    away, away_token = make_user("legal", name="Ada Away")
    cover, cover_token = make_user("legal", name="Bo Cover")
    buyer, buyer_token = make_user("procurement")
    _, stranger_token = make_user("legal")
    body = {"delegate_id": cover.id, "role": "legal", **period(0, 13)}

    for wrong, status, field in (
        ({**body, **period(-1, 3)}, 422, "starts_on"),
        ({**body, **period(3, 2)}, 422, "ends_on"),
        ({**body, **period(0, 92)}, 422, "ends_on"),  # longer than the 92 days allowed
        ({**body, "role": "wizard"}, 422, "role"),
        ({**body, "role": "procurement"}, 422, "role"),  # not a role they hold
        ({**body, "delegate_id": away.id}, 422, "delegate_id"),
        ({**body, "delegate_id": buyer.id}, 422, "delegate_id"),  # does not hold legal
        ({**body, "delegate_id": 999_999}, 422, "delegate_id"),  # as unsuitable: ids not probed
        ({**body, "delegate_id": 0}, 422, "delegate_id"),
        ({**body, "ends_on": "9999-99-99"}, 422, "ends_on"),
    ):
        answer = client.post("/delegations", json=wrong, headers=helpers.auth(away_token))
        assert answer.status_code == status, (wrong, answer.text)
        assert answer.json()["field"] == field
        assert "wizard" not in answer.text and "9999-99-99" not in answer.text
    # A role that decides no gate is not delegated, even between two who hold it.
    _, requester_token = make_user("requester")
    other_requester, _ = make_user("requester")
    nothing = {**body, "delegate_id": other_requester.id, "role": "requester"}
    answer = client.post("/delegations", json=nothing, headers=helpers.auth(requester_token))
    assert answer.status_code == 422 and answer.json()["field"] == "role"

    made = client.post("/delegations", json=body, headers=helpers.auth(away_token))
    assert made.status_code == 201, made.text
    delegation = made.json()
    assert (delegation["delegator_id"], delegation["delegate_id"]) == (away.id, cover.id)
    # One stand-in per role at a time: an overlapping second delegation is refused.
    clash = client.post(
        "/delegations", json={**body, **period(13, 20)}, headers=helpers.auth(away_token)
    )
    assert clash.status_code == 409

    # Both people see it; nobody else does.
    for token, count in ((away_token, 1), (cover_token, 1), (stranger_token, 0)):
        assert len(client.get("/delegations", headers=helpers.auth(token)).json()) == count

    url = f"/delegations/{delegation['id']}/withdraw"
    assert client.post(url, headers=helpers.auth(stranger_token)).status_code == 404
    assert client.post(url, headers=helpers.auth(cover_token)).status_code == 403
    assert client.post("/delegations/0/withdraw", headers=helpers.auth(away_token)).status_code == (
        422
    )
    withdrawn = client.post(url, headers=helpers.auth(away_token))
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_by"] == away.id
    again = client.post(url, headers=helpers.auth(away_token))
    assert again.status_code == 409 and "already withdrawn" in again.json()["detail"]
    # Withdrawn, the days are free again.
    assert client.post("/delegations", json=body, headers=helpers.auth(away_token)).status_code == (
        201
    )


def test_a_delegate_decides_on_behalf_with_both_names_and_segregation_for_both(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    run_flows: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    away, away_token = make_user("legal", "requester", name="Ada Away")
    cover, cover_token = make_user("legal", "requester", name="Bo Cover")
    _, other_token = make_user("legal", name="Cy Other")
    _, requester_token = make_user("requester")
    ordinary = raise_case(client, requester_token, helpers, run_flows)
    by_cover = raise_case(client, cover_token, helpers, run_flows)
    by_away = raise_case(client, away_token, helpers, run_flows)
    spare = raise_case(client, requester_token, helpers, run_flows)

    # No delegation yet: nobody decides on Ada's behalf.
    refused = decide(client, ordinary, cover_token, on_behalf_of=away.id)
    assert refused.status_code == 403 and refused.json()["field"] == "on_behalf_of"
    body = {"delegate_id": cover.id, "role": "legal", **period(0, 30)}
    assert client.post("/delegations", json=body, headers=helpers.auth(away_token)).status_code == (
        201
    )

    # Bo sees Ada's gates as his to decide on her behalf, where both of them may decide.
    with Session(engine) as session:
        me = session.get(User, cover.id)
        assert me is not None
        tasks = worklist.for_person(session, me=me, settings=settings).tasks
    behalf = {task.reference: task.on_behalf_of for task in tasks}
    assert behalf[ordinary["reference"]] == ("Ada Away",)
    assert behalf[spare["reference"]] == ("Ada Away",)
    assert behalf[by_away["reference"]] == ()  # Ada requested it: not on her behalf
    assert by_cover["reference"] not in behalf  # Bo requested it: not his to decide at all

    # SLA reminders for an overdue gate reach both of them.
    today = clock.today()
    monkeypatch.setattr(clock, "today", lambda: today + timedelta(days=20))
    with transaction(engine) as session:
        assert gates.remind_overdue(session, settings=settings) > 0
    with Session(engine) as session:
        reminder = session.exec(
            select(Mail).where(
                Mail.key == f"{ordinary['reference']}:gate:"
                f"{ordinary['pending_gate']['id']}:reminder"
            )
        ).one()
    assert {away.email, cover.email} <= set(reminder.recipients)
    monkeypatch.setattr(clock, "today", lambda: today)

    # Segregation for the delegate: Bo requested this case, delegation or not.
    mine = decide(client, by_cover, cover_token, on_behalf_of=away.id)
    assert mine.status_code == 403 and "requester" in mine.json()["detail"]
    # ... and for the delegator: Ada requested this one, so nobody decides it in her name.
    hers = decide(client, by_away, cover_token, on_behalf_of=away.id)
    assert hers.status_code == 403 and "could not decide" in hers.json()["detail"]
    # Someone Ada did not delegate to cannot decide for her.
    assert decide(client, ordinary, other_token, on_behalf_of=away.id).status_code == 403

    done = decide(client, ordinary, cover_token, on_behalf_of=away.id)
    assert done.status_code == 200, done.text
    assert (done.json()["decided_by"], done.json()["decided_for"]) == (cover.id, away.id)
    again = decide(client, ordinary, cover_token, on_behalf_of=away.id)
    assert again.status_code == 409
    with Session(engine) as session:
        gate = session.get(Gate, ordinary["pending_gate"]["id"])
        assert gate is not None and (gate.decided_by, gate.decided_for) == (cover.id, away.id)
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == ordinary["id"], AuditEvent.action == "gate_decided"
            )
        ).one()
        assert event.actor_id == cover.id
        assert (event.detail["decided_by"], event.detail["on_behalf_of_name"]) == (
            "Bo Cover",
            "Ada Away",
        )
        told = session.exec(
            select(Mail).where(col(Mail.key).endswith(f"gate:{gate.id}:decided"))
        ).one()
        assert "Bo Cover on behalf of Ada Away" in told.text_body

    # Withdrawn, the delegation no longer lets Bo act for Ada (in his own right he still may).
    mine_again = client.get("/delegations", headers=helpers.auth(away_token)).json()
    client.post(f"/delegations/{mine_again[0]['id']}/withdraw", headers=helpers.auth(away_token))
    assert decide(client, spare, cover_token, on_behalf_of=away.id).status_code == 403
    own = decide(client, spare, cover_token)
    assert own.status_code == 200 and own.json()["decided_for"] is None
