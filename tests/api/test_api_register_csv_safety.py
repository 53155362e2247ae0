"""The published register CSV is opened in spreadsheets by anyone: text that a spreadsheet
would run as a formula is published as text."""

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lifecycle.services.register import FORMULA_STARTS
from tests.api.test_api_register_filters import publish

HOSTILE = [
    '=HYPERLINK("http://evil.example","Click")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\tcmd",
    "\r=1+1",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_a_formula_in_a_text_field_is_published_as_text(
    client: TestClient, engine: Engine, title: str
) -> None:
    """Title, supplier and description alike start with an apostrophe; nothing else changes."""
    publish(engine, {"title": title, "supplier_name": title, "description": title})
    [row] = list(csv.DictReader(io.StringIO(client.get("/register.csv").text)))
    for column in ("Title", "Supplier name", "Description"):
        assert row[column] == f"'{title}"
        assert not row[column].startswith(FORMULA_STARTS)
    assert row["Value (GBP, whole life)"] == "10000.00"


def test_ordinary_text_is_left_alone(client: TestClient, engine: Engine) -> None:
    """Only what a spreadsheet would run is changed."""
    publish(engine, {"title": "Road gritting (2026-27)", "supplier_name": "A-Z Salt Ltd"})
    [row] = list(csv.DictReader(io.StringIO(client.get("/register.csv").text)))
    assert (row["Title"], row["Supplier name"]) == ("Road gritting (2026-27)", "A-Z Salt Ltd")
