"""The harness itself must be able to fail: `look` catches an accessibility fault and a script
the CSP refuses, and each person's browser counts as a client of its own for the throttle."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from lifecycle.services.accounts import CLIENT_THROTTLE
from tests.browser.support import Looker, Staff, sign_in, try_to_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_look_fails_on_an_axe_violation_and_on_a_script_the_csp_refuses(
    person: Callable[[str], Page], look: Looker
) -> None:
    """A field without its label is critical for axe; an injected inline script is refused by
    the page's CSP, and the refusal fails the next look."""
    page = person("checker")
    page.goto("/app/sign-in")
    look(page, "sign-in")
    page.evaluate("document.querySelector('label[for=email]').remove()")
    with pytest.raises(AssertionError, match=r"label \(critical\).*#email"):
        look(page, "label-removed")

    page.reload()
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            """() => { const script = document.createElement("script");
                script.textContent = "window.injected = true"; document.body.append(script); }"""
        )
    with pytest.raises(AssertionError, match="CSP"):
        look(page, "inline-script")
    assert page.evaluate("window.injected === undefined")


def test_failures_from_one_browser_slow_that_browser_only(
    staff: Staff, person: Callable[[str], Page], look: Looker
) -> None:
    """Failures for many addresses from one client (a sweep) make the guessing browser wait
    even for a right password; another person's browser signs in with that password at once."""
    ann = staff.enrol("Ann Bystander", "requester")
    guesser = person("guesser")
    guesser.goto("/app/sign-in")
    for number in range(CLIENT_THROTTLE.free):
        try_to_sign_in(guesser, f"guess{number}@council.example", "a guessed password")
    assert try_to_sign_in(guesser, ann.email, ann.password).status == 429
    look(guesser, "guesser-waits")

    bystander = person("ann")
    sign_in(bystander, ann)
    expect(bystander.get_by_role("heading", level=1)).to_have_text("Waiting on me")
    look(bystander, "bystander-signed-in")
