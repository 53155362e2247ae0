"""The cases list: only the cases a person may read, newest first, filtered by stage and
status, 25 a page with GOV.UK pagination."""

import html
import re
from typing import Any

from sqlalchemy import Engine

from api.pages.cases_list import _href
from api.pages.paging import pagination
from lifecycle.db import transaction
from lifecycle.models import User
from lifecycle.schemas import PurchaseRequestIn
from lifecycle.services import cases
from lifecycle.settings import Settings
from tests.conftest import purchase_request


def references(page: str) -> list[str]:
    """The references listed, in order."""
    return re.findall(r'<a class="govuk-link" href="/app/cases/\d+">(PR-\d{4}-\d{4})</a>', page)


def text_of(page: str) -> str:
    """What a person reads, without tags, spaces collapsed."""
    body = re.sub(r"<head>.*?</head>|<script.*?</script>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def raise_cases(
    engine: Engine, settings: Settings, requester: User, number: int, **fields: Any
) -> None:
    """`number` purchase requests by `requester`."""
    body = PurchaseRequestIn.model_validate(purchase_request(**fields))
    with transaction(engine) as session:
        for _ in range(number):
            cases.create(session, requester=requester, request=body, settings=settings)


def test_a_requester_pages_through_their_own_cases_newest_first(
    signed_in: Any, make_user: Any, engine: Engine, settings: Settings
) -> None:
    """30 of theirs over two pages; a colleague's two never appear."""
    person, requester, _ = signed_in("requester")
    colleague, _ = make_user("requester")
    raise_cases(engine, settings, colleague, 2, title="Someone else's purchase")
    raise_cases(
        engine, settings, requester, 30, department="Libraries", estimated_value_pence=1_250_050
    )

    first = person.get("/app/cases")
    assert first.status_code == 200
    shown = references(first.text)
    assert len(shown) == 25
    assert shown[0].endswith("-0032") and shown[-1].endswith("-0008")
    assert "Showing 1 to 25 of 30 cases" in text_of(first.text)
    assert "Someone else's purchase" not in first.text
    row = text_of(first.text)
    assert "Highways maintenance framework Libraries £12,500.50 Purchase request In progress" in row
    assert 'href="/app/cases?page=2"' in first.text and 'aria-current="page"' in first.text

    second = person.get("/app/cases?page=2")
    assert [ref[-4:] for ref in references(second.text)] == ["0007", "0006", "0005", "0004", "0003"]
    assert "Showing 26 to 30 of 30 cases" in text_of(second.text)
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    # A page past the end shows the last page rather than nothing.
    assert "Showing 26 to 30 of 30 cases" in text_of(person.get("/app/cases?page=9").text)


def test_filters_by_stage_and_status_and_keeps_them_across_pages(
    signed_in: Any, make_user: Any, engine: Engine, settings: Settings, run_flows: Any
) -> None:
    """Legal reads every case; the filters narrow them and the page links keep the filters."""
    legal, _, _ = signed_in("legal")
    requester, _ = make_user("requester")
    raise_cases(engine, settings, requester, 27)
    run_flows()  # every case now waits on legal's early consultation
    raise_cases(engine, settings, requester, 3, title="Fresh request")

    everything = legal.get("/app/cases")
    assert "Showing 1 to 25 of 30 cases" in text_of(everything.text)
    waiting = legal.get("/app/cases?stage=legal_consultation&status=awaiting_decision")
    assert "Showing 1 to 25 of 27 cases" in text_of(waiting.text)
    assert "Fresh request" not in waiting.text
    assert 'href="/app/cases?stage=legal_consultation&amp;status=awaiting_decision&amp;page=2"' in (
        waiting.text
    )
    assert re.search(r'<option value="legal_consultation" selected>', waiting.text)
    fresh = legal.get("/app/cases?stage=purchase_request&status=")
    assert "Showing 1 to 3 of 3 cases" in text_of(fresh.text)
    assert 'class="govuk-pagination' not in fresh.text
    none = legal.get("/app/cases?stage=exit")
    assert "No cases you can read match these filters." in text_of(none.text)
    # A value the list does not know filters nothing, rather than failing.
    assert "of 30 cases" in text_of(legal.get("/app/cases?stage=nonsense").text)


def test_someone_with_no_cases_is_told_so(signed_in: Any) -> None:
    """An empty list says there is nothing, in words."""
    person, _, _ = signed_in("contract_manager")
    page = person.get("/app/cases")
    assert page.status_code == 200
    assert "There are no cases you can read yet." in text_of(page.text)


def test_the_count_agrees_with_the_list(make_user: Any, engine: Engine, settings: Settings) -> None:
    """`cases.count` counts what `cases.list_` pages through, for each reader."""
    first, _ = make_user("requester")
    second, _ = make_user("requester")
    auditor, _ = make_user("auditor")
    raise_cases(engine, settings, first, 4)
    raise_cases(engine, settings, second, 2)
    with transaction(engine) as session:
        for reader, expected in ((first, 4), (second, 2), (auditor, 6)):
            listed = cases.list_(session, visible_to=reader, limit=100)
            assert cases.count(session, visible_to=reader) == len(listed) == expected


def test_long_lists_show_the_first_last_and_neighbouring_pages() -> None:
    """Ten pages, on page five: 1 … 4 5 6 … 10, the filters kept in every link."""
    found = pagination(5, 10, lambda number: _href(number, {"stage": "exit"}))
    assert found is not None and pagination(1, 1, str) is None
    items = found["items"]
    assert found["previous"] == {"href": "/app/cases?stage=exit&page=4"}
    shown = ["…" if item.get("ellipsis") else item["number"] for item in items]
    assert shown == [1, "…", 4, 5, 6, "…", 10]
    assert [item["number"] for item in items if item.get("current")] == [5]
    assert items[0]["href"] == "/app/cases?stage=exit&page=1"
