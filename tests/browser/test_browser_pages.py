"""The pages the lifecycle walk does not pass through, looked at in a real browser with axe:
an admin's users pages (a form error, a new user and their API token), an auditor's assurance
report and case list, and the error pages a person can meet."""

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import Looker, Staff, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Person = Callable[[str], Page]


def press(page: Page, button: str) -> None:
    """Click a form's button and wait for the page the post leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def test_an_admin_adds_a_user_and_an_auditor_reads_the_report(
    staff: Staff, person: Person, look: Looker
) -> None:
    ada = staff.enrol("Ada Admin", "admin")
    admin = person("ada")
    sign_in(admin, ada)
    admin.get_by_role("link", name="Users").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Users")
    look(admin, "users")

    admin.get_by_role("button", name="Add a user").click()
    look(admin, "add-user")
    admin.fill("#name", "Dana Auditor")
    admin.fill("#email", "not an address")
    press(admin, "Add user")
    expect(admin.locator(".govuk-error-summary")).to_be_visible()
    expect(admin.locator("#name")).to_have_value("Dana Auditor")
    look(admin, "add-user-errors")

    address = f"dana.{uuid.uuid4().hex[:8]}@council.example"
    admin.fill("#email", address)
    admin.locator("input[name=roles][value=auditor]").check()
    press(admin, "Add user")
    expect(admin.locator("main")).to_contain_text("shown once")
    look(admin, "user-added")

    dana = staff.enrol("Dee Auditor", "auditor")
    auditor = person("dee")
    sign_in(auditor, dana)
    auditor.get_by_role("link", name="Assurance").click()
    expect(auditor.get_by_role("heading", level=1)).to_have_text("Assurance")
    look(auditor, "assurance")
    auditor.get_by_role("link", name="Cases").first.click()
    look(auditor, "cases")
    auditor.goto("/app/users")
    expect(auditor.get_by_role("button", name="Add a user")).to_have_count(0)
    look(auditor, "users-read-only")

    missing = auditor.goto("/app/cases/999999")
    assert missing is not None and missing.status == 404
    look(auditor, "case-not-found")
    refused = auditor.goto("/app/requests/new")
    assert refused is not None and refused.status == 403
    expect(auditor.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    look(auditor, "refused")
