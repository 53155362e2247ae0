"""Fixtures for the browser tests: one headless Chromium and one running product (`procure
start`, with a real SMTP server) for all of them, a fresh browser context per person, and
`look`, which every test calls after each navigation (screenshot, axe-core, CSP refusals).

A test makes its own people with `staff.enrol(name, *roles)` (the admin's command, the
invitation email, the password chosen through its link), opens `page = person("rita")`,
`sign_in(page, rita)`, and sets up cases through the API with the person's token (the
`Api` helper in tests/e2e/support.py). Playwright's sync API keeps an event loop marked
running in the main thread: nothing here may call asyncio.run.

Each person's browser presents its own client address to the product (X-Forwarded-For, which
the API's server trusts from loopback only, as from a council's reverse proxy): sign-in failures
are throttled per client, and the tests must not slow each other down by sharing 127.0.0.1."""

import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser.support import (
    ACTION_TIMEOUT_MS,
    AXE_SCRIPT,
    CHROMIUM,
    CHROMIUM_ARGS,
    NAVIGATION_TIMEOUT_MS,
    Looker,
    Staff,
    Watch,
)
from tests.e2e.support import Inbox, Product, free_port

expect.set_options(timeout=ACTION_TIMEOUT_MS)
_client_numbers = itertools.count(1)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for all the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: apt-get install chromium")
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"the browser tests need axe-core at {AXE_SCRIPT}: run scripts/bootstrap")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def mail() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback, for the product."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="package")
def product(tmp_path_factory: pytest.TempPathFactory, mail: tuple[Inbox, int]) -> Iterator[Product]:
    """`procure start` on SQLite in a temporary folder, shared by the browser tests (each test
    makes its own people, so none sees another's)."""
    running = Product(tmp_path_factory.mktemp("browser-product") / "data", mail[1], None)
    # A council's org-id, as one set up to publish notices has it (notices need it).
    running.env["PROCURE_BUYER_IDENTIFIER"] = "EXB"
    try:
        running.start()
        yield running
    finally:
        running.stop()
        if running.log.exists():
            sys.stdout.write(running.log.read_text(errors="replace")[-4000:])


@pytest.fixture
def inbox(mail: tuple[Inbox, int]) -> Inbox:
    """Every message the product has sent."""
    return mail[0]


@pytest.fixture
def staff(product: Product, inbox: Inbox, chromium: Browser) -> Staff:
    """Creates people as an admin does: `staff.invite(name, *roles)`, `staff.enrol(...)`."""
    return Staff(product, inbox, chromium)


@pytest.fixture
def watch() -> Watch:
    """CSP refusals and script errors in this test's browsers."""
    return Watch()


@pytest.fixture
def person(chromium: Browser, product: Product, watch: Watch) -> Iterator[Callable[[str], Page]]:
    """`person("rita")`: Rita's page, in a browser context of her own (her own cookies),
    opening the product's addresses relative to its root; asked again, the same page."""
    pages: dict[str, Page] = {}
    contexts: list[BrowserContext] = []

    def open_browser(name: str) -> Page:
        if name in pages:
            return pages[name]
        number = next(_client_numbers)
        address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        context = chromium.new_context(
            base_url=product.url,
            locale="en-GB",
            timezone_id="Europe/London",
            viewport={"width": 1280, "height": 900},
            extra_http_headers={"X-Forwarded-For": address},
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        context.on("console", watch.console)
        context.on("weberror", lambda error: watch.page_error(error.error))
        context.on("response", watch.response)
        contexts.append(context)
        pages[name] = context.new_page()
        return pages[name]

    yield open_browser
    for context in contexts:
        context.close()


@pytest.fixture
def look(request: pytest.FixtureRequest, watch: Watch) -> Looker:
    """`look(page, "name")` after each navigation: screenshot, axe-core, no CSP refusals."""
    return Looker(request.node.name, watch)
