"""A case's Procurement Act notices over the API, on SQLite and PostgreSQL: which are due and
by when, what a notice lacks before it can be marked ready, publication with Find a Tender's
identifier, and the refusals (wrong role, bad input, a second decision)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lifecycle import clock
from lifecycle.settings import Settings
from tests.api.test_api_ocds import walk_case
from tests.ocds_check import assert_valid

UK_TYPES = ("implementationNotice", "contractTerminationNotice")


def test_notices_of_a_below_threshold_contract(
    client: TestClient,
    settings: Settings,
    make_user: Any,
    run_flows: Callable[..., list[str]],
    helpers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = clock.today()
    steps = walk_case(client, make_user, run_flows, helpers, monkeypatch)
    case = next(case for stage, case, _ in steps if stage == "register_entry")
    _, buyer = make_user("procurement")
    _, outsider = make_user("requester")
    url = f"/cases/{case['id']}/notices"
    as_ = helpers.auth

    listed = client.get(url, headers=as_(buyer))
    assert listed.status_code == 200, listed.text
    notices = {n["key"]: n for n in listed.json()}
    assert {k: n["due_by"] for k, n in notices.items() if n["required"]} == {
        "UK4": today.isoformat(),
        "UK7": (today + timedelta(days=29)).isoformat(),  # 30 days beginning with today
    }
    assert {k for k, n in notices.items() if not n["required"]} == {
        "UK6",
        "UK9",
        "UK10",
        "UK11",
    }
    for notice in notices.values():
        assert notice["status"] == "draft"
        assert_valid("single", notice["release"], UK_TYPES)
    assert notices["UK7"]["missing"] == ["buyer.identifier.id"]
    assert client.get(url, headers=as_(outsider)).status_code == 404

    ready = f"{url}/UK7/ready"
    assert client.post(ready, headers=as_(outsider)).status_code == 404
    _, auditor = make_user("auditor")  # reads every case, changes none
    refused = client.post(ready, headers=as_(auditor))
    assert refused.status_code == 403 and "procurement" in refused.json()["detail"]
    refused = client.post(ready, headers=as_(buyer))
    assert refused.status_code == 409 and "buyer.identifier.id" in refused.json()["detail"]
    monkeypatch.setattr(settings, "buyer_identifier", "EXB")
    marked = client.post(ready, headers=as_(buyer))
    assert marked.status_code == 200, marked.text
    assert (marked.json()["status"], marked.json()["missing"]) == ("ready", [])
    assert client.post(ready, headers=as_(buyer)).status_code == 409

    published = f"{url}/UK7/published"
    body = {"published_on": today.isoformat(), "identifier": "041267-2026"}
    for bad in (
        {**body, "identifier": "<script>alert(1)</script>"},
        {**body, "published_on": (today + timedelta(days=1)).isoformat()},
        {**body, "extra": 1},
    ):
        response = client.post(published, json=bad, headers=as_(buyer))
        assert response.status_code == 422 and "script" not in response.text
    response = client.post(published, json=body, headers=as_(buyer))
    assert response.status_code == 200, response.text
    notice = response.json()
    assert (notice["status"], notice["identifier"]) == ("published", "041267-2026")
    assert notice["release"]["id"] == "041267-2026"
    assert notice["release"]["awards"][0]["documents"][0]["noticeType"] == "UK7"
    assert_valid("single", notice["release"], UK_TYPES)
    assert client.post(published, json=body, headers=as_(buyer)).status_code == 409

    assert client.post(f"{url}/UK6/ready", headers=as_(buyer)).status_code == 409
    assert client.post(f"{url}/UK9-5/ready", headers=as_(buyer)).status_code == 404
    assert client.post(f"{url}/UK5/ready", headers=as_(buyer)).status_code == 422
    assert client.post(f"{url}/UK4/published", json=body, headers=as_(buyer)).status_code == 409
    timeline = client.get(f"/cases/{case['id']}", headers=as_(buyer)).json()["timeline"]
    assert [e["action"] for e in timeline if e["action"].startswith("notice_")] == [
        "notice_ready",
        "notice_published",
    ]
