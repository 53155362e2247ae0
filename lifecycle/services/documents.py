"""The central repository: each document's bytes stored once under their SHA-256."""

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, func, select

from lifecycle import filetypes
from lifecycle.codelists import document_types
from lifecycle.db import get_row
from lifecycle.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from lifecycle.guards import signed_contract_conflict, upload_conflict, upload_refusal
from lifecycle.models import Case, Document, User
from lifecycle.rules import Stage, Status
from lifecycle.services import audit, users
from lifecycle.services.flags import raise_flag
from lifecycle.settings import Settings

ACCEPTED_TYPES = filetypes.ACCEPTED
# The flag on a case whose document's stored bytes are gone or changed.
DAMAGED_FLAG = "document_damaged"


class TooLarge(DomainError):
    """The upload is over the size limit."""

    status_code = 413


class UnsupportedType(DomainError):
    """The upload is not a document type the repository keeps."""

    status_code = 415


def safe_filename(filename: str) -> str:
    """The name without folders or characters that could break a header or a path."""
    name = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(filename.replace("\\", "/")).name).strip(". ")
    return name[:200] or "document"


def blob_path(settings: Settings, sha256: str) -> Path:
    """Where the bytes with this digest live."""
    return settings.documents_dir / sha256[:2] / sha256


def _store_blob(settings: Settings, data: bytes, sha256: str) -> None:
    """Write the bytes once; a rename makes the file appear whole or not at all."""
    target = blob_path(settings, sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, target)


def upload(
    session: Session,
    *,
    case: Case,
    user: User,
    document_type: str,
    title: str,
    filename: str,
    content_type: str,
    data: bytes,
    settings: Settings,
) -> Document:
    """Keep a document for the case; the same bytes of the same type are kept once."""
    if refusal := upload_refusal(
        user.id, users.roles_of(user), case.requester_id, case.contract_manager_id
    ):
        raise Forbidden(refusal)
    if conflict := upload_conflict(case.reference, Status(case.status)):
        # Refused as input (422), not as a conflict: the API has always answered so.
        raise Invalid(conflict)
    if document_type not in document_types():
        raise Invalid("document_type is not an OCDS documentType code", field="document_type")
    if conflict := signed_contract_conflict(Stage(case.stage), document_type):
        raise Conflict(conflict, field="document_type")
    title = title.strip() or filename
    if not data:
        raise Invalid("the file is empty", field="file")
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"the file is over {settings.max_upload_bytes} bytes", field="file")
    if content_type not in ACCEPTED_TYPES:
        accepted = ", ".join(sorted(ACCEPTED_TYPES))
        raise UnsupportedType(
            f"this type of file is not accepted; send one of {accepted}", field="file"
        )
    # The whole file, not its first bytes: a renamed or truncated file is not kept.
    if problem := filetypes.content_problem(content_type, data):
        raise UnsupportedType(f"the file's content is not {content_type}: {problem}", field="file")
    digest = hashlib.sha256(data).hexdigest()
    existing = session.exec(
        select(Document).where(
            Document.case_id == case.id,
            Document.sha256 == digest,
            Document.document_type == document_type,
        )
    ).first()
    if existing:
        return existing
    _store_blob(settings, data, digest)
    assert case.id is not None and user.id is not None
    document = Document(
        case_id=case.id,
        document_type=document_type,
        title=title[:200],
        filename=safe_filename(filename),
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        uploaded_by=user.id,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="document_uploaded",
        document_id=document.id,
        document_type=document_type,
        sha256=digest,
        size_bytes=len(data),
    )
    return document


def count(session: Session) -> int:
    """How many documents the repository holds."""
    return session.exec(select(func.count()).select_from(Document)).one()


def list_for_case(session: Session, *, case_id: int) -> list[Document]:
    """The case's documents, oldest first."""
    return list(
        session.exec(select(Document).where(Document.case_id == case_id).order_by(col(Document.id)))
    )


def get(session: Session, *, case: Case, document_id: int) -> Document:
    """One document of this case."""
    document = get_row(session, Document, document_id)
    if document is None or document.case_id != case.id:
        raise NotFound(f"case {case.reference} has no document {document_id}", field="document_id")
    return document


def read(settings: Settings, document: Document) -> bytes:
    """The document's bytes, checked against its digest."""
    path = blob_path(settings, document.sha256)
    data = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise Conflict(
            f"the stored file of document {document.id} no longer matches its SHA-256, so it "
            "is not served: it has been altered or damaged"
        )
    return data


@dataclass(frozen=True)
class DamagedDocument:
    """A document whose stored bytes are gone or no longer match its SHA-256."""

    document_id: int
    case_id: int
    reference: str
    problem: str  # "missing" or "altered"


def _blob_problem(settings: Settings, sha256: str) -> str:
    """ "" when the stored bytes still hash to `sha256`; else what is wrong, read in chunks
    so a large file is never held whole."""
    path = blob_path(settings, sha256)
    if not path.is_file():
        return "missing"
    digest = hashlib.sha256()
    with path.open("rb") as stored:
        while chunk := stored.read(1024 * 1024):
            digest.update(chunk)
    return "" if digest.hexdigest() == sha256 else "altered"


def verify_repository(session: Session, *, settings: Settings) -> list[DamagedDocument]:
    """Every document's stored bytes checked against its SHA-256 (each file read once)."""
    rows = session.exec(
        select(Document.id, Document.case_id, Document.sha256, Case.reference)
        .join(Case, col(Case.id) == Document.case_id)
        .order_by(col(Document.id))
    ).all()
    problems: dict[str, str] = {}
    damaged = []
    for document_id, case_id, sha256, reference in rows:
        if sha256 not in problems:
            problems[sha256] = _blob_problem(settings, sha256)
        if problems[sha256] and document_id is not None:
            damaged.append(DamagedDocument(document_id, case_id, reference, problems[sha256]))
    return damaged


def flag_damaged(session: Session, *, damaged: list[DamagedDocument]) -> None:
    """After the repository's check (read from a snapshot, holding no lock), a flag on each
    case holding a damaged document (legal and procurement are told once per case)."""
    for document in damaged:
        case = session.get(Case, document.case_id)
        if case is not None:
            raise_flag(
                session,
                case=case,
                code=DAMAGED_FLAG,
                message=f"Document {document.document_id} is {document.problem} in the "
                "repository: its stored bytes no longer match the SHA-256 recorded at upload.",
            )
