"""The case page's forms for the contract: a document for the repository, the signed
contract's dates, the contract manager, and the register entry."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from api.pages import forms
from api.pages.case_forms import Fields, act
from api.pages.forms import FormErrors
from api.pages.web import Form, SignedInPage
from lifecycle.schemas import ContractIn, ContractManagerIn, RegisterDetailsIn
from lifecycle.services import cases, documents, register, signing

router = APIRouter(prefix="/cases/{case_id}", include_in_schema=False)

UPLOAD_FIELDS: Fields = {
    "file": ("file", "File"),
    "document_type": ("document_type", "Document type"),
    "title": ("document_title", "Title"),
}
CONTRACT_FIELDS: Fields = {
    "start_date": ("start_date", "Start date"),
    "end_date": ("end_date", "End date"),
    "supplier_signed_on": ("supplier_signed_on", "Date the supplier signed"),
    "council_signed_on": ("council_signed_on", "Date the council signed"),
    "late_signing_reason": ("late_signing_reason", "Reason for signing late"),
}
MANAGER_FIELDS: Fields = {"user_id": ("manager_id", "Contract manager")}
REGISTER_FIELDS: Fields = {
    "supplier_registration_number": (
        "supplier_registration_number",
        "Supplier registration number",
    ),
    "review_date": ("review_date", "Review date"),
    "procurement_process": ("procurement_process", "Procurement process"),
    "description": ("register_description", "Description"),
    # Fields the entry takes from the case: named when a submitted entry lacks them.
    "supplier_name": ("register", "Supplier name"),
    "start_date": ("register", "Start date"),
    "end_date": ("register", "End date"),
    "contract_manager_name": ("register", "Contract manager"),
}


@router.post("/documents")
def upload(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Keep a document in the central repository, with its OCDS document type."""
    unreadable = FormErrors()
    chosen = forms.upload(data, "file")
    if chosen is None:
        unreadable.add("file", "Select a file to upload")
    # One byte past the limit is enough to refuse an oversized file without holding it all.
    content = chosen.file.read(page.settings.max_upload_bytes + 1) if chosen else b""
    document_type = forms.text(data, "document_type")
    title = forms.text(data, "document_title")
    return act(
        page,
        case_id,
        data,
        form="upload",
        fields=UPLOAD_FIELDS,
        model=lambda: None,
        call=lambda case, _: documents.upload(
            page.db,
            case=case,
            user=page.me,
            document_type=document_type,
            title=title,
            filename=(chosen.filename if chosen else None) or "document",
            content_type=((chosen.content_type if chosen else None) or "").split(";")[0].strip(),
            data=content,
            settings=page.settings,
        ),
        done=lambda document: f"Document uploaded: {document.title}",
        ask={"document_type": "Select the document type"},
        unreadable=unreadable,
    )


@router.post("/contract")
def record_contract(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Record the signed contract's dates; legal's signing confirmation follows."""
    unreadable = FormErrors()
    body: dict[str, Any] = {"late_signing_reason": forms.text(data, "late_signing_reason")}
    for name, (field, label) in CONTRACT_FIELDS.items():
        if name != "late_signing_reason":
            body[name] = forms.day(data, field, label, unreadable)
    return act(
        page,
        case_id,
        data,
        form="contract",
        fields=CONTRACT_FIELDS,
        model=lambda: ContractIn.model_validate(body),
        call=lambda case, contract: signing.record_contract(
            page.db, case=case, user=page.me, contract=contract
        ),
        done=lambda contract: "Contract recorded: legal confirms the signing next",
        unreadable=unreadable,
    )


@router.post("/contract-manager")
def name_manager(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Name the officer who manages the contract (they are told by email)."""
    chosen = forms.text(data, "manager_id")
    return act(
        page,
        case_id,
        data,
        form="manager",
        fields=MANAGER_FIELDS,
        model=lambda: ContractManagerIn.model_validate({"user_id": chosen or None}),
        call=lambda case, named: cases.name_contract_manager(
            page.db, case=case, user=page.me, manager_id=named.user_id, settings=page.settings
        ),
        done=lambda case: "Contract manager named: they have been told by email",
        ask={"manager_id": "Select the contract manager"},
    )


@router.post("/register-entry")
def register_details(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Supply the register fields the case could not; empty boxes are left as they were."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        name: value
        for name in ("supplier_registration_number", "procurement_process", "description")
        if (value := forms.text(data, REGISTER_FIELDS[name][0]))
    }
    if any(forms.text(data, f"review_date-{part}") for part in ("day", "month", "year")):
        body["review_date"] = forms.day(data, "review_date", "Review date", unreadable)
    return act(
        page,
        case_id,
        data,
        form="register",
        fields=REGISTER_FIELDS,
        model=lambda: RegisterDetailsIn.model_validate(body),
        call=lambda case, details: register.update_details(
            page.db, case=case, user=page.me, details=details
        ),
        done=lambda entry: "Register entry saved",
        unreadable=unreadable,
    )


@router.post("/register-entry/submit")
def submit_register(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Send the register entry to procurement for verification."""
    return act(
        page,
        case_id,
        data,
        form="register-submit",
        fields=REGISTER_FIELDS,
        model=lambda: None,
        call=lambda case, _: register.submit(page.db, case=case, user=page.me),
        done=lambda entry: "Register entry sent to procurement for verification",
    )
