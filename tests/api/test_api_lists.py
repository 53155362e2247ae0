"""Listing cases: filters by stage and status, and 'waiting on me' for a decider, which never
includes the decider's own requests."""

from typing import Any

from fastapi.testclient import TestClient


def ids(client: TestClient, token: str, query: str = "") -> list[int]:
    response = client.get(f"/cases{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return [case["id"] for case in response.json()]


def test_filters_and_waiting_on_me(
    client: TestClient, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    _, requester_token = make_user("requester")
    _, dual_token = make_user("requester", "legal")
    _, legal_token = make_user("legal")
    _, buyer_token = make_user("procurement")
    _, auditor_token = make_user("auditor")
    as_ = helpers.auth

    def raise_(token: str, **overrides: Any) -> int:
        body = helpers.purchase_request(**overrides)
        response = client.post("/cases", json=body, headers=as_(token))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    theirs = raise_(requester_token)  # legal consultation, awaiting decision
    own = raise_(dual_token)  # legal consultation, awaiting decision, raised by the dual user
    sent_back = raise_(requester_token)  # legal consultation, changes requested
    chairs = raise_(requester_token, estimated_value_pence=1_000_00, contract_required=False)
    run_flows()
    not_yet_run = raise_(requester_token)  # still in purchase_request, in progress

    detail = client.get(f"/cases/{sent_back}", headers=as_(legal_token)).json()
    response = client.post(
        f"/cases/{sent_back}/gates/{detail['pending_gate']['id']}/decision",
        json={"decision": "request_changes", "reason": "Split into lots"},
        headers=as_(legal_token),
    )
    assert response.status_code == 200, response.text

    assert ids(client, auditor_token) == [not_yet_run, chairs, sent_back, own, theirs]
    assert ids(client, auditor_token, "?stage=legal_consultation") == [sent_back, own, theirs]
    assert ids(client, auditor_token, "?stage=procurement") == [chairs]
    assert ids(client, auditor_token, "?stage=purchase_request") == [not_yet_run]
    assert ids(client, auditor_token, "?stage=signing") == []
    assert ids(client, auditor_token, "?status=awaiting_decision") == [own, theirs]
    assert ids(client, auditor_token, "?status=changes_requested") == [sent_back]
    assert ids(client, auditor_token, "?status=in_progress") == [not_yet_run, chairs]
    assert ids(client, auditor_token, "?stage=procurement&status=awaiting_decision") == []
    assert ids(client, auditor_token, "?stage=legal_consultation&status=awaiting_decision") == [
        own,
        theirs,
    ]
    for row in client.get("/cases?status=awaiting_decision", headers=as_(auditor_token)).json():
        assert (row["stage"], row["status"]) == ("legal_consultation", "awaiting_decision")

    # Waiting on me: gates of my role, pending, on cases I did not raise.
    assert ids(client, legal_token, "?waiting_on_me=true") == [own, theirs]
    assert ids(client, dual_token, "?waiting_on_me=true") == [theirs]
    assert ids(client, buyer_token, "?waiting_on_me=true") == []
    assert ids(client, requester_token, "?waiting_on_me=true") == []
    assert ids(client, auditor_token, "?waiting_on_me=true") == []
    # Without the flag everyone who may read sees everything.
    assert len(ids(client, dual_token)) == 5

    # Paging keeps the newest-first order.
    assert ids(client, auditor_token, "?limit=2") == [not_yet_run, chairs]
    assert ids(client, auditor_token, "?limit=2&offset=2") == [sent_back, own]


def test_unknown_filter_values_are_refused(
    client: TestClient, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("auditor")
    for query, field in (
        ("?stage=tendering", "stage"),
        ("?status=open", "status"),
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?offset=-1", "offset"),
        ("?waiting_on_me=perhaps", "waiting_on_me"),
    ):
        response = client.get(f"/cases{query}", headers=helpers.auth(token))
        assert response.status_code == 422, (query, response.text)
        assert response.json()["field"] == field, query
