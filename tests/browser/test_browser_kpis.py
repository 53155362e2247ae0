"""A live contract's KPIs in a real browser with axe: a 6,000,000 contract (placed straight in
monitoring; the walk to it is test_browser_lifecycle's) whose manager sets three KPIs, reports
each in a review, assesses them with the Procurement Act ratings (a missing rating is refused
beside the form), and reads each KPI's results over time in a table."""

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from lifecycle.db import make_engine
from lifecycle.models import User
from lifecycle.settings import Settings
from tests.api.kpi_support import contract_case
from tests.browser.support import Looker, Staff, sign_in
from tests.e2e.support import Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Person = Callable[[str], Page]
KPIS = (
    ("Missed bins", "missed per 100,000 collections", "under 30"),
    ("Recycling rate", "share of household waste", "55%"),
    ("Complaints answered", "within 10 working days", "95%"),
)


def press(page: Page, button: str) -> None:
    """Click a form's button and wait for the page the post leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def type_date(page: Page, name: str, day: date) -> None:
    """Type a date into a GOV.UK date input."""
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def live_contract(product: Product, requester_id: int, manager_id: int) -> int:
    """A 6,000,000 contract in monitoring, written to the running product's database."""
    settings = Settings(data_dir=Path(product.env["PROCURE_DATA_DIR"]))
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            requester, manager = session.get(User, requester_id), session.get(User, manager_id)
            assert requester is not None and manager is not None
            session.expunge_all()
        return contract_case(engine, settings, requester=requester, manager=manager)
    finally:
        engine.dispose()


def test_a_manager_sets_reports_and_assesses_kpis_and_reads_them_over_time(
    staff: Staff, person: Person, look: Looker, product: Product
) -> None:
    rita = staff.enrol("Rita Requester", "requester")
    morgan = staff.enrol("Morgan Manager", "contract_manager")
    case_id = live_contract(product, rita.user_id, morgan.user_id)
    manager = person("morgan")
    sign_in(manager, morgan)
    manager.goto(f"/app/cases/{case_id}")
    expect(manager.locator("#kpis")).to_contain_text("Key performance indicators")
    look(manager, "kpis-short")

    for name, measure, target in KPIS:
        manager.fill("#kpi_name", name)
        manager.fill("#kpi_measure", measure)
        manager.fill("#kpi_target", target)
        press(manager, "Set KPI")
        expect(manager.locator(".govuk-notification-banner--success")).to_contain_text(name)
        if not manager.locator("#kpi_name").is_visible():
            manager.locator("summary", has_text="Set a key performance indicator").click()

    today = date.today()
    type_date(manager, "period_start", today - timedelta(days=30))
    type_date(manager, "period_end", today)
    manager.get_by_label("Amber", exact=True).check()
    fieldsets = manager.locator("fieldset.app-kpi")
    expect(fieldsets).to_have_count(3)
    for index, (result, rating) in enumerate(
        (("24 missed", "Good"), ("51%", "Approaching target"), ("91%", "Requires improvement"))
    ):
        fieldsets.nth(index).get_by_label("Result").fill(result)
        fieldsets.nth(index).get_by_label("Rating").select_option(label=rating)
    look(manager, "review-with-kpis")
    press(manager, "Submit review")
    expect(manager.locator(".govuk-notification-banner--success")).to_contain_text("review")

    manager.locator("summary", has_text="Assess the KPIs").click()
    type_date(manager, "assessment_period_end", today)
    manager.get_by_label("Missed bins (target under 30)").select_option(label="Good")
    press(manager, "Record assessment")
    expect(manager.locator(".govuk-error-summary")).to_contain_text("needs a rating: 2 missing")
    look(manager, "assessment-refused")
    manager.get_by_label("Recycling rate (target 55%)").select_option(label="Approaching target")
    manager.get_by_label("Complaints answered (target 95%)").select_option(label="Inadequate")
    press(manager, "Record assessment")
    expect(manager.locator(".govuk-notification-banner--success")).to_contain_text("assessment")

    section = manager.locator("#kpis ~ table").first
    expect(section).to_contain_text("Review")
    table = manager.locator("table", has_text="Recycling rate (share of household waste")
    expect(table).to_contain_text("51%")
    expect(table).to_contain_text("Approaching target")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(manager.locator("main")).to_contain_text("Next assessment due")
    manager.locator("#kpis").scroll_into_view_if_needed()
    look(manager, "kpis-over-time")


def test_procurement_records_why_a_large_contract_sets_fewer_kpis(
    staff: Staff, person: Person, look: Looker, product: Product
) -> None:
    rita = staff.enrol("Rita Requester", "requester")
    mo = staff.enrol("Mo Manager", "contract_manager")
    pat = staff.enrol("Pat Buyer", "procurement")
    case_id = live_contract(product, rita.user_id, mo.user_id)
    buyer = person("pat")
    sign_in(buyer, pat)
    buyer.goto(f"/app/cases/{case_id}")
    buyer.locator(".govuk-details__summary-text", has_text="Record why it sets fewer").click()
    look(buyer, "fewer-kpis-form")
    press(buyer, "Record the reason")
    expect(buyer.locator("#fewer_kpis_reason-error")).to_contain_text("Say why")
    look(buyer, "fewer-kpis-refused")
    buyer.fill("#fewer_kpis_reason", "One annual inspection: a single KPI measures it")
    press(buyer, "Record the reason")
    expect(buyer.locator("main")).to_contain_text("Recorded why the contract sets fewer")
    expect(buyer.locator("#kpis")).to_be_visible()
    expect(buyer.locator("main")).to_contain_text("One annual inspection: a single KPI")
    look(buyer, "fewer-kpis-recorded")


def test_a_manager_changes_a_kpis_target_and_the_history_says_why(
    staff: Staff, person: Person, look: Looker, product: Product
) -> None:
    rita = staff.enrol("Rita Requester", "requester")
    morgan = staff.enrol("Morgan Manager", "contract_manager")
    case_id = live_contract(product, rita.user_id, morgan.user_id)
    manager = person("morgan")
    sign_in(manager, morgan)
    manager.goto(f"/app/cases/{case_id}")
    name, measure, target = KPIS[0]
    manager.fill("#kpi_name", name)
    manager.fill("#kpi_measure", measure)
    manager.fill("#kpi_target", target)
    press(manager, "Set KPI")

    manager.get_by_role("link", name=f"Change the KPI {name}").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text(f"Change the KPI {name}")
    expect(manager.locator("#kpi_target")).to_have_value(target)
    manager.fill("#kpi_target", "under 25")
    press(manager, "Change the KPI")
    expect(manager.locator("#kpi_reason-error")).to_contain_text("Enter why it changes")
    expect(manager.locator("#kpi_target")).to_have_value("under 25")
    look(manager, "kpi-change-refused")
    manager.fill("#kpi_reason", "Agreed with the supplier at the annual review")
    look(manager, "kpi-change")
    press(manager, "Change the KPI")
    expect(manager.locator(".govuk-notification-banner--success")).to_contain_text("KPI changed")
    expect(manager.locator("main")).to_contain_text("target under 25")
    expect(manager.locator("#timeline")).to_be_visible()
    expect(manager.locator("main")).to_contain_text(
        "target from “under 30” to “under 25”. Why: Agreed with the supplier"
    )
    look(manager, "kpi-changed")
