"""Procurement: bids, the award recommendation, the award notice and its standstill."""

from datetime import date

from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.calendar import standstill_last_day, start_of_day
from lifecycle.db import get_row
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.guards import (
    award_notice_conflict,
    bids_conflict,
    open_award_conflict,
    procurement_refusal,
)
from lifecycle.models import Bid, Case, User, utcnow
from lifecycle.rules import Decision, GateKind, Role, Route, Stage, Status
from lifecycle.schemas import AwardNoticeIn, AwardRecommendationIn, BidIn
from lifecycle.services import audit, outbox, progress, users
from lifecycle.services.progress import approved_gates, latest
from lifecycle.settings import Settings
from notifications import Notification


def award_approved_on(session: Session, *, case_id: int) -> date:
    """The UK date the award was approved (the approval must exist)."""
    gate = latest(session, case_id=case_id, kind=GateKind.AWARD_APPROVAL)
    if gate is None or gate.decision != Decision.APPROVE.value or gate.decided_at is None:
        raise Conflict("the award has not been approved")
    return clock.london_date(gate.decided_at)


def _require_procurement(user: User) -> None:
    """Only the procurement team runs a procurement."""
    if refusal := procurement_refusal(users.roles_of(user)):
        raise Forbidden(refusal)


def _award_approved(session: Session, case: Case) -> bool:
    """Whether the award on this case has been approved."""
    assert case.id is not None
    return GateKind.AWARD_APPROVAL in approved_gates(session, case_id=case.id)


def _require_open_award(session: Session, case: Case) -> None:
    """Bids and recommendations are for a procurement whose award is not yet approved."""
    approved = _award_approved(session, case)
    if conflict := open_award_conflict(
        case.reference, Stage(case.stage), Status(case.status), approved
    ):
        raise Conflict(conflict)


def add_bid(session: Session, *, case: Case, user: User, bid: BidIn) -> Bid:
    """Record a supplier's bid or quote."""
    _require_procurement(user)
    _require_open_award(session, case)
    if (bid.sme or bid.vcse) and not bid.registration_number:
        raise Invalid(
            "an SME or VCSE supplier needs its Companies House or charity number",
            field="registration_number",
        )
    assert case.id is not None and user.id is not None
    row = Bid(case_id=case.id, **bid.model_dump(), created_by=user.id)
    row.registration_number = bid.registration_number or None
    session.add(row)
    session.flush()
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="bid_recorded",
        bid_id=row.id,
        supplier=row.supplier_name,
        price_pence=row.price_pence,
    )
    return row


def list_bids(session: Session, *, case_id: int) -> list[Bid]:
    """The bids of a case, in the order recorded."""
    return list(session.exec(select(Bid).where(Bid.case_id == case_id).order_by(col(Bid.id))))


def recommend(
    session: Session, *, case: Case, user: User, recommendation: AwardRecommendationIn
) -> Case:
    """Recommend a bid for award; the procurement flow then opens the award-approval gate."""
    _require_procurement(user)
    _require_open_award(session, case)
    bid = get_row(session, Bid, recommendation.bid_id)
    if bid is None or bid.case_id != case.id:
        raise NotFound(f"case {case.reference} has no bid {recommendation.bid_id}", field="bid_id")
    if conflict := bids_conflict(Route(case.route), len(list_bids(session, case_id=bid.case_id))):
        raise Conflict(conflict)
    case.awarded_bid_id = bid.id
    case.award_rationale = recommendation.rationale
    session.add(case)
    progress.set_status(
        session,
        case=case,
        status=Status.IN_PROGRESS,
        actor_id=user.id,
        action="award_recommended",
        bid_id=bid.id,
        supplier=bid.supplier_name,
    )
    outbox.enqueue_flow_again(session, case=case, stage=Stage.PROCUREMENT, why="recommended")
    return case


def publish_award_notice(
    session: Session, *, case: Case, user: User, notice: AwardNoticeIn, settings: Settings
) -> Case:
    """Record the award notice's publication; the standstill counts from that day and a
    durable timer (a delayed flow request) opens signing once it is over."""
    _require_procurement(user)
    assert case.id is not None
    if conflict := award_notice_conflict(
        case.reference,
        Stage(case.stage),
        Status(case.status),
        Route(case.route),
        _award_approved(session, case),
        case.award_notice_published_on,
    ):
        raise Conflict(conflict)
    if notice.published_on > clock.today():
        raise Invalid("published_on must not be in the future", field="published_on")
    approved_on = award_approved_on(session, case_id=case.id)
    if notice.published_on < approved_on:
        raise Invalid(
            f"published_on cannot be before the award was approved ({approved_on})",
            field="published_on",
        )
    last_day = standstill_last_day(notice.published_on, settings.standstill_working_days)
    case.award_notice_published_on = notice.published_on
    case.standstill_last_day = last_day
    case.updated_at = utcnow()
    session.add(case)
    progress.set_status(
        session,
        case=case,
        status=Status.STANDSTILL,
        actor_id=user.id,
        action="standstill_started",
        published_on=notice.published_on,
        last_day=last_day,
    )
    opens = start_of_day(last_day.fromordinal(last_day.toordinal() + 1))
    outbox.enqueue_flow(
        session, case=case, stage=Stage.PROCUREMENT, trigger="standstill-ended", not_before=opens
    )
    told = users.with_role(session, role=Role.LEGAL)
    requester = session.get(User, case.requester_id)
    outbox.enqueue_mail(
        session,
        key="standstill-started",
        case=case,
        notification=Notification.STANDSTILL_STARTED,
        to=[*told, *([requester] if requester else [])],
        published_on=notice.published_on.isoformat(),
        last_day=last_day.isoformat(),
        opens_on=opens.date().isoformat(),
    )
    return case
