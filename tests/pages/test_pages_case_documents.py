"""Documents on the case page: uploaded through its form, listed with their OCDS type, size and
SHA-256, and downloaded by signed-in readers with the API's headers."""

import hashlib
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.models import Document
from tests.pages.test_pages_case import raise_case, visible

NOTE = b"Market engagement notes\nThree suppliers replied.\n"


def documents_held(engine: Engine, case_id: int) -> list[str]:
    """The document types stored for a case."""
    with Session(engine) as session:
        rows = session.exec(select(Document).where(Document.case_id == case_id)).all()
        return [row.document_type for row in rows]


def test_a_document_is_uploaded_listed_and_downloaded_with_its_sha256(
    client: TestClient,
    engine: Engine,
    signed_in: Any,
    browser: Any,
    helpers: Any,
    run_flows: Any,
) -> None:
    """The requester uploads a note; its digest is on the page, and the requester and legal
    download the same bytes with the digest in a header; signed out, the link asks to sign
    in."""
    requester, _, token = signed_in("requester", name="Rita Patel")
    legal, _, _ = signed_in("legal")
    case_id = raise_case(client, helpers, run_flows, token)
    page_url = f"/app/cases/{case_id}"
    page = requester.get(page_url).text
    assert 'enctype="multipart/form-data"' in page
    assert '<option value="marketStudies">Market studies (marketStudies)</option>' in page
    assert '<option value="contractSummary">Contract summary (contractSummary)</option>' in page

    answer = requester.submit(
        page_url,
        f"{page_url}/documents",
        {"document_type": "marketStudies", "document_title": "Market engagement"},
        files={"file": ("notes.txt", NOTE, "text/plain")},
    )
    assert answer.status_code == 303, visible(answer.text)[-2000:]
    shown = requester.get(page_url).text
    digest = hashlib.sha256(NOTE).hexdigest()
    text = visible(shown)
    assert "Document uploaded: Market engagement" in text
    assert f"SHA-256 {digest}" in text
    assert "Market studies marketStudies" in text and f"{len(NOTE)} bytes" in text
    assert "Uploaded a document (Market studies)" in text
    found = re.search(rf'href="({page_url}/documents/\d+)" download', shown)
    assert found

    for reader in (requester, legal):
        download = reader.get(found.group(1))
        assert download.status_code == 200
        assert download.content == NOTE
        assert download.headers["x-content-sha256"] == digest
        assert download.headers["content-disposition"] == 'attachment; filename="notes.txt"'
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-type"].startswith("text/plain")
    assert documents_held(engine, case_id) == ["marketStudies"]
    signed_out = browser().get(found.group(1), follow_redirects=False)
    assert signed_out.status_code == 303 and "/app/sign-in" in signed_out.headers["location"]


def test_an_upload_the_repository_refuses_says_why_beside_the_field(
    client: TestClient, engine: Engine, signed_in: Any, helpers: Any, run_flows: Any
) -> None:
    """No file, a type the repository does not keep, a code outside the codelist: each comes
    back beside its field with the rest of the form kept, and nothing is stored."""
    requester, _, token = signed_in("requester")
    case_id = raise_case(client, helpers, run_flows, token)
    page_url = f"/app/cases/{case_id}"
    action = f"{page_url}/documents"
    fields = {"document_type": "marketStudies", "document_title": "Kept title"}

    missing = requester.submit(page_url, action, fields)
    assert missing.status_code == 422
    assert 'href="#file"' in missing.text and "Select a file to upload" in missing.text
    assert 'value="Kept title"' in missing.text
    assert '<option value="marketStudies" selected>' in missing.text

    image = requester.submit(
        page_url, action, fields, files={"file": ("photo.png", b"\x89PNG....", "image/png")}
    )
    assert image.status_code == 415
    assert 'href="#file"' in image.text and "is not accepted" in visible(image.text)

    unknown = requester.submit(
        page_url,
        action,
        {**fields, "document_type": "notACode"},
        files={"file": ("notes.txt", NOTE, "text/plain")},
    )
    assert unknown.status_code == 422 and 'href="#document_type"' in unknown.text
    assert documents_held(engine, case_id) == []
