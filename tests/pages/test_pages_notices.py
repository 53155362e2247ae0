"""A case's Procurement Act notices as a page: which it needs, by when and where each stands,
what one lacks (in words and as its OCDS field), its data to download; procurement marks a
complete one ready and records it published, with refusals beside the form; everyone else who
may read the case reads it without the forms, and nobody else reads it at all."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.services import notice_reminders
from lifecycle.settings import Settings
from tests.api.test_api_ocds import walk_case


def test_procurement_marks_a_notice_ready_and_records_it_published(
    engine: Engine,
    client: TestClient,
    settings: Settings,
    make_user: Any,
    signed_in: Any,
    run_flows: Callable[..., list[str]],
    helpers: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = clock.today()
    steps = walk_case(client, make_user, run_flows, helpers, monkeypatch)
    case = next(case for stage, case, _ in steps if stage == "register_entry")
    url = f"/app/cases/{case['id']}/notices"
    buyer, _, _ = signed_in("procurement", name="Pat Buyer")
    auditor, _, _ = signed_in("auditor")
    outsider, _, _ = signed_in("requester")

    assert (
        'href="/app/cases/{}/notices"'.format(case["id"])
        in buyer.get(f"/app/cases/{case['id']}").text
    )
    page = buyer.get(url)
    assert page.status_code == 200
    text = page.text
    assert "Tender notice (UK4)" in text and "Contract details notice (UK7)" in text
    assert "0 of 2 are published" in text
    assert "the council&#39;s organisation identifier" in text and "(buyer.identifier.id)" in text
    assert "Mark UK7 ready" not in text  # something is missing

    # The daily sweep finds both owed: they wait on procurement's home page, linked to them.
    with transaction(engine) as session:
        assert notice_reminders.remind_due_notices(session, settings=settings) == 2
    home = buyer.get("/app/").text
    assert "Publish the contract details notice (UK7) on Find a Tender" in home
    assert f'href="/app/cases/{case["id"]}/notices#notice-UK7"' in home
    assert "Publish the tender notice (UK4) on Find a Tender" in home
    assert "(UK7)" not in auditor.get("/app/").text
    assert "Contract award notice (UK6)" in text  # listed as not needed, with why
    assert "only for contracts at or over the threshold" in text

    download = buyer.get(f"{url}/UK7.json")
    assert download.status_code == 200
    assert download.headers["content-disposition"].endswith('-UK7.json"')
    assert download.json()["tag"]

    for person in (outsider,):
        assert person.get(url).status_code == 404
        assert person.get(f"{url}/UK7.json").status_code == 404
    seen = auditor.get(url)
    assert seen.status_code == 200 and "<form" not in seen.text.split("<main", 1)[1]
    refused = auditor.submit(url, f"{url}/UK7/ready", {})
    assert refused.status_code == 403 and "procurement" in refused.text

    monkeypatch.setattr(settings, "buyer_identifier", "EXB")
    assert "Mark UK7 ready" in buyer.get(url).text
    unknown = buyer.submit(url, f"{url}/UK99-7/ready", {})
    assert unknown.status_code == 404 and "UK99" not in unknown.text
    marked = buyer.submit(url, f"{url}/UK7/ready", {})
    assert marked.status_code == 303 and marked.headers["location"].endswith("#notice-UK7")
    page = buyer.get(url).text
    assert "is marked ready to publish" in page and "Ready to publish" in page
    assert 'name="UK7-identifier"' in page
    again = buyer.submit(url, f"{url}/UK7/ready", {})  # no longer offered; a repeat is refused
    assert again.status_code == 409 and "The notice is already ready" in again.text
    assert 'href="#notice-UK7"' in again.text

    published = f"{url}/UK7/published"
    day = {
        "UK7-published_on-day": str(today.day),
        "UK7-published_on-month": str(today.month),
        "UK7-published_on-year": str(today.year),
    }
    empty = buyer.submit(url, published, day)
    assert empty.status_code == 422
    assert "Enter the notice identifier Find a Tender gave it" in empty.text
    assert 'href="#UK7-identifier"' in empty.text
    hostile = buyer.submit(url, published, {**day, "UK7-identifier": "<script>x</script>"})
    assert hostile.status_code == 422 and "<script>x" not in hostile.text
    assert "Notice identifier" in hostile.text
    tomorrow = today + timedelta(days=1)
    future = buyer.submit(
        url,
        published,
        {
            "UK7-published_on-day": str(tomorrow.day),
            "UK7-published_on-month": str(tomorrow.month),
            "UK7-published_on-year": str(tomorrow.year),
            "UK7-identifier": "041267-2026",
        },
    )
    assert future.status_code == 422 and "must not be in the future" in future.text
    done = buyer.submit(url, published, {**day, "UK7-identifier": "041267-2026"})
    assert done.status_code == 303, done.text
    page = buyer.get(url).text
    assert "is recorded as published" in page and "notice 041267-2026" in page
    assert "1 of 2 is published" in page
    assert 'name="UK7-identifier"' not in page
    home = buyer.get("/app/").text
    assert "(UK7)" not in home and "(UK4)" in home
