"""Contracts brought in with `procure import register` (the real command, on the running
product) are on the public register at once, each showing its own reference from the file
beside ours, so a reader can match the two; looked at in a real browser with axe."""

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import Looker, Staff

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

OCDS = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "real"
    / "cf_export-2020-07-01_awards_flat.csv"
)
NOTICE = "7fc35c17-8770-41b9-a498-1c11c4e09f1f"


def test_imported_contracts_show_their_own_reference_on_the_register(
    staff: Staff, person: Callable[[str], Page], look: Looker
) -> None:
    buyer = staff.enrol("Pat Buyer", "procurement")
    output = staff.product.cli("import", "register", str(OCDS), "--by", buyer.email, "--apply")
    assert "10 created" in output, output
    public = person("a reader of the register")
    public.goto(f"/app/register?q={NOTICE}")
    row = public.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"Source reference {NOTICE}")
    expect(row).to_contain_text("Developing a Taxonomy of UK Medical Practice")
    look(public, "register-imported-contract")
