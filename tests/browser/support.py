"""What the browser tests share: screenshots and axe-core on every page looked at, the
invitation email an admin's command sends, and the keyboard moves a person makes.

Playwright drives Debian's Chromium (nothing is downloaded). axe-core is injected from the
copy `scripts/bootstrap` installs; the pages' CSP refuses script tags without their nonce, so
it is evaluated through the DevTools protocol, which leaves the product's CSP as it is."""

import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Response

from tests.e2e.support import ROOT, Inbox, Product, faketime_library, wait_until

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Generous: a loaded two-core CI machine hashes passwords and starts processes slowly.
ACTION_TIMEOUT_MS = 30_000
NAVIGATION_TIMEOUT_MS = 60_000
ASSET_TYPES = ("stylesheet", "script", "font", "image")
PASSWORD = "correct horse battery staple"
_LINK = re.compile(r"https?://\S+/app/set-password\?token=[A-Za-z0-9_-]+")

_RUN_AXE = """(tags) => axe.run(document, {runOnly: {type: "tag", values: tags}}).then(
  (result) => result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
  })))"""


def axe_problems(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, AXE_TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}"
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


@dataclass
class Watch:
    """What went wrong in the test's browsers that no assertion asked about: scripts the CSP
    blocked, uncaught script errors, and stylesheets, scripts, fonts or images that failed to
    load. The next look fails on them."""

    problems: list[str] = field(default_factory=list)

    def console(self, message: Any) -> None:
        """Keep the CSP's refusals (Chromium reports them as console errors)."""
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")

    def page_error(self, error: Any) -> None:
        """Keep uncaught script errors."""
        self.problems.append(f"script error: {error}")

    def response(self, response: Any) -> None:
        """Keep the assets a page asked for and did not get."""
        if response.status >= 400 and response.request.resource_type in ASSET_TYPES:
            self.problems.append(f"{response.status} for {response.url}")


class Looker:
    """`look(page, "name")`: after each navigation, a full-page screenshot kept as a test
    artefact, then axe-core; the test fails on any serious or critical violation."""

    def __init__(self, test_name: str, watch: Watch) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.watch = watch
        self.count = 0

    def __call__(self, page: Page, name: str) -> Path:
        """Screenshot and check the page as it is now; returns the screenshot's path."""
        page.wait_for_load_state("load")
        self.count += 1
        shot = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        problems = axe_problems(page)
        assert not problems, f"axe on {name} ({page.url}), see {shot}:\n" + "\n".join(problems)
        seen, self.watch.problems[:] = list(self.watch.problems), []
        assert not seen, f"on {name} ({page.url}):\n" + "\n".join(seen)
        return shot


def tab_to(page: Page, element_id: str, *, presses: int = 40) -> None:
    """Press Tab until the element with `element_id` has the focus, as a keyboard user does;
    fails if it cannot be reached that way."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key on {page.url}")


def text_body(message: Message) -> str:
    """The plain-text part of an email."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no plain-text part in {message['Subject']!r}")


def invitation_link(inbox: Inbox, address: str) -> str:
    """The set-password link in the first invitation emailed to `address` (waiting for it)."""
    messages = wait_until(
        lambda: inbox.for_address(address), timeout=120, what=f"mail to {address}"
    )
    found = _LINK.search(text_body(messages[0]))
    assert found, f"no set-password link in the mail to {address}"
    return found.group(0)


@dataclass
class Invitee:
    """A user an admin created with `--invite`: their address, id and API token."""

    name: str
    email: str
    user_id: int
    api_token: str
    password: str = PASSWORD


def create_invited(product: Product, name: str, email: str, *roles: str) -> Invitee:
    """`procure users create ... --invite`, as an admin types it."""
    return _invitee(name, email, product.cli(*_create_args(name, email, roles)))


def create_invited_days_ago(
    product: Product, days: int, name: str, email: str, *roles: str
) -> Invitee:
    """The same command run `days` days ago: the command's clock is set back with libfaketime,
    so the product itself stamps the invitation and its expiry then."""
    env = product.environment()
    env.update(LD_PRELOAD=str(faketime_library()), FAKETIME=f"-{days}d")
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", *_create_args(name, email, roles)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return _invitee(name, email, result.stdout)


def _create_args(name: str, email: str, roles: tuple[str, ...]) -> list[str]:
    """The command line that creates an invited user."""
    role_args = [arg for role in roles for arg in ("--role", role)]
    return ["users", "create", "--name", name, "--email", email, *role_args, "--invite"]


def _invitee(name: str, email: str, output: str) -> Invitee:
    """Read the new user's id and token from the command's output."""
    assert f"invitation emailed to {email}" in output, output
    user_id = int(output.split()[2])
    token = output.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    return Invitee(name=name, email=email, user_id=user_id, api_token=token)


def sign_in(page: Page, who: Invitee) -> None:
    """Sign in through the form, as a person does, and wait for the page it leads to."""
    page.goto("/app/sign-in")
    try_to_sign_in(page, who.email, who.password)
    assert "/app/sign-in" not in page.url, f"{who.email} could not sign in: {_shown_error(page)}"


def try_to_sign_in(page: Page, email: str, password: str) -> Response:
    """Fill in the sign-in form on the page and send it; returns the answer to the post."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Sign in").click()
    answer = sent.value
    assert answer is not None
    return answer


def _shown_error(page: Page) -> str:
    """The error summary's words, if the page shows one."""
    summary = page.locator(".govuk-error-summary")
    return summary.inner_text() if summary.count() else "no error shown"


class Staff:
    """People an admin takes on: created with the command line and invited by email; `enrol`
    also follows the link and chooses their password, as they would."""

    def __init__(self, product: Product, inbox: Inbox, browser: Browser) -> None:
        self.product, self.inbox, self.browser = product, inbox, browser

    def invite(self, name: str, *roles: str) -> tuple[Invitee, str]:
        """Create the user with `--invite`; returns them and the link their email carries."""
        slug = re.sub(r"[^a-z]+", ".", name.lower()).strip(".")
        email = f"{slug}.{uuid.uuid4().hex[:8]}@council.example"
        invitee = create_invited(self.product, name, email, *(roles or ("requester",)))
        return invitee, invitation_link(self.inbox, email)

    def enrol(self, name: str, *roles: str) -> Invitee:
        """Create, invite, and choose the password through the link in a browser of their own."""
        invitee, link = self.invite(name, *roles)
        context = self.browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(ACTION_TIMEOUT_MS)
            page.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
            page.goto(link)
            page.get_by_label("Password", exact=True).fill(invitee.password)
            page.get_by_label("Confirm password").fill(invitee.password)
            with page.expect_navigation():
                page.get_by_role("button", name="Set password").click()
            assert "password_set=1" in page.url, f"password not set: {_shown_error(page)}"
        finally:
            context.close()
        return invitee
