"""An imported contract reads like any other in monitoring: its case page and its API detail
open (its signing dates unknown, not invented), and its history says it was imported."""

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.db import transaction
from lifecycle.models import Case, User
from lifecycle.services import register_import
from lifecycle.settings import Settings

LEEDS = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "real"
    / "leeds-city-council-award_20200706-20200713.csv"
)


def test_an_imported_case_opens_on_its_page_and_over_the_api(
    engine: Engine, settings: Settings, signed_in: Any, client: TestClient, helpers: Any
) -> None:
    person, officer, token = signed_in("procurement")
    with transaction(engine) as session:
        register_import.run(
            session,
            by=session.get(User, officer.id),
            data=LEEDS.read_bytes(),
            apply=True,
            settings=settings,
        )
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.reference.endswith("-0001"))).one()  # type: ignore[attr-defined]
    detail = client.get(f"/cases/{case.id}", headers=helpers.auth(token))
    assert detail.status_code == 200
    contract = detail.json()["contract_record"]
    assert contract["start_date"] == "2020-07-08"
    assert contract["supplier_signed_on"] is None and contract["council_signed_on"] is None
    page = person.get(f"/app/cases/{case.id}")
    assert page.status_code == 200
    assert "Supply and installation of extract ventilation" in page.text
    assert "Imported from an existing register (row 2, source reference 5eec9e9b-" in page.text
