"""The central document repository over the API: OCDS document types only, real documents of
accepted types only, a size limit, and each file's bytes stored once under their SHA-256."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from lifecycle.models import AuditEvent, Document
from lifecycle.settings import Settings

MAX_UPLOAD = 1024
PDF = b"%PDF-1.4\n% draft contract\n%%EOF\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A small upload limit, so the oversized case needs no large file."""
    return Settings(data_dir=tmp_path / "data", max_upload_bytes=MAX_UPLOAD)


@pytest.fixture
def case(client: TestClient, make_user: Any, helpers: Any) -> tuple[int, str]:
    """A fresh case and the token of its requester, who may upload to it."""
    _, token = make_user("requester")
    response = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    assert response.status_code == 201, response.text
    return response.json()["id"], token


def upload(
    client: TestClient,
    case_id: int,
    token: str,
    data: bytes = PDF,
    content_type: str = "application/pdf",
    document_type: str = "contractDraft",
    filename: str = "draft.pdf",
) -> Response:
    return client.post(
        f"/cases/{case_id}/documents",
        headers={"Authorization": f"Bearer {token}"},
        data={"document_type": document_type, "title": "Draft contract"},
        files={"file": (filename, data, content_type)},
    )


def stored(engine: Engine, settings: Settings) -> tuple[int, int, list[Path]]:
    """Document rows, audit events, and blob files on disk."""
    with Session(engine) as session:
        documents = session.exec(select(func.count()).select_from(Document)).one()
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    folder = settings.documents_dir
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
    return documents, events, files


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        pytest.param({"document_type": "contractScan"}, 422, "document_type", id="unknown-ocds"),
        pytest.param({"document_type": "contractsigned"}, 422, "document_type", id="wrong-case"),
        pytest.param(
            {"data": b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "content_type": "image/png"},
            415,
            "file",
            id="png",
        ),
        pytest.param(
            {"data": b"MZ\x90\0 not a pdf at all", "content_type": "application/pdf"},
            415,
            "file",
            id="exe-declared-pdf",
        ),
        pytest.param(
            {"data": b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "content_type": "application/pdf"},
            415,
            "file",
            id="png-declared-pdf",
        ),
        pytest.param({"data": b""}, 422, "file", id="empty"),
        # Judged on the whole file: the first bytes of a PDF are not a PDF.
        pytest.param({"data": b"%PDF-1.4\n" + b"x" * 1000}, 415, "file", id="pdf-cut-short"),
        pytest.param(
            {
                "data": PDF,
                "content_type": "application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document",
                "filename": "contract.docx",
            },
            415,
            "file",
            id="pdf-renamed-docx",
        ),
        pytest.param(
            {"data": PDF + b"x" * (MAX_UPLOAD + 1 - len(PDF))}, 413, "file", id="one-byte-over"
        ),
        pytest.param({"data": PDF + b"x" * (5 * MAX_UPLOAD)}, 413, "file", id="far-over"),
    ],
)
def test_bad_upload_is_refused_and_stores_nothing(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    case: tuple[int, str],
    kwargs: dict[str, Any],
    status: int,
    field: str,
) -> None:
    case_id, token = case
    before = stored(engine, settings)
    response = upload(client, case_id, token, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert stored(engine, settings) == before


def test_a_file_exactly_at_the_limit_is_accepted(client: TestClient, case: tuple[int, str]) -> None:
    case_id, token = case
    data = PDF + b"x" * (MAX_UPLOAD - len(PDF) - len(b"%%EOF\n")) + b"%%EOF\n"
    response = upload(client, case_id, token, data=data)
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == MAX_UPLOAD


def test_missing_file_or_type_is_refused(
    client: TestClient, engine: Engine, settings: Settings, case: tuple[int, str]
) -> None:
    case_id, token = case
    before = stored(engine, settings)
    response = client.post(
        f"/cases/{case_id}/documents",
        headers={"Authorization": f"Bearer {token}"},
        data={"document_type": "contractDraft"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    response = client.post(
        f"/cases/{case_id}/documents",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("draft.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "document_type"
    assert stored(engine, settings) == before


def test_same_bytes_are_stored_once_and_read_back_with_their_digest(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    case: tuple[int, str],
) -> None:
    case_id, token = case
    first = upload(client, case_id, token, filename="draft.pdf")
    assert first.status_code == 201, first.text
    after_first = stored(engine, settings)
    second = upload(client, case_id, token, filename="draft-copy.pdf")
    assert second.status_code in (200, 201), second.text
    assert second.json()["id"] == first.json()["id"]
    assert stored(engine, settings) == after_first
    documents, _, files = after_first
    digest = hashlib.sha256(PDF).hexdigest()
    assert documents == 1
    assert [path.name for path in files] == [digest]
    assert first.json()["sha256"] == digest
    assert first.json()["size_bytes"] == len(PDF)

    detail = client.get(f"/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}).json()
    assert [d["id"] for d in detail["documents"]] == [first.json()["id"]]

    response = client.get(
        f"/cases/{case_id}/documents/{first.json()['id']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.content == PDF
    assert response.headers["X-Content-SHA256"] == digest
    assert response.headers["content-type"].startswith("application/pdf")
    assert "draft.pdf" in response.headers["content-disposition"]


def test_download_needs_a_token_and_the_right_case(
    client: TestClient, make_user: Any, helpers: Any, case: tuple[int, str]
) -> None:
    case_id, token = case
    document_id = upload(client, case_id, token).json()["id"]
    assert client.get(f"/cases/{case_id}/documents/{document_id}").status_code == 401
    _, other_token = make_user("requester")
    other_case = client.post(
        "/cases", json=helpers.purchase_request(), headers=helpers.auth(other_token)
    ).json()["id"]
    response = client.get(
        f"/cases/{other_case}/documents/{document_id}", headers=helpers.auth(other_token)
    )
    assert response.status_code == 404
    assert response.json()["field"] == "document_id"


def test_upload_needs_a_token_and_a_role_on_the_case(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    helpers: Any,
    case: tuple[int, str],
) -> None:
    case_id, _ = case
    before = stored(engine, settings)
    response = client.post(
        f"/cases/{case_id}/documents",
        data={"document_type": "contractDraft"},
        files={"file": ("draft.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 401
    _, auditor_token = make_user("auditor")
    assert upload(client, case_id, auditor_token).status_code == 403
    _, stranger_token = make_user("requester")
    # A case the caller may not read is not found, as if it did not exist.
    assert upload(client, case_id, stranger_token).status_code == 404
    assert stored(engine, settings) == before
