"""The delegations page in a real browser with axe: an officer going away delegates their
gates to a colleague (a wrong date first, shown beside the field), sees it in force, and
withdraws it; the colleague sees it from their side and decides a gate on the case page on
the officer's behalf. An admin switches off a manager of a live contract only with a
successor named on the same form."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from lifecycle import clock
from lifecycle.db import make_engine, transaction
from lifecycle.models import Case
from tests.browser.support import Looker, Staff, sign_in
from tests.browser.test_browser_kpis import live_contract
from tests.browser.test_browser_lifecycle import reload_until
from tests.conftest import purchase_request
from tests.e2e.support import Api, Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Person = Callable[[str], Page]


def press(page: Page, button: str) -> None:
    """Click a form's button and wait for the page the post leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def fill_day(page: Page, name: str, offset: int) -> None:
    """Type a date `offset` days from today into a date input's three boxes."""
    day = clock.today() + timedelta(days=offset)
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def test_an_officer_delegates_their_gates_while_away_and_withdraws(
    product: Product, staff: Staff, person: Person, look: Looker
) -> None:
    ada = staff.enrol("Ada Away", "legal")
    bo = staff.enrol("Bo Cover", "legal")
    away = person("ada")
    sign_in(away, ada)
    away.get_by_role("link", name="Going away? Delegate your gates to a colleague").click()
    expect(away.get_by_role("heading", level=1)).to_have_text("Delegations while you are away")
    look(away, "delegations")

    away.select_option("#delegate_id", str(bo.user_id))
    fill_day(away, "starts_on", 3)
    fill_day(away, "ends_on", 1)
    press(away, "Delegate my gates")
    expect(away.locator(".govuk-error-summary")).to_be_visible()
    expect(away.locator("#ends_on-error")).to_contain_text("cannot be before")
    expect(away.locator("#delegate_id")).to_have_value(str(bo.user_id))
    look(away, "delegation-errors")

    fill_day(away, "starts_on", 0)
    fill_day(away, "ends_on", 6)
    press(away, "Delegate my gates")
    expect(away.locator("main")).to_contain_text("Bo Cover decides for you")
    expect(away.locator("main")).to_contain_text("In force")
    look(away, "delegation-in-force")

    cover = person("bo")
    sign_in(cover, bo)
    cover.goto("/app/delegations")
    expect(cover.locator("main")).to_contain_text("You decide for Ada Away")
    look(cover, "delegation-received")

    # A case waits on legal: Bo decides it on Ada's behalf from the case page.
    rita = staff.enrol("Rita Requester", "requester")
    raised = Api(product.url, rita.api_token).post("/cases", json=purchase_request())
    assert raised.status_code == 201, raised.text
    cover.goto(f"/app/cases/{raised.json()['id']}")
    reload_until(cover, "#on_behalf_of", what="the legal gate")
    look(cover, "case-decide-on-behalf")
    cover.get_by_label("On behalf of Ada Away (delegated to you)").check()
    cover.get_by_label("Approve").check()
    cover.fill("#contract_type", "Services")
    cover.get_by_label("No", exact=True).check()
    press(cover, "Record decision")
    expect(cover.locator("main")).to_contain_text("on behalf of Ada Away, by delegation")
    look(cover, "case-decided-on-behalf")

    press(away, "Withdraw the delegation to Bo Cover")
    expect(away.locator("main")).to_contain_text("Withdrawn")
    look(away, "delegation-withdrawn")


