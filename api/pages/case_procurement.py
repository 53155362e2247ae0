"""The case page's procurement forms: a bid or quote, the award recommendation, and the award
notice that starts the standstill."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from api.pages import forms
from api.pages.case_forms import Fields, act
from api.pages.formatting import long_date
from api.pages.forms import FormErrors
from api.pages.web import Form, SignedInPage
from lifecycle.schemas import AwardNoticeIn, AwardRecommendationIn, BidIn
from lifecycle.services import procurement

router = APIRouter(prefix="/cases/{case_id}", include_in_schema=False)

BID_FIELDS: Fields = {
    "supplier_name": ("bid_supplier", "Supplier name"),
    "registration_number": ("bid_registration", "Companies House or charity number"),
    "sme": ("bid_sme", "SME"),
    "vcse": ("bid_vcse", "VCSE"),
    "price_pence": ("bid_price", "Price"),
    "irrecoverable_vat_pence": ("bid_vat", "Irrecoverable VAT"),
    "score": ("bid_score", "Score"),
}
RECOMMEND_FIELDS: Fields = {
    "bid_id": ("bid_id", "Bid"),
    "rationale": ("rationale", "Rationale"),
}
NOTICE_FIELDS: Fields = {"published_on": ("published_on", "Date the award notice was published")}


@router.post("/bids")
def add_bid(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Record a supplier's bid or quote."""
    unreadable = FormErrors()
    body: dict[str, Any] = {
        "supplier_name": forms.text(data, "bid_supplier"),
        "registration_number": forms.text(data, "bid_registration"),
        "sme": forms.checked(data, "bid_sme"),
        "vcse": forms.checked(data, "bid_vcse"),
    }
    if (price := forms.pence(data, "bid_price", "Price", unreadable)) is not None:
        body["price_pence"] = price
    vat = (
        forms.pence(data, "bid_vat", "Irrecoverable VAT", unreadable)
        if forms.text(data, "bid_vat")
        else 0
    )
    if vat is not None:
        body["irrecoverable_vat_pence"] = vat
    if score := forms.text(data, "bid_score"):
        body["score"] = score
    return act(
        page,
        case_id,
        data,
        form="add-bid",
        fields=BID_FIELDS,
        model=lambda: BidIn(**body),
        call=lambda case, bid: procurement.add_bid(page.db, case=case, user=page.me, bid=bid),
        done=lambda bid: f"Bid recorded: {bid.supplier_name}",
        ask={"bid_supplier": "Enter the supplier’s name"},
        unreadable=unreadable,
    )


@router.post("/award-recommendation")
def recommend(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Recommend one of the bids for award, and say why."""
    body: dict[str, Any] = {"rationale": forms.text(data, "rationale")}
    if bid_id := forms.text(data, "bid_id"):
        body["bid_id"] = bid_id
    return act(
        page,
        case_id,
        data,
        form="recommend",
        fields=RECOMMEND_FIELDS,
        model=lambda: AwardRecommendationIn(**body),
        call=lambda case, recommendation: procurement.recommend(
            page.db, case=case, user=page.me, recommendation=recommendation
        ),
        done=lambda case: "Award recommended: it now waits for approval",
        ask={
            "bid_id": "Select the bid you recommend",
            "rationale": "Enter why you recommend this bid",
        },
    )


@router.post("/award-notice")
def award_notice(case_id: int, page: SignedInPage, data: Form) -> Response:
    """Record the day the award notice was published: the standstill starts."""
    unreadable = FormErrors()
    published_on = forms.day(data, "published_on", NOTICE_FIELDS["published_on"][1], unreadable)
    return act(
        page,
        case_id,
        data,
        form="award-notice",
        fields=NOTICE_FIELDS,
        model=lambda: AwardNoticeIn.model_validate({"published_on": published_on}),
        call=lambda case, notice: procurement.publish_award_notice(
            page.db, case=case, user=page.me, notice=notice, settings=page.settings
        ),
        done=lambda case: (
            "Award notice recorded: the standstill period ends on "
            + long_date(case.standstill_last_day)
        ),
        unreadable=unreadable,
    )
