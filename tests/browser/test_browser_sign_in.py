"""Signing in, in a real browser against the running product: an invited person chooses a
password and signs in with the keyboard alone, and every refusal a person can meet (a wrong
password, an unknown address, a switched-off account, a stale or used link, a replayed cookie,
too many attempts) is shown in words. Every page visited is screenshotted and checked by axe."""

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    Invitee,
    Looker,
    Staff,
    create_invited_days_ago,
    invitation_link,
    sign_in,
    tab_to,
    text_body,
    try_to_sign_in,
)
from tests.e2e.support import Inbox, Product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WRONG = "The email address or password is not right"
Person = Callable[[str], Page]


def test_an_invited_person_chooses_a_password_and_signs_in_with_the_keyboard_alone(
    product: Product, inbox: Inbox, staff: Staff, person: Person, look: Looker
) -> None:
    """From the admin's command to "Waiting on me" with Tab, typing and Enter: no clicks."""
    invitee, link = staff.invite("Rita Patel", "requester")
    email = invitee.email
    message = inbox.for_address(email)[0]
    assert message["Subject"] and "password" in message["Subject"].lower()
    assert "Hello Rita Patel" in text_body(message) and link in text_body(message)

    rita = person("rita")
    rita.goto(link)
    expect(rita.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(rita.get_by_text(email)).to_be_visible()
    look(rita, "choose-password")

    password = "kettle orchard lantern 42"
    tab_to(rita, "password")
    rita.keyboard.type(password)
    tab_to(rita, "confirm")
    rita.keyboard.type(password)
    with rita.expect_navigation():
        rita.keyboard.press("Enter")
    expect(rita.get_by_text("Your password is set. Sign in with it now.")).to_be_visible()
    look(rita, "password-set")

    tab_to(rita, "email")
    rita.keyboard.type(email)
    tab_to(rita, "password")
    rita.keyboard.type(password)
    with rita.expect_navigation():
        rita.keyboard.press("Enter")
    assert rita.url == f"{product.url}/app/"
    expect(rita.get_by_role("heading", level=1)).to_have_text("Waiting on me")
    expect(rita.get_by_text("Rita Patel")).to_be_visible()
    look(rita, "waiting-on-me")


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(
    staff: Staff, person: Person, look: Looker
) -> None:
    """Neither answer tells whether the address has an account; the address typed is kept."""
    lee = staff.enrol("Lee Okafor", "legal")
    page = person("lee")
    page.goto("/app/sign-in")
    look(page, "sign-in")

    try_to_sign_in(page, lee.email, "not my password at all")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to procure")
    wrong_password = page.locator(".govuk-error-summary").inner_text()
    assert WRONG in wrong_password
    expect(page.locator("#email-error")).to_contain_text(WRONG)
    expect(page.get_by_label("Email address")).to_have_value(lee.email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    assert page.title().startswith("Error: ")
    look(page, "wrong-password")

    try_to_sign_in(page, "nobody.here@council.example", "not my password at all")
    assert page.locator(".govuk-error-summary").inner_text() == wrong_password
    look(page, "unknown-address")

    sign_in(page, lee)
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting on me")
    look(page, "signed-in")


def test_a_deactivated_person_is_signed_out_at_once_and_cannot_sign_in_again(
    product: Product, staff: Staff, person: Person, look: Looker
) -> None:
    """`procure users deactivate` ends the session on the next page load."""
    leaver = staff.enrol("Sam Leaver", "requester")
    page = person("sam")
    sign_in(page, leaver)
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting on me")
    look(page, "signed-in")

    product.cli("users", "deactivate", "--email", leaver.email)
    page.reload()
    assert page.url == f"{product.url}/app/sign-in?next=/app/"
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    look(page, "sent-to-sign-in")

    try_to_sign_in(page, leaver.email, leaver.password)
    assert "/app/sign-in" in page.url
    expect(page.locator(".govuk-error-summary")).to_contain_text(WRONG)
    look(page, "refused")


def test_an_expired_invitation_link_is_refused(
    product: Product, inbox: Inbox, person: Person, look: Looker
) -> None:
    """An invitation sent four days ago (links last 72 hours) opens a page that says so."""
    email = f"late.reader.{uuid.uuid4().hex[:8]}@council.example"
    create_invited_days_ago(product, 4, "Late Reader", email, "requester")
    link = invitation_link(inbox, email)
    page = person("late")
    response = page.goto(link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    expect(
        page.get_by_text("This link has expired. Ask an administrator for a new one")
    ).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    look(page, "expired-link")


def test_an_invitation_link_works_once(staff: Staff, person: Person, look: Looker) -> None:
    """After the password is chosen the link is refused, and so is the same form left open in
    another tab."""
    invitee, link = staff.invite("Ada Twotabs", "procurement")
    first, second = person("first-tab"), person("second-tab")
    second.goto(link)
    first.goto(link)
    look(first, "choose-password")
    choose_password(first, invitee)
    expect(first.get_by_text("Your password is set. Sign in with it now.")).to_be_visible()
    look(first, "password-set")

    response = first.goto(link)
    assert response is not None and response.status == 410
    expect(first.get_by_text("This link has already been used")).to_be_visible()
    look(first, "link-used")

    with second.expect_navigation() as sent:
        choose_password(second, invitee, password="another password entirely", wait=False)
    assert sent.value.status == 410
    expect(second.get_by_text("This link has already been used")).to_be_visible()
    look(second, "open-form-refused")

    sign_in(first, invitee)
    expect(first.get_by_role("heading", level=1)).to_have_text("Waiting on me")


def choose_password(
    page: Page, invitee: Invitee, *, password: str | None = None, wait: bool = True
) -> None:
    """Fill in and send the set-password form."""
    page.get_by_label("Password", exact=True).fill(password or invitee.password)
    page.get_by_label("Confirm password").fill(password or invitee.password)
    if not wait:
        page.get_by_role("button", name="Set password").click()
        return
    with page.expect_navigation():
        page.get_by_role("button", name="Set password").click()


def test_a_signed_out_session_cookie_opens_nothing_when_replayed(
    product: Product, staff: Staff, person: Person, look: Looker
) -> None:
    """The cookie copied into another browser works while the session lives, not after."""
    pat = staff.enrol("Pat Byrne", "procurement")
    page = person("pat")
    sign_in(page, pat)
    stolen = [c for c in page.context.cookies() if c["name"] == "procure_session"]
    assert len(stolen) == 1 and stolen[0]["httpOnly"] and stolen[0]["sameSite"] == "Lax"

    copy = person("copy-while-signed-in")
    copy.context.add_cookies(stolen)  # type: ignore[arg-type]
    copy.goto("/app/")
    expect(copy.get_by_role("heading", level=1)).to_have_text("Waiting on me")

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "procure_session"]
    look(page, "signed-out")

    replay = person("copy-after-sign-out")
    replay.context.add_cookies(stolen)  # type: ignore[arg-type]
    replay.goto("/app/")
    assert replay.url == f"{product.url}/app/sign-in?next=/app/"
    expect(replay.get_by_role("heading", level=1)).to_have_text("Sign in to procure")
    look(replay, "replayed-cookie")
    copy.reload()
    assert "/app/sign-in" in copy.url


def test_repeated_failures_make_the_next_attempt_wait(
    staff: Staff, person: Person, look: Looker
) -> None:
    """After five wrong passwords even the right one is refused for a while, in words."""
    kim = staff.enrol("Kim Guesser", "auditor")
    page = person("kim")
    page.goto("/app/sign-in")
    for attempt in range(5):
        response = try_to_sign_in(page, kim.email, f"wrong guess number {attempt}")
        assert response.status == 200
        expect(page.locator(".govuk-error-summary")).to_contain_text(WRONG)
    response = try_to_sign_in(page, kim.email, kim.password)
    assert response.status == 429
    assert "/app/sign-in" in page.url
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "There have been too many attempts to sign in. Wait 1 minute and try again"
    )
    look(page, "too-many-attempts")
