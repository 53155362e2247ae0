"""The whole lifecycle by clicking, as the council's people in browsers of their own against the
running product (Prefect runs every stage flow, a real SMTP server carries the mail): a
requester raises a request, legal opens the emailed link and approves a key contract,
procurement records three quotes and a second procurement officer approves the award (whoever
prepared a decision does not take it), documents go up through the file input, procurement
records the contract and legal confirms the signing, the manager completes the register entry,
procurement verifies it, the contract is on the public register, a review is submitted, and
the contract exits and closes. Every page is screenshotted and checked by axe-core."""

import re
import time
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from lifecycle import clock
from tests.browser.support import Invitee, Looker, Staff, sign_in, text_body, try_to_sign_in
from tests.e2e.support import Inbox, Product, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Person = Callable[[str], Page]
# Stage flows run in Prefect between clicks: a few seconds each on a quiet machine.
FLOW_WAIT_S = 120
PDF = b"%PDF-1.4\n% procure browser test\n%%EOF\n"


def reload_until(page: Page, selector: str, *, what: str) -> None:
    """Reload the page until `selector` is on it: the next stage's flow has run."""
    deadline = time.monotonic() + FLOW_WAIT_S
    while time.monotonic() < deadline:
        if page.locator(selector).count():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"timed out waiting for {what} on {page.url}")