def test_an_admin_switches_off_a_manager_only_with_a_successor(
    product: Product, staff: Staff, person: Person, look: Looker
) -> None:
    ada = staff.enrol("Ada Admin", "admin")
    lee = staff.enrol("Lee Leaver", "contract_manager")
    sam = staff.enrol("Sam Successor", "contract_manager")
    rita = staff.enrol("Rita Requester", "requester")
    raised = Api(product.url, rita.api_token).post("/cases", json=purchase_request())
    assert raised.status_code == 201, raised.text
    # Naming a manager needs a case in signing: set it straight in the product's database.
    engine = make_engine(f"sqlite:///{product.env['PROCURE_DATA_DIR']}/procure.db")
    with transaction(engine) as session:
        case = session.get(Case, raised.json()["id"])
        assert case is not None
        case.contract_manager_id = lee.user_id
        session.add(case)
    engine.dispose()

    admin = person("ada")
    sign_in(admin, ada)
    admin.goto(f"/app/users/{lee.user_id}/deactivate")
    expect(admin.locator("main")).to_contain_text("Who takes over their 1 live contract?")
    look(admin, "deactivate-with-live-contracts")
    press(admin, "Yes, deactivate Lee Leaver")
    expect(admin.locator("#successor_id-error")).to_contain_text("still manages 1 live contract")
    look(admin, "deactivate-refused-without-successor")
    admin.select_option("#successor_id", str(sam.user_id))
    press(admin, "Yes, deactivate Lee Leaver")
    expect(admin.locator("main")).to_contain_text("Lee Leaver is deactivated")
    look(admin, "deactivated-with-successor")


def test_an_admin_hands_over_a_managers_contracts_from_their_page(
    product: Product, staff: Staff, person: Person, look: Looker
) -> None:
    ada = staff.enrol("Ada Admin", "admin")
    mo = staff.enrol("Mo Mover", "contract_manager")
    sam = staff.enrol("Sam Successor", "contract_manager")
    rita = staff.enrol("Rita Requester", "requester")
    live_contract(product, rita.user_id, mo.user_id)

    admin = person("ada")
    sign_in(admin, ada)
    admin.goto(f"/app/users/{mo.user_id}")
    expect(admin.locator("main")).to_contain_text("Mo Mover manages 1 live contract")
    admin.get_by_role("button", name="Hand over their contracts").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Hand over their contracts")
    look(admin, "handover")
    press(admin, "Hand over 1 contract")
    expect(admin.locator("#successor_id-error")).to_contain_text("Select who takes over")
    look(admin, "handover-unchosen")
    admin.select_option("#successor_id", str(sam.user_id))
    press(admin, "Hand over 1 contract")
    expect(admin.locator("main")).to_contain_text("1 live contract handed over to Sam Successor")
    expect(admin.locator("main")).to_contain_text("Active")
    look(admin, "handed-over")


def test_a_delegate_gives_a_variation_approval_on_a_colleagues_behalf(
    product: Product, staff: Staff, person: Person, look: Looker
) -> None:
    rita = staff.enrol("Rita Requester", "requester")
    mo = staff.enrol("Mo Manager", "contract_manager")
    ada = staff.enrol("Ada Away", "procurement")
    bo = staff.enrol("Bo Cover", "procurement")
    case_id = live_contract(product, rita.user_id, mo.user_id)
    proposed = Api(product.url, mo.api_token).post(
        f"/cases/{case_id}/variations",
        json={"what": "Add a fourth crew", "why": "New estate", "value_change_pence": 50_000_00},
    )
    assert proposed.status_code == 201, proposed.text
    today = clock.today()
    delegated = Api(product.url, ada.api_token).post(
        "/delegations",
        json={
            "delegate_id": bo.user_id,
            "role": "procurement",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=6)).isoformat(),
        },
    )
    assert delegated.status_code == 201, delegated.text

    cover = person("bo")
    sign_in(cover, bo)
    cover.goto(f"/app/cases/{case_id}")
    expect(cover.locator("main")).to_contain_text("Your decision: variation 1 (procurement)")
    cover.get_by_label("On behalf of Ada Away (delegated to you)").check()
    cover.locator("#variation_decision").check()
    look(cover, "variation-decide-on-behalf")
    press(cover, "Record the variation decision")
    expect(cover.locator("main")).to_contain_text(
        "Approved variation 1 (procurement, on behalf of Ada Away by delegation)"
    )
    look(cover, "variation-decided-on-behalf")
