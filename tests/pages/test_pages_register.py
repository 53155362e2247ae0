"""The public contract register page: what a visitor sees without signing in, each filter
as typed into the form, sorting by the column headings, paging, the CSV link carrying the
same filter, bad values shown beside their fields, and a contract that reaches the register
through the real lifecycle."""

import csv
import html
import io
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lifecycle import clock
from tests.api.test_api_register_filters import (
    DRAFT,
    GROUNDS,
    HIGHWAYS,
    HOME_CARE,
    LAPTOPS,
    VERIFIED,
    publish,
)

_REFERENCE = re.compile(r'<span class="app-register-table__reference">([^<]+)</span>')


def shown(page: str) -> list[str]:
    """The references in the table, top to bottom."""
    return _REFERENCE.findall(page)


def href(page: str, text: str) -> str:
    """The address of the first link whose text starts with `text`."""
    found = re.search(r'<a [^>]*href="([^"]+)"[^>]*>\s*' + re.escape(text), page)
    assert found, f"no link {text!r} on the page"
    return html.unescape(found.group(1))


def csv_references(client_text: str) -> list[str]:
    """The references in a CSV download, in order."""
    return [row["Reference"] for row in csv.DictReader(io.StringIO(client_text))]


def next_page(page: str) -> str | None:
    """The address the pagination's Next link goes to, if there is one."""
    found = re.search(r'href="([^"]+)" rel="next"', page)
    return html.unescape(found.group(1)) if found else None


def every_page(visitor: Any, url: str | None) -> list[str]:
    """The references over every page of a search, following the Next links."""
    found: list[str] = []
    while url is not None:
        page = visitor.get(url).text
        found += shown(page)
        url = next_page(page)
    return found


@pytest.fixture
def sample(engine: Engine) -> dict[str, str]:
    """Four public entries and two that are not, by name: their references."""
    names = ("highways", "home_care", "laptops", "grounds", "draft", "verified")
    rows = (HIGHWAYS, HOME_CARE, LAPTOPS, GROUNDS, DRAFT, {**VERIFIED, "status": "verified"})
    return dict(zip(names, publish(engine, *rows), strict=True))


def test_an_empty_register_says_so(browser: Any) -> None:
    """No sign-in needed; nothing published yet."""
    page = browser().get("/app/register")
    assert page.status_code == 200
    assert "0 contracts" in page.text
    assert "No contracts have been published on the register yet." in page.text
    assert "Download these contracts as CSV" not in page.text


def test_contracts_read_as_people_read_them(browser: Any, sample: dict[str, str]) -> None:
    """Money in pounds, dates in words, SME and VCSE as Yes or No, the OCID, an ended
    contract marked; unpublished entries and their departments nowhere, and no link to a
    case page (the public cannot open them)."""
    page = browser().get("/app/register").text
    assert shown(page) == [sample[name] for name in ("highways", "home_care", "laptops", "grounds")]
    assert "4 contracts" in page and "Showing 1 to 4 of 4 contracts" in page
    assert "£250,000.00" in page and "£75,500.50" in page
    assert "1 April 2026" in page and "31 March 2030" in page
    assert f"OCID ocds-procure-{sample['home_care']}" in page
    assert "Ended 31 August 2026" in page
    home_care_row = page.split(sample["home_care"], 1)[1].split("</tr>")[0]
    assert home_care_row.count(">Yes<") == 2
    assert "Secret draft" not in page and "Hidden Ltd" not in page
    assert "Verified only" not in page and "Unpublished Dept" not in page
    assert '<option value="Highways"' in page and '<option value="IT"' in page
    assert "/app/cases/" not in page


DAY = ("day", "month", "year")