def type_date(page: Page, name: str, day: date) -> None:
    """Type a date into a GOV.UK date input."""
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def press(page: Page, button: str) -> None:
    """Click a form's button and wait for the page the post leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def flash(page: Page, words: str) -> None:
    """The success banner says `words`."""
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(words)


def upload(page: Page, tmp: str, kind: str, label: str, title: str) -> None:
    """Choose a file in the file input, pick its OCDS type and upload it."""
    path = f"{tmp}/{kind}.pdf"
    with open(path, "wb") as out:
        out.write(PDF + kind.encode())
    if not page.locator("#file").is_visible():
        page.locator("summary", has_text="Upload a document").click()  # the form folds away
    page.set_input_files("#file", path)
    page.select_option("#document_type", label=f"{label} ({kind})")
    page.fill("#document_title", title)
    press(page, "Upload document")
    flash(page, f"Document uploaded: {title}")


def case_link(inbox: Inbox, address: str, reference: str) -> str:
    """The case link in the mail to `address` about `reference` (waiting for it)."""

    def found() -> str | None:
        for message in inbox.for_address(address):
            if reference in (message["Subject"] or ""):
                match = re.search(r"http://\S+/app/cases/\d+", text_body(message))
                if match:
                    return match.group(0)
        return None

    return str(wait_until(found, timeout=FLOW_WAIT_S, what=f"mail to {address} on {reference}"))


def test_the_council_takes_a_key_contract_from_request_to_closure(
    product: Product,
    inbox: Inbox,
    staff: Staff,
    person: Person,
    look: Looker,
    tmp_path: object,
) -> None:
    rita: Invitee = staff.enrol("Rita Patel", "requester")
    lee = staff.enrol("Lee Okafor", "legal")
    pat = staff.enrol("Pat Byrne", "procurement")
    morgan = staff.enrol("Morgan Manager", "contract_manager")
    sam = staff.enrol("Sam Second", "procurement")
    today = clock.today()

    # 1. Rita raises a request for three written quotes; the form says so before she sends.
    requester = person("rita")
    sign_in(requester, rita)
    requester.get_by_role("link", name="New request").click()
    look(requester, "new-request")
    requester.fill("#title", "Grounds maintenance for two parks")
    requester.fill("#description", "Mowing, hedges and litter picking for two years.")
    requester.get_by_label("Services", exact=True).check()
    requester.fill("#department", "Environment")
    requester.fill("#estimated_value_pence", "12,000")
    type_date(requester, "needed_by", today + timedelta(days=90))
    requester.get_by_label("Yes", exact=True).check()
    press(requester, "Continue")
    expect(requester.locator("main")).to_contain_text("Three written quotes")
    look(requester, "check-answers")
    press(requester, "Send request")
    panel = requester.locator(".govuk-panel")
    expect(panel).to_contain_text("PR-")
    reference = re.search(r"PR-\d{4}-\d{4}", panel.inner_text())
    assert reference, panel.inner_text()
    look(requester, "request-sent")

    # 2. Lee follows the emailed link, signs in on the way, and approves a key contract.
    link = case_link(inbox, lee.email, reference.group(0))
    legal = person("lee")
    legal.goto(link)
    assert "/app/sign-in" in legal.url
    try_to_sign_in(legal, lee.email, lee.password)
    assert legal.url == link
    case_url = link.removeprefix(product.url)
    expect(legal.get_by_role("heading", level=1)).to_contain_text("Grounds maintenance")
    look(legal, "legal-case-page")
    requester.goto(case_url)
    expect(requester.locator("#decision")).to_have_count(0)  # the requester cannot decide
    look(requester, "requester-case-page")
    legal.get_by_label("Approve").check()
    legal.fill("#contract_type", "Services (JCT measured term)")
    legal.locator("#key_contract").check()
    press(legal, "Record decision")
    flash(legal, "Decision recorded: approved")
    look(legal, "legal-approved")

    # 3. Pat records three quotes, recommends the cheapest and approves the award.
    buyer = person("pat")
    sign_in(buyer, pat)
    look(buyer, "procurement-waiting-on-me")
    buyer.goto(case_url)
    reload_until(buyer, "#bid_supplier", what="the procurement stage")
    look(buyer, "procurement-case-page")
    for supplier, price in (
        ("Green Spaces Ltd", "11,200"),
        ("Parkcare CIC", "11,900"),
        ("Mow & Co Ltd", "12,400"),
    ):
        buyer.fill("#bid_supplier", supplier)
        buyer.fill("#bid_price", price)
        press(buyer, "Record bid")
        flash(buyer, f"Bid recorded: {supplier}")
    look(buyer, "three-quotes")
    buyer.get_by_label("Green Spaces Ltd").check()
    buyer.fill("#rationale", "Lowest price of three written quotes, all compliant.")
    press(buyer, "Recommend award")
    flash(buyer, "Award recommended")
    expect(buyer.locator("#decision")).to_have_count(0)  # not for the one who recommended it
    approver = person("sam")
    sign_in(approver, sam)
    approver.goto(case_url)
    reload_until(approver, "#decision", what="the award approval gate")
    look(approver, "award-approval")
    approver.get_by_label("Approve").check()
    press(approver, "Record decision")
    flash(approver, "Decision recorded: approved")
    look(approver, "award-approved")

    # 4. Signing: the signed contract through the file input, the dates, Lee's confirmation.
    legal.goto(case_url)
    reload_until(legal, "#file", what="the signing stage")
    upload(legal, str(tmp_path), "contractSigned", "Signed contract", "Signed contract")
    # The award was approved today, so signing cannot be earlier; a contract that starts today
    # (so that a review can be submitted today) is signed on its start date: late, with a
    # reason, and flagged for audit. Procurement records it; legal confirms the signing.
    buyer.goto(case_url)
    type_date(buyer, "start_date", today)
    type_date(buyer, "end_date", today + timedelta(days=730))
    type_date(buyer, "supplier_signed_on", today)
    type_date(buyer, "council_signed_on", today)
    buyer.fill("#late_signing_reason", "The parks need cover from today; signed this morning.")
    press(buyer, "Record contract")
    flash(buyer, "Contract recorded")
    legal.goto(case_url)
    reload_until(legal, "#decision", what="the signing confirmation gate")
    expect(legal.locator("main")).to_contain_text("SHA-256")
    look(legal, "signing-confirmation")
    legal.get_by_label("Approve").check()
    press(legal, "Record decision")
    flash(legal, "Decision recorded: approved")

    # 5. Register entry: Rita names Morgan; Morgan completes it; Pat verifies.
    requester.goto(case_url)
    reload_until(requester, "#manager_id", what="the register entry stage")
    requester.select_option("#manager_id", value=str(morgan.user_id))
    press(requester, "Name contract manager")
    flash(requester, "Contract manager named")
    manager = person("morgan")
    sign_in(manager, morgan)
    expect(manager.locator("main")).to_contain_text(reference.group(0))
    look(manager, "manager-waiting-on-me")
    manager.goto(case_url)
    look(manager, "manager-register-entry")
    type_date(manager, "review_date", today + timedelta(days=180))
    press(manager, "Save register entry")
    flash(manager, "Register entry saved")
    upload(
        manager,
        str(tmp_path),
        "contractArrangements",
        "Arrangements for ending contract",
        "Exit plan",
    )
    upload(manager, str(tmp_path), "contractSummary", "Contract summary", "Contract summary")
    press(manager, "Send register entry for verification")
    flash(manager, "Register entry sent to procurement for verification")
    buyer.goto(case_url)
    reload_until(buyer, "#decision", what="the register verification gate")
    look(buyer, "register-verification")
    buyer.get_by_label("Approve").check()
    press(buyer, "Record decision")
    flash(buyer, "Decision recorded: approved")

    # 6. The contract is on the public register, for anyone, without signing in.
    public = person("a member of the public")
    public.goto("/app/register")
    deadline = time.monotonic() + FLOW_WAIT_S
    while reference.group(0) not in public.locator("main").inner_text():
        assert time.monotonic() < deadline, "the contract never reached the public register"
        public.wait_for_timeout(500)
        public.reload()
    expect(public.locator("main")).to_contain_text("Green Spaces Ltd")
    look(public, "public-register")

    # 7. Monitoring: Morgan's review, then exit; a lesson; Pat closes the contract.
    manager.goto(case_url)
    reload_until(manager, "#period_start-day", what="the monitoring stage")
    type_date(manager, "period_start", today)
    type_date(manager, "period_end", today)
    manager.get_by_label("Green", exact=True).check()
    manager.fill("#review_notes", "Mowing on schedule; litter picking improving.")
    press(manager, "Submit review")
    flash(manager, "Performance review submitted")
    look(manager, "review-submitted")
    manager.locator("summary", has_text="Start exit").click()
    manager.locator("#exit_reason").check()
    type_date(manager, "ended_on", today)
    press(manager, "Start exit")
    flash(manager, "Exit started")
    manager.get_by_role("link", name="Add a lesson learned about this case").click()
    expect(manager.locator("#reference")).to_have_value(reference.group(0))
    look(manager, "lessons")
    manager.fill("#text", "Ask for litter picking rates in the quote, not after.")
    press(manager, "Add to the log")
    flash(manager, "Your lesson is in the log.")
    buyer.goto(case_url)
    reload_until(buyer, "#decision", what="the closure gate")
    look(buyer, "closure")
    buyer.get_by_label("Approve").check()
    press(buyer, "Record decision")
    flash(buyer, "Decision recorded: approved")
    expect(buyer.locator("main")).to_contain_text("it was completed")
    look(buyer, "closed")
