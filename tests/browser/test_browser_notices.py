"""A case's Procurement Act notices in a real browser with axe: procurement opens them from the
case page, sees the contract details notice (UK7) overdue and what it lacks, in words; once the
award and the register entry are recorded, marks it ready, records its publication (a missing
identifier is refused beside the field) and sees it published."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from lifecycle.db import make_engine, transaction
from lifecycle.models import Bid, Case, RegisterEntry, User
from lifecycle.settings import Settings
from tests.api.kpi_support import contract_case
from tests.browser.support import Looker, Staff, sign_in
from tests.browser.test_browser_kpis import press, type_date
from tests.e2e.support import Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Person = Callable[[str], Page]


def placed(product: Product, requester_id: int, manager_id: int) -> tuple[int, Settings]:
    """A 6,000,000 contract in monitoring, entered into 110 days ago, with no register entry."""
    settings = Settings(data_dir=Path(product.env["PROCURE_DATA_DIR"]))
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            requester, manager = session.get(User, requester_id), session.get(User, manager_id)
            assert requester is not None and manager is not None
            session.expunge_all()
        return contract_case(engine, settings, requester=requester, manager=manager), settings
    finally:
        engine.dispose()


def award_and_register(settings: Settings, case_id: int, requester_id: int) -> None:
    """The awarded bid and the register entry with the supplier's Companies House number, as
    procurement and register entry record them."""
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with transaction(engine) as session:
            bid = Bid(
                case_id=case_id,
                supplier_name="Acme Waste Ltd",
                registration_number="01234567",
                price_pence=5_800_000_00,
                created_by=requester_id,
            )
            session.add(bid)
            session.flush()
            case = session.get(Case, case_id)
            assert case is not None
            case.awarded_bid_id = bid.id
            session.add(case)
            session.add(
                RegisterEntry(
                    case_id=case_id,
                    status="published",
                    reference=f"case-{case_id}",
                    ocid=f"ocds-browser-{case_id}",
                    title="Waste collection services",
                    department="Environment",
                    description="Seven-year kerbside collection",
                    supplier_name="Acme Waste Ltd",
                    supplier_registration_number="01234567",
                    value_pence=6_000_000_00,
                )
            )
    finally:
        engine.dispose()


def test_procurement_publishes_a_contract_details_notice(
    staff: Staff, person: Person, look: Looker, product: Product
) -> None:
    rita = staff.enrol("Rita Requester", "requester")
    morgan = staff.enrol("Morgan Manager", "contract_manager")
    pat = staff.enrol("Pat Buyer", "procurement")
    case_id, settings = placed(product, rita.user_id, morgan.user_id)
    buyer = person("pat")
    sign_in(buyer, pat)
    buyer.goto(f"/app/cases/{case_id}")
    with buyer.expect_navigation():
        buyer.get_by_role("link", name="See which notices this case needs").click()
    expect(buyer.locator("h1")).to_have_text("Procurement Act notices")
    row = buyer.locator("tr", has_text="Contract details notice (UK7)")
    expect(row).to_contain_text("Overdue")
    section = buyer.locator("#notice-UK7 + dl")
    expect(section).to_contain_text("Still missing")
    expect(section).to_contain_text("the supplier's registration number")
    expect(section).to_contain_text("the awarded bid's price")
    expect(buyer.get_by_role("button", name="Mark UK7 ready")).to_have_count(0)
    look(buyer, "notices-missing")

    award_and_register(settings, case_id, rita.user_id)
    buyer.reload()
    press(buyer, "Mark UK7 ready")
    expect(buyer.locator(".govuk-notification-banner--success")).to_contain_text("ready")
    type_date(buyer, "UK7-published_on", date.today())
    press(buyer, "Record UK7 as published")
    expect(buyer.locator(".govuk-error-summary")).to_contain_text("Enter the notice identifier")
    expect(buyer.locator("#UK7-identifier-error")).to_be_visible()
    look(buyer, "notices-refused")
    buyer.fill("#UK7-identifier", "041267-2026")
    press(buyer, "Record UK7 as published")
    expect(buyer.locator(".govuk-notification-banner--success")).to_contain_text("published")
    expect(buyer.locator("tr", has_text="Contract details notice (UK7)")).to_contain_text(
        "Published"
    )
    expect(buyer.locator("#notice-UK7 + dl")).to_contain_text("notice 041267-2026")
    look(buyer, "notices-published")