def date_boxes(name: str, day: int, month: int, year: int) -> dict[str, str]:
    """A GOV.UK date input's three boxes, as typed."""
    return dict(zip((f"{name}-{part}" for part in DAY), map(str, (day, month, year)), strict=True))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"q": "laptop"}, ["laptops"]),
        ({"q": "Resurfacing"}, ["highways"]),
        ({"department": "Highways"}, ["highways", "grounds"]),
        ({"supplier": "grounds"}, ["grounds"]),
        (date_boxes("start_from", 1, 4, 2026), ["home_care", "laptops"]),
        (date_boxes("start_to", 10, 1, 2026), ["highways", "grounds"]),
        (date_boxes("end_from", 1, 1, 2028), ["home_care", "laptops"]),
        (date_boxes("end_to", 31, 12, 2026), ["grounds"]),
        ({"min_value": "45,000"}, ["home_care", "laptops", "grounds"]),
        ({"max_value": "£45000.00"}, ["highways", "laptops"]),
        ({"department": "Highways", "min_value": "50000"}, ["grounds"]),
    ],
)
def test_each_filter_as_typed(
    browser: Any, sample: dict[str, str], typed: dict[str, str], expected: list[str]
) -> None:
    """Each filter alone (and two together); the count says how many match, the CSV link
    downloads exactly those, and what was typed stays in the form."""
    visitor = browser()
    page = visitor.get(f"/app/register?{urlencode(typed)}").text
    wanted = [sample[name] for name in expected]
    assert shown(page) == wanted
    noun = "contract" if len(wanted) == 1 else "contracts"
    assert f"{len(wanted)} {noun} match" in page
    assert csv_references(visitor.get(href(page, "Download these contracts as CSV")).text) == wanted
    for value in typed.values():
        assert f'value="{html.escape(value)}"' in page


def test_sorting_by_the_column_headings(browser: Any, sample: dict[str, str]) -> None:
    """A heading sorts by its column; the same heading again reverses it; the table says
    which way it is sorted."""
    visitor = browser()
    page = visitor.get("/app/register?department=Highways").text
    by_value = visitor.get(href(page, "Value")).text
    assert shown(by_value) == [sample["highways"], sample["grounds"]]
    assert re.search(r'aria-sort="ascending">\s*<a[^>]*>Value', by_value)
    reversed_ = visitor.get(href(by_value, "Value")).text
    assert shown(reversed_) == [sample["grounds"], sample["highways"]]
    assert re.search(r'aria-sort="descending">\s*<a[^>]*>Value', reversed_)
    assert "department=Highways" in href(reversed_, "Supplier")
    by_start = visitor.get("/app/register?sort=start_date&order=asc").text
    assert shown(by_start) == [sample[n] for n in ("grounds", "highways", "home_care", "laptops")]


def test_paging_through_sixty_contracts(browser: Any, engine: Engine) -> None:
    """25 a page with the GOV.UK pagination; a page past the end shows the last page."""
    references = publish(engine, *({"title": f"Lot {number}"} for number in range(60)))
    visitor = browser()
    first = visitor.get("/app/register").text
    assert "Showing 1 to 25 of 60 contracts" in first
    assert shown(first) == references[:25]
    assert 'class="govuk-pagination' in first and 'aria-current="page"' in first
    second = visitor.get(next_page(first)).text
    assert "Showing 26 to 50 of 60 contracts" in second
    assert shown(second) == references[25:50]
    third = visitor.get("/app/register?page=3").text
    assert shown(third) == references[50:] and "Showing 51 to 60 of 60 contracts" in third
    assert shown(visitor.get("/app/register?page=99").text) == references[50:]
    assert shown(visitor.get("/app/register?page=x").text) == references[:25]


def test_the_csv_link_downloads_the_rows_of_every_page(browser: Any, engine: Engine) -> None:
    """Over several pages of a filtered, sorted search, the CSV holds the same rows in the
    same order."""
    publish(
        engine,
        *(
            {
                "department": ("Housing", "Finance", "IT")[number % 3],
                "value_pence": 5_000_00 + (number * 7919 % 100) * 1_000_00,
                "supplier_name": f"Supplier {number % 4} Ltd",
            }
            for number in range(120)
        ),
    )
    visitor = browser()
    url = "/app/register?" + urlencode(
        {"department": "Housing", "min_value": "20000", "sort": "supplier", "order": "desc"}
    )
    on_pages = every_page(visitor, url)
    assert len(on_pages) > 25
    download = visitor.get(href(visitor.get(url).text, "Download these contracts as CSV"))
    assert download.headers["content-type"].startswith("text/csv")
    assert csv_references(download.text) == on_pages


def test_bad_values_are_shown_beside_their_fields_and_the_rest_still_filters(
    browser: Any, sample: dict[str, str]
) -> None:
    """A date that is not real and an amount that is not money: each said in words beside its
    field with what was typed kept; the department filter still applies."""
    typed = {
        "department": "Highways",
        "min_value": "lots",
        **date_boxes("start_from", 31, 2, 2026),
    }
    answer = browser().get(f"/app/register?{urlencode(typed)}")
    page = answer.text
    assert answer.status_code == 200
    assert "<title>Error: Contract register" in page
    assert "Start date from must be a real date" in page
    assert "Minimum value must be an amount in pounds" in page
    summary = page.split("There is a problem")[1]
    assert summary.index('href="#min_value"') < summary.index('href="#start_from"')
    assert 'value="lots"' in page and 'value="31"' in page
    assert shown(page) == [sample["highways"], sample["grounds"]]
    assert "Download these contracts as CSV" in page


