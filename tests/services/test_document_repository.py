"""The repository is a record: `procure documents verify` (and the daily sweep) find a stored
file whose bytes no longer match its SHA-256, or that is gone, and flag its case."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.models import Document, Flag
from lifecycle.services import documents
from lifecycle.services.documents import DAMAGED_FLAG, blob_path
from lifecycle.settings import Settings
from tests.api.test_case_lifecycle import PDF, upload


def test_altered_and_missing_files_are_found_and_flagged(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    helpers: Any,
    run_flows: Any,
    cli: Callable[..., tuple[int, str, str]],
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr("lifecycle.settings.get_settings", lambda: settings)
    monkeypatch.setattr("api.cli.get_settings", lambda: settings)
    _, token = make_user("requester")
    ids = []
    for title in ("Laptops", "Grounds maintenance", "Library books"):
        response = client.post(
            "/cases", json=helpers.purchase_request(title=title), headers=helpers.auth(token)
        )
        ids.append(response.json()["id"])
    for case_id in ids:
        body = PDF + f"% {case_id}".encode()
        assert upload(client, case_id, token, "tenderNotice", body).status_code == 201
    code, out, _ = cli("documents", "verify")
    assert code == 0 and "3 documents checked: intact" in out

    with Session(engine) as session:
        stored = {row.case_id: row for row in session.exec(select(Document))}
    blob_path(settings, stored[ids[0]].sha256).write_bytes(PDF + b"% forged")
    blob_path(settings, stored[ids[2]].sha256).unlink()

    code, out, _ = cli("documents", "verify")
    assert code == 1 and "3 documents checked: 2 damaged" in out
    assert "ALTERED\t" in out and f"document {stored[ids[0]].id}" in out
    assert "MISSING\t" in out and f"document {stored[ids[2]].id}" in out
    with Session(engine) as session:
        flagged = set(session.exec(select(Flag.case_id).where(Flag.code == DAMAGED_FLAG)))
        again = documents.verify_repository(session, settings=settings)
    assert flagged == {ids[0], ids[2]}
    assert len(again) == 2
    # Downloading the altered one is refused rather than served.
    response = client.get(
        f"/cases/{ids[0]}/documents/{stored[ids[0]].id}", headers=helpers.auth(token)
    )
    assert response.status_code == 409 and "no longer matches" in response.json()["detail"]
    missing = client.get(
        f"/cases/{ids[2]}/documents/{stored[ids[2]].id}", headers=helpers.auth(token)
    )
    assert missing.status_code == 409
