"""The case page's forms for gates: a decision, and answering a request for changes (changing
the purchase request, then resubmitting)."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from api.pages import forms
from api.pages.case_forms import Fields, act
from api.pages.case_words import decided
from api.pages.forms import FormErrors
from api.pages.web import Form, SignedInPage
from lifecycle.models import Case
from lifecycle.schemas import GateDecisionIn, PurchaseRequestChanges
from lifecycle.services import cases, gates

router = APIRouter(prefix="/cases/{case_id}", include_in_schema=False)

DECISION_FIELDS: Fields = {
    "decision": ("decision", "Decision"),
    "reason": ("decision_reason", "Reason"),
    "contract_type": ("contract_type", "Contract type"),
    "key_contract": ("key_contract", "Key contract"),
    "on_behalf_of": ("on_behalf_of", "Deciding for"),
}
REQUEST_FIELDS: Fields = {
    "title": ("request_title", "Title"),
    "description": ("request_description", "Description"),
    "department": ("request_department", "Department"),
    "estimated_value_pence": ("request_value", "Estimated whole-life value"),
    "irrecoverable_vat_pence": ("request_vat", "Irrecoverable VAT"),
    "needed_by": ("request_needed_by", "Needed by"),
}


@router.post("/decision")
def decide(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Approve, request changes or reject the gate the case waits on."""
    body: dict[str, Any] = {"reason": forms.text(data, "decision_reason")}
    if chosen := forms.text(data, "decision"):
        body["decision"] = chosen
    if contract_type := forms.text(data, "contract_type"):
        body["contract_type"] = contract_type
    if (key := forms.text(data, "key_contract")) in ("yes", "no"):
        body["key_contract"] = key == "yes"
    if behalf := forms.whole_number(forms.text(data, "on_behalf_of"), max_digits=9):
        body["on_behalf_of"] = behalf
    gate_id = forms.text(data, "gate_id")
    return act(
        page,
        case_id,
        data,
        form="decide",
        fields=DECISION_FIELDS,
        model=lambda: GateDecisionIn(**body),
        call=lambda case, decision: gates.decide(
            page.db,
            case=case,
            gate=gates.get(
                page.db, case=case, gate_id=forms.whole_number(gate_id, max_digits=10) or 0
            ),
            user=page.me,
            decision=decision,
        ),
        done=lambda gate: f"Decision recorded: {decided(gate.decision)}",
        ask={
            "decision": "Select your decision",
            "contract_type": "Enter the contract type",
            "key_contract": "Select yes if it is a key contract",
        },
    )


@router.post("/request")
def change_request(case_id: int, page: SignedInPage, data: Form) -> Response:
    """The requester changes what legal asked to be changed; only changed fields are sent."""
    unreadable = FormErrors()
    read: dict[str, Any] = {
        name: forms.text(data, REQUEST_FIELDS[name][0])
        for name in ("title", "description", "department")
    }
    read["estimated_value_pence"] = forms.pence(
        data, "request_value", "Estimated whole-life value", unreadable
    )
    read["irrecoverable_vat_pence"] = (
        forms.pence(data, "request_vat", "Irrecoverable VAT", unreadable)
        if forms.text(data, "request_vat")
        else 0
    )
    read["needed_by"] = forms.day(data, "request_needed_by", "Needed by", unreadable)

    def changed(case: Case) -> PurchaseRequestChanges:
        """The fields whose typed value differs from the request's."""
        return PurchaseRequestChanges(
            **{name: value for name, value in read.items() if value != getattr(case, name)}
        )

    def update(case: Case, _: PurchaseRequestChanges) -> Case:
        """Send what changed."""
        return cases.update_request(
            page.db, case=case, user=page.me, changes=changed(case), settings=page.settings
        )

    return act(
        page,
        case_id,
        data,
        form="change-request",
        fields=REQUEST_FIELDS,
        model=lambda: PurchaseRequestChanges(
            **{name: value for name, value in read.items() if value is not None}
        ),
        call=update,
        done=lambda case: "Purchase request changed: resubmit it when it is ready",
        unreadable=unreadable,
    )


@router.post("/resubmit")
def resubmit(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Answer the request for changes: the decision opens again."""
    return act(
        page,
        case_id,
        data,
        form="resubmit",
        fields={},
        model=lambda: None,
        call=lambda case, _: cases.resubmit(page.db, case=case, user=page.me),
        done=lambda case: "Resubmitted: the case goes back for a decision",
    )