def test_a_minimum_above_the_maximum_keeps_the_minimum(
    browser: Any, sample: dict[str, str]
) -> None:
    """The maximum is the one in the wrong: it is set aside and the minimum still applies, in
    the table and in the CSV link."""
    page = browser().get("/app/register?min_value=50000&max_value=1000").text
    assert "Maximum value must not be less than minimum value" in page
    assert 'value="1000"' in page
    assert shown(page) == [sample["home_care"], sample["grounds"]]
    link = href(page, "Download these contracts as CSV")
    assert "min_value_pence=5000000" in link and "max_value" not in link


def test_an_overlong_search_is_refused_in_words(browser: Any, sample: dict[str, str]) -> None:
    """The limit is named, and every contract is still listed."""
    page = browser().get("/app/register?" + urlencode({"q": "x" * 201})).text
    assert "Search must be 200 characters or fewer" in page
    assert len(shown(page)) == 4


def test_a_contract_reaches_the_register_through_the_lifecycle(
    client: TestClient, browser: Any, make_user: Any, run_flows: Any, helpers: Any
) -> None:
    """A quotes-route contract is off the register until procurement verifies its entry, then
    on it with the awarded supplier, price and dates."""
    _, requester = make_user("requester")
    _, legal = make_user("legal")
    _, buyer = make_user("procurement")
    _, approver = make_user("procurement")
    manager, manager_token = make_user("contract_manager")

    def ok(method: str, url: str, token: str, **kwargs: Any) -> Any:
        """One API call that must succeed, then the stage work it asks for."""
        response = client.request(method, url, headers=helpers.auth(token), **kwargs)
        assert response.status_code in (200, 201), response.text
        run_flows()
        return response.json()

    def decide(case_id: int, token: str, **body: Any) -> None:
        """Decide the case's pending gate."""
        gate = ok("get", f"/cases/{case_id}", token)["pending_gate"]
        ok("post", f"/cases/{case_id}/gates/{gate['id']}/decision", token, json=body)

    body = helpers.purchase_request(title="Library van", estimated_value_pence=12_000_00)
    case = ok("post", "/cases", requester, json=body)
    decide(case["id"], legal, decision="approve", contract_type="Goods", key_contract=False)
    bids = [
        ok(
            "post",
            f"/cases/{case['id']}/bids",
            buyer,
            json={"supplier_name": name, "price_pence": p},
        )
        for name, p in (
            ("Vanworks Ltd", 11_250_00),
            ("Beta Ltd", 11_500_00),
            ("Gamma Ltd", 11_900_00),
        )
    ]
    ok(
        "post",
        f"/cases/{case['id']}/award-recommendation",
        buyer,
        json={"bid_id": bids[0]["id"], "rationale": "Lowest of three quotes"},
    )
    decide(case["id"], approver, decision="approve")
    ok(
        "post",
        f"/cases/{case['id']}/documents",
        legal,
        data={"document_type": "contractSigned", "title": "Signed"},
        files={"file": ("signed.pdf", b"%PDF-1.4\n% van\n%%EOF\n", "application/pdf")},
    )
    start = clock.today() + timedelta(days=7)
    ok(
        "put",
        f"/cases/{case['id']}/contract",
        buyer,  # legal confirms the signing, so another officer records the contract
        json={
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=365)).isoformat(),
            "supplier_signed_on": clock.today().isoformat(),
            "council_signed_on": clock.today().isoformat(),
        },
    )
    decide(case["id"], legal, decision="approve")
    ok("put", f"/cases/{case['id']}/contract-manager", requester, json={"user_id": manager.id})
    ok(
        "patch",
        f"/cases/{case['id']}/register-entry",
        manager_token,
        json={"review_date": (start + timedelta(days=180)).isoformat()},
    )
    ok("post", f"/cases/{case['id']}/register-entry/submit", manager_token)
    visitor = browser()
    assert shown(visitor.get("/app/register").text) == []

    decide(case["id"], buyer, decision="approve")
    page = visitor.get("/app/register?q=library").text
    assert shown(page) == [case["reference"]]
    assert "Vanworks Ltd" in page and "£11,250.00" in page
    assert f"{start.day} {start:%B %Y}" in page
