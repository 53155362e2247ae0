"""A live contract's changes and end in a real browser with axe: the manager sees the expiry
decision the contract needs and proposes a variation; procurement approves it from the case
page, and the page shows it approved."""

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from lifecycle.db import make_engine
from lifecycle.models import User
from tests.api.test_api_contract_changes import live_contract
from tests.browser.support import Looker, Staff, sign_in
from tests.e2e.support import Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Person = Callable[[str], Page]


def press(page: Page, button: str) -> None:
    """Click a form's button and wait for the page the post leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def test_a_manager_proposes_a_variation_and_procurement_approves_it(
    product: Product, staff: Staff, person: Person, look: Looker
) -> None:
    sam = staff.enrol("Sam Manager", "contract_manager")
    pat = staff.enrol("Pat Buyer", "procurement")
    rita = staff.enrol("Rita Requester", "requester")
    engine = make_engine(f"sqlite:///{Path(product.env['PROCURE_DATA_DIR']) / 'procure.db'}")
    with Session(engine) as session:
        requester, manager = session.get(User, rita.user_id), session.get(User, sam.user_id)
        assert requester is not None and manager is not None
    number = 9000 + rita.user_id  # apart from other tests' cases in the shared product
    # Four months to run: the 9- and 6-month alerts have gone and no decision is taken.
    case_id = live_contract(
        engine, requester, manager, number=number, end_date=date.today() + timedelta(days=120)
    )
    engine.dispose()

    manager_page = person("sam")
    sign_in(manager_page, sam)
    manager_page.goto(f"/app/cases/{case_id}")
    expect(manager_page.locator("#contract-end")).to_have_text(
        "Changes and the end of the contract"
    )
    expect(manager_page.locator(".govuk-warning-text").first).to_contain_text("Decision needed")
    look(manager_page, "contract-end-decision-needed")

    manager_page.get_by_text("Propose a variation", exact=True).first.click()
    manager_page.fill("#variation_what", "Add a fourth crew for the new estate")
    manager_page.fill("#variation_why", "The estate opens in spring")
    manager_page.fill("#variation_value", "not money")
    press(manager_page, "Propose the variation")
    expect(manager_page.locator(".govuk-error-summary")).to_be_visible()
    look(manager_page, "variation-form-error")
    manager_page.fill("#variation_value", "25,000")
    press(manager_page, "Propose the variation")
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Variation 1 proposed"
    )
    look(manager_page, "variation-proposed")

    buyer_page = person("pat")
    sign_in(buyer_page, pat)
    buyer_page.goto(f"/app/cases/{case_id}")
    expect(buyer_page.locator("#variation-decision")).to_contain_text("variation 1")
    look(buyer_page, "variation-decision-form")
    buyer_page.get_by_label("Approve").check()
    press(buyer_page, "Record the variation decision")
    expect(buyer_page.get_by_role("table", name="Variations")).to_contain_text("Approved")
    look(buyer_page, "variation-approved")
