"""The case page's forms for a live contract's changes and end: proposing a variation,
giving one of its approvals, the expiry decision, termination, and recording the
termination notice. Each calls the service its API twin calls."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.pages import forms
from api.pages.case_forms import Fields, act
from api.pages.forms import FormErrors
from api.pages.web import Form, SignedInPage
from lifecycle.schemas import (
    ExpiryDecisionIn,
    TerminationIn,
    TerminationNoticeIn,
    VariationDecisionIn,
    VariationIn,
)
from lifecycle.services import expiry, termination, variations

router = APIRouter(prefix="/cases/{case_id}", include_in_schema=False)

VARIATION_FIELDS: Fields = {
    "what": ("variation_what", "What changes"),
    "why": ("variation_why", "Why"),
    "value_change_pence": ("variation_value", "Change in value"),
    "new_end_date": ("variation_new_end_date", "New end date"),
}
APPROVAL_FIELDS: Fields = {
    "decision": ("variation_decision", "Decision"),
    "reason": ("variation_reason", "Reason"),
    "role": ("variation_decision", "Decision"),
    "id": ("variation_decision", "Decision"),
    "on_behalf_of": ("variation_on_behalf_of", "Deciding for"),
}
EXPIRY_FIELDS: Fields = {
    "decision": ("expiry_decision", "Decision"),
    "new_end_date": ("expiry_new_end_date", "New end date"),
    "reason": ("expiry_reason", "Notes"),
}
TERMINATION_FIELDS: Fields = {
    "terminated_on": ("terminated_on", "Date the contract was terminated"),
    "reason": ("termination_reason", "Why it was terminated"),
}
NOTICE_FIELDS: Fields = {
    "published_on": ("notice_published_on", "Date the notice was published"),
    "notice_id": ("notice_id", "Notice id"),
}


def _signed_pence(data: FormData, name: str, label: str, errors: FormErrors) -> int:
    """An amount in pounds that may be negative ('-2,500' for a reduction); empty: none."""
    raw = forms.text(data, name)
    if not raw:
        return 0
    negative = raw[0] in "-−"
    amount = forms.pence(FormData({name: raw[1:] if negative else raw}), name, label, errors)
    return -(amount or 0) if negative else (amount or 0)


def _optional_day(data: FormData, name: str, label: str, errors: FormErrors) -> Any:
    """A date that may be left out entirely."""
    if not any(forms.text(data, f"{name}-{part}") for part in ("day", "month", "year")):
        return None
    return forms.day(data, name, label, errors)


@router.post("/variations")
def propose_variation(case_id: int, page: SignedInPage, data: Form) -> Response:
    """The contract manager proposes a change."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "what": forms.text(data, "variation_what"),
        "why": forms.text(data, "variation_why"),
        "value_change_pence": _signed_pence(data, "variation_value", "Change in value", unreadable),
        "new_end_date": _optional_day(data, "variation_new_end_date", "New end date", unreadable),
    }
    return act(
        page,
        case_id,
        data,
        form="variation",
        fields=VARIATION_FIELDS,
        model=lambda: VariationIn.model_validate(body),
        call=lambda case, variation: variations.propose(
            page.db, case=case, user=page.me, variation=variation, settings=page.settings
        ),
        done=lambda row: f"Variation {row.number} proposed: it waits on approval",
        ask={"variation_what": "Enter what changes", "variation_why": "Enter why"},
        unreadable=unreadable,
    )


@router.post("/variation-decision")
def decide_variation(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Give or refuse one approval of the pending variation."""
    body: dict[str, Any] = {
        "role": forms.text(data, "variation_role"),
        "reason": forms.text(data, "variation_reason"),
    }
    if chosen := forms.text(data, "variation_decision"):
        body["decision"] = chosen
    if behalf := forms.whole_number(forms.text(data, "variation_on_behalf_of"), max_digits=9):
        body["on_behalf_of"] = behalf
    number = forms.whole_number(forms.text(data, "variation_id"), max_digits=10) or 0
    return act(
        page,
        case_id,
        data,
        form="variation-decision",
        fields=APPROVAL_FIELDS,
        model=lambda: VariationDecisionIn.model_validate(body),
        call=lambda case, decision: variations.decide(
            page.db,
            case=case,
            variation=variations.get(page.db, case=case, variation_id=number),
            user=page.me,
            decision=decision,
        ),
        done=lambda row: f"Your decision on variation {row.number} is recorded",
        ask={"variation_decision": "Select approve or reject"},
    )


@router.post("/expiry-decision")
def decide_expiry(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Extend, re-procure or let the contract end."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "reason": forms.text(data, "expiry_reason"),
        "new_end_date": _optional_day(data, "expiry_new_end_date", "New end date", unreadable),
    }
    if chosen := forms.text(data, "expiry_decision"):
        body["decision"] = chosen
    return act(
        page,
        case_id,
        data,
        form="expiry",
        fields=EXPIRY_FIELDS,
        model=lambda: ExpiryDecisionIn.model_validate(body),
        call=lambda case, decision: expiry.decide(
            page.db, case=case, user=page.me, decision=decision, settings=page.settings
        ),
        done=lambda row: {
            "extend": "The contract is extended",
            "reprocure": "A new purchase request is open to re-procure the contract",
            "end": "The contract will end on its end date",
        }[row.decision],
        ask={"expiry_decision": "Select what happens when the contract ends"},
        unreadable=unreadable,
    )


@router.post("/termination")
def terminate(case_id: int, page: SignedInPage, data: Form) -> Response:
    """End the contract before its end date."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "terminated_on": forms.day(
            data, "terminated_on", TERMINATION_FIELDS["terminated_on"][1], unreadable
        ),
        "reason": forms.text(data, "termination_reason"),
    }
    return act(
        page,
        case_id,
        data,
        form="termination",
        fields=TERMINATION_FIELDS,
        model=lambda: TerminationIn.model_validate(body),
        call=lambda case, ending: termination.terminate(
            page.db, case=case, user=page.me, termination=ending, settings=page.settings
        ),
        done=lambda contract: "The contract is terminated: publish its termination notice",
        ask={"termination_reason": "Enter why the contract was terminated"},
        unreadable=unreadable,
    )


@router.post("/termination-notice")
def record_notice(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Record the termination notice as published."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "published_on": forms.day(
            data, "notice_published_on", NOTICE_FIELDS["published_on"][1], unreadable
        ),
        "notice_id": forms.text(data, "notice_id"),
    }
    return act(
        page,
        case_id,
        data,
        form="notice",
        fields=NOTICE_FIELDS,
        model=lambda: TerminationNoticeIn.model_validate(body),
        call=lambda case, notice: termination.record_notice(
            page.db, case=case, user=page.me, notice=notice
        ),
        done=lambda contract: "The termination notice is recorded",
        ask={"notice_id": "Enter the notice id"},
        unreadable=unreadable,
    )
