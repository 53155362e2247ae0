"""Raising a purchase request through the form: the route stated before sending, the request
sent and its flow queued, errors beside their fields with nothing lost, and who may use it."""

import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle import clock
from lifecycle.models import Case, FlowRequest

FORM = "/app/requests/new"
API_STATIC = Path(__file__).resolve().parents[2] / "api" / "static"


def answers(**overrides: str) -> dict[str, str]:
    """A complete form, as a person would type it."""
    needed = clock.today() + timedelta(days=90)
    return {
        "title": "Laptops for planning",
        "description": "Twelve laptops for the planning team, with three years' support.",
        "category": "goods",
        "department": "Planning",
        "estimated_value_pence": "25,000",
        "irrecoverable_vat_pence": "",
        "needed_by-day": str(needed.day),
        "needed_by-month": str(needed.month),
        "needed_by-year": str(needed.year),
        "contract_required": "yes",
        **overrides,
    }


def text_of(page: str) -> str:
    """What a person reads: the page without its head, scripts and tags, spaces collapsed."""
    body = re.sub(r"<head>.*?</head>|<script.*?</script>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def hidden_values(page: str) -> dict[str, str]:
    """The hidden inputs a form carries, by name."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


def error_beside(page: str, name: str) -> str:
    """The error message drawn beside field `name` (GOV.UK gives it the id `<name>-error`)."""
    found = re.search(rf'id="{re.escape(name)}-error"[^>]*>(.*?)</p>', page, re.S)
    assert found, f"no error beside {name}"
    return text_of(found.group(1)).removeprefix("Error:").strip()


def test_check_answers_states_the_route_and_what_it_means(signed_in: Any) -> None:
    """Continue shows every answer and the route with its band and meaning; nothing is sent."""
    person, _, _ = signed_in("requester")
    answer = person.submit(FORM, FORM, answers(estimated_value_pence="25,000"))
    assert answer.status_code == 200, answer.text
    page = text_of(answer.text)
    assert "Check your answers before sending your request" in page
    assert "Three written quotes" in page
    assert "£5,000 or more, under £30,000" in page
    assert "Your estimate is £25,000.00" in page
    for shown in ("Laptops for planning", "Planning", "Goods", "Yes"):
        assert shown in page
    assert "Send request" in answer.text


# (value typed, category, light touch, the route's words, its band)
BOUNDARIES = [
    ("4,999.99", "goods", "", "One quote is enough", "under £5,000"),
    ("5,000", "goods", "", "Three written quotes", "£5,000 or more, under £30,000"),
    ("29,999.99", "services", "", "Three written quotes", "£5,000 or more, under £30,000"),
    ("30,000", "goods", "", "a notice is advertised", "£30,000 or more, under £207,720"),
    ("207,719.99", "goods", "", "a notice is advertised", "£30,000 or more, under £207,720"),
    ("207,720", "goods", "", "full Procurement Act 2023 competition", "£207,720 or more"),
    ("207,720", "services", "", "full Procurement Act 2023 competition", "£207,720 or more"),
    ("207,720", "works", "", "a notice is advertised", "£30,000 or more, under £5,193,000"),
    ("5,192,999.99", "works", "", "a notice is advertised", "under £5,193,000"),
    ("5,193,000", "works", "", "full Procurement Act 2023 competition", "£5,193,000 or more"),
    ("207,720", "services", "yes", "a notice is advertised", "under £663,540"),
    ("663,539.99", "services", "yes", "a notice is advertised", "under £663,540"),
    ("663,540", "services", "yes", "full Procurement Act 2023 competition", "£663,540 or more"),
]


def test_each_route_boundary_is_stated_before_sending(signed_in: Any) -> None:
    """Values just under and at 5,000, 30,000 and each Procurement Act threshold."""
    person, _, _ = signed_in("requester")
    for value, category, light_touch, words, band in BOUNDARIES:
        fields = answers(estimated_value_pence=value, category=category, light_touch=light_touch)
        page = text_of(person.submit(FORM, FORM, fields).text)
        case = f"{value} {category} {light_touch}"
        assert words in page and band in page, case
        if "Procurement Act" in words:
            assert "standstill of at least 8 working days after the award notice" in page, case


def test_sending_creates_the_case_and_queues_its_flow(
    signed_in: Any, engine: Engine, run_flows: Any
) -> None:
    """Send request raises the case and shows its reference in a confirmation panel."""
    person, user, _ = signed_in("requester")
    fields = answers()
    check = person.submit(FORM, FORM, fields)
    assert "Send request" in check.text
    sent = person.submit(FORM, "/app/requests", fields)
    assert sent.status_code == 303
    confirmation = person.get(sent.headers["location"])
    page = text_of(confirmation.text)
    with Session(engine) as session:
        case = session.exec(select(Case)).one()
        flows = session.exec(select(FlowRequest).where(FlowRequest.case_id == case.id)).all()
    assert (case.title, case.route) == ("Laptops for planning", "quotes")
    assert case.requester_id == user.id
    assert case.estimated_value_pence == 25_000_00 and case.contract_required
    assert [flow.flow_name for flow in flows] == ["purchase-request"]
    assert "govuk-panel--confirmation" in confirmation.text
    assert f"Request sent Your reference {case.reference}" in page
    assert f'href="/app/cases/{case.id}"' in confirmation.text
    run_flows()
    with Session(engine) as session:
        assert session.get(Case, case.id).stage == "legal_consultation"  # type: ignore[union-attr]


def test_each_error_is_named_beside_its_field(signed_in: Any) -> None:
    """An empty form: every required answer asked for beside its field, in plain words."""
    person, _, _ = signed_in("requester")
    empty = {name: "" for name in answers()}
    answer = person.submit(FORM, FORM, empty)
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert error_beside(answer.text, "title") == "Enter a title"
    assert error_beside(answer.text, "description") == "Enter a description of what is needed"
    assert error_beside(answer.text, "category") == "Select whether it is goods, services or works"
    assert error_beside(answer.text, "department") == "Enter the department"
    assert error_beside(answer.text, "estimated_value_pence") == (
        "Enter the estimated whole-life value, including VAT"
    )
    assert error_beside(answer.text, "needed_by") == "Enter the date it is needed by"
    assert error_beside(answer.text, "contract_required") == "Select yes if a contract is required"
    # The summary links to each field, in the form's order.
    links = re.findall(r'<a href="#([a-z_]+)"', answer.text)
    assert links == [
        "title",
        "description",
        "category",
        "department",
        "estimated_value_pence",
        "needed_by",
        "contract_required",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"needed_by-day": "31", "needed_by-month": "2", "needed_by-year": "2030"},
            "needed_by",
            "Needed by must be a real date",
        ),
        ({"needed_by-year": "20x7"}, "needed_by", "Needed by must be a real date"),
        ({"estimated_value_pence": "lots"}, "estimated_value_pence", "must be an amount in pounds"),
        (
            {"estimated_value_pence": "1,000", "irrecoverable_vat_pence": "1,000.01"},
            "irrecoverable_vat_pence",
            "Irrecoverable VAT cannot be more than the value",
        ),
        ({"title": "x" * 201}, "title", "Title must be 200 characters or fewer"),
        (
            {"light_touch": "yes"},
            "light_touch",
            "Light touch applies only to the services category",
        ),
    ],
)
def test_a_wrong_answer_is_named_beside_its_field_and_every_value_is_kept(
    signed_in: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    """The form comes back with the error beside the field and what was typed still in it."""
    person, _, _ = signed_in("requester")
    fields = answers(description="Line one\nLine <two> & three", **overrides)
    answer = person.submit(FORM, FORM, fields)
    assert answer.status_code == 422
    assert message in error_beside(answer.text, field)
    assert f'value="{html.escape(fields["title"], quote=True)}"' in answer.text
    assert "Line one\nLine &lt;two&gt; &amp; three</textarea>" in answer.text
    assert 'value="Planning"' in answer.text
    assert f'value="{fields["estimated_value_pence"]}"' in answer.text
    assert f'name="needed_by-year" type="text" value="{fields["needed_by-year"]}"' in answer.text
    assert re.search(r'name="category" type="radio" value="goods" checked', answer.text)
    assert re.search(r'name="contract_required" type="radio" value="yes" checked', answer.text)


def test_a_date_in_the_past_is_refused_beside_the_date(signed_in: Any, engine: Engine) -> None:
    """The service's own rule, in the form's words; nothing is written."""
    person, _, _ = signed_in("requester")
    yesterday = clock.today() - timedelta(days=1)
    fields = answers(
        **{
            "needed_by-day": str(yesterday.day),
            "needed_by-month": str(yesterday.month),
            "needed_by-year": str(yesterday.year),
        }
    )
    for action in (FORM, "/app/requests"):
        answer = person.submit(FORM, action, fields)
        assert answer.status_code == 422
        assert error_beside(answer.text, "needed_by") == "Needed by must not be in the past"
    with Session(engine) as session:
        assert session.exec(select(Case)).all() == []


def test_change_goes_back_to_the_form_with_every_answer(signed_in: Any) -> None:
    """A Change button on the check page carries every answer back to the form."""
    person, _, _ = signed_in("requester")
    fields = answers(category="services", light_touch="yes", irrecoverable_vat_pence="120.50")
    check = person.submit(FORM, FORM, fields)
    assert 'formaction="/app/requests/new/change#department"' in check.text
    carried = hidden_values(check.text)
    assert {name: carried[name] for name in fields} == fields
    back = person.submit(FORM, "/app/requests/new/change", fields)
    assert back.status_code == 200
    assert 'value="Laptops for planning"' in back.text and 'value="120.50"' in back.text
    assert re.search(r'name="light_touch" type="checkbox" value="yes" checked', back.text)
    assert re.search(r'name="category" type="radio" value="services" checked', back.text)


def test_someone_without_the_requester_role_is_refused(signed_in: Any, engine: Engine) -> None:
    """A legal-only user sees no "New request" link, and the form and its posts refuse them."""
    person, _, _ = signed_in("legal")
    assert 'href="/app/requests/new"' not in person.get("/app/").text
    assert person.get(FORM).status_code == 403
    requester, _, _ = signed_in("requester")
    for action in (FORM, "/app/requests"):
        answer = person.submit("/app/", action, answers())
        assert answer.status_code == 403
        assert "requester" in text_of(answer.text)
    with Session(engine) as session:
        assert session.exec(select(Case)).all() == []
    assert 'href="/app/requests/new"' in requester.get("/app/").text


def test_a_post_without_the_page_token_is_refused(signed_in: Any, engine: Engine) -> None:
    """CSRF: a request sent from elsewhere creates nothing."""
    person, _, _ = signed_in("requester")
    for action in (FORM, "/app/requests"):
        answer = person.client.post(action, data=answers(), follow_redirects=False)
        assert answer.status_code == 403
        forged = person.client.post(
            action, data={**answers(), "csrf_token": "forged"}, follow_redirects=False
        )
        assert forged.status_code == 403
    with Session(engine) as session:
        assert session.exec(select(Case)).all() == []


def test_the_live_hint_asks_the_server_for_the_route(signed_in: Any) -> None:
    """The hint's answer comes from the server; the script holds no threshold."""
    person, _, _ = signed_in("requester")
    answer = person.get("/app/requests/route?value=30,000&category=goods").json()
    assert answer["route"] == "below_threshold"
    assert "notice is advertised" in answer["meaning"]
    assert answer["band"] == "£30,000 or more, under £207,720"
    light = person.get("/app/requests/route?value=300000&category=services&light_touch=yes")
    assert light.json()["route"] == "below_threshold"
    assert person.get("/app/requests/route?value=300000&category=services").json()["route"] == (
        "above_threshold"
    )
    for incomplete in ("value=&category=goods", "value=12&category=", "value=abc&category=works"):
        assert person.get(f"/app/requests/route?{incomplete}").json() == {"route": None}
    script = (API_STATIC / "route-hint.js").read_text()
    assert "/app/requests/route" in script
    assert not re.search(r"\d{4}", script.replace("WAIT_MS = 300", ""))
    form = person.get(FORM).text
    assert 'src="/static/app/route-hint.js"' in form and "data-route-hint-output" in form


def test_the_form_is_for_signed_in_people(browser: Any) -> None:
    """Anyone else is sent to sign in, and back here afterwards."""
    answer = browser().get(FORM, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/sign-in?next=/app/requests/new"


def test_today_is_a_valid_needed_by_date(signed_in: Any) -> None:
    """The boundary of the past rule: today itself is accepted."""
    person, _, _ = signed_in("requester")
    today = clock.today()
    fields = answers(
        **{
            "needed_by-day": str(today.day),
            "needed_by-month": str(today.month),
            "needed_by-year": str(today.year),
        }
    )
    assert person.submit(FORM, FORM, fields).status_code == 200
