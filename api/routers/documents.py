"""The central document repository."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import ABOUT_A_CASE, CHANGE_TO_A_CASE, answers
from api.views import DocumentView, document_view
from lifecycle.services import cases, documents

# Every type the repository keeps, so every type a download can be.
TYPES = sorted(documents.ACCEPTED_TYPES)

router = APIRouter(prefix="/cases/{case_id}/documents", tags=["documents"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentView,
    responses=answers(400, *CHANGE_TO_A_CASE, 415),
)
async def upload(
    case_id: int,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    document_type: Annotated[str, Form()],
    title: Annotated[str, Form(max_length=200)] = "",
) -> DocumentView:
    """Upload a document with its OCDS document type (e.g. contractSigned)."""
    # Read one byte past the limit: enough to refuse an oversized file without holding it all.
    data = await file.read(settings.max_upload_bytes + 1)
    case = cases.get_for_change(session, case_id=case_id, user=user)
    document = documents.upload(
        session,
        case=case,
        user=user,
        document_type=document_type,
        title=title,
        filename=file.filename or "document",
        content_type=(file.content_type or "").split(";")[0].strip(),
        data=data,
        settings=settings,
    )
    return document_view(document)


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={
        200: {
            "description": "The document's bytes, in the type it was uploaded as",
            "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in TYPES},
            "headers": {
                "X-Content-SHA256": {
                    "description": "The SHA-256 the bytes were checked against",
                    "schema": {"type": "string"},
                }
            },
        },
        # 409: the stored file no longer matches its SHA-256, so it is not served.
        **answers(*ABOUT_A_CASE, 409),
    },
)
def download(
    case_id: int,
    document_id: int,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> Response:
    """The document's bytes, checked against their SHA-256."""
    case = cases.get_visible(session, case_id=case_id, user=user)
    document = documents.get(session, case=case, document_id=document_id)
    return Response(
        documents.read(settings, document),
        media_type=document.content_type,
        headers={
            # Cleaned again here: rows stored before names were cleaned may hold quotes.
            "Content-Disposition": (
                f'attachment; filename="{documents.safe_filename(document.filename)}"'
            ),
            "X-Content-Type-Options": "nosniff",
            "X-Content-SHA256": document.sha256,
        },
    )
