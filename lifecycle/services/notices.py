"""A case's Procurement Act notices: which are due and by when, each one's data as the OCDS
release Find a Tender takes, what it still lacks, and its status as procurement moves it from
draft to ready to published (with the date and the platform's identifier)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select as columns
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from lifecycle import clock
from lifecycle.db import among
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.models import (
    AuditEvent,
    Bid,
    Case,
    Contract,
    Gate,
    KpiAssessment,
    Notice,
    User,
    Variation,
    utcnow,
)
from lifecycle.notice_data import missing, notice_release
from lifecycle.notices import (
    NAMES,
    NoticeDue,
    NoticeFacts,
    NoticeStatus,
    NoticeType,
    manage_refusal,
    notices,
    publication_date_problem,
    publish_refusal,
    ready_refusal,
)
from lifecycle.rules import Decision, GateKind, Route, Stage
from lifecycle.schemas import NoticePublishedIn
from lifecycle.services import audit, users
from lifecycle.services import ocds as ocds_service
from lifecycle.settings import Settings
from lifecycle.variations import VariationStatus

Json = dict[str, Any]


@dataclass(frozen=True)
class NoticeState:
    """One notice of a case as the API shows it."""

    key: str
    type: NoticeType
    name: str
    required: bool
    why: str
    due_by: date | None
    arises_on: date | None
    deadline: bool
    status: NoticeStatus
    published_on: date | None
    identifier: str | None
    missing: list[str]
    release: Json


@dataclass(frozen=True)
class CaseTerms:
    """What of the case row itself decides its notices (a sweep reads these columns alone,
    not whole rows)."""

    id: int
    route: str
    light_touch: bool
    estimated_value_pence: int
    awarded_bid_id: int | None


TERMS = (
    col(Case.id),
    col(Case.route),
    col(Case.light_touch),
    col(Case.estimated_value_pence),
    col(Case.awarded_bid_id),
)


def facts_for_cases(
    session: Session, *, cases: Sequence[CaseTerms], settings: Settings
) -> dict[int, NoticeFacts]:
    """What decides each case's notices: one read per kind of row, however many cases."""
    ids = [case.id for case in cases]
    if not ids:
        return {}
    opened = dict(
        session.exec(
            select(AuditEvent.case_id, func.min(AuditEvent.at))
            .where(
                among(session, AuditEvent.case_id, ids),
                AuditEvent.action == "stage_entered",
                AuditEvent.to_stage == Stage.PROCUREMENT.value,
            )
            .group_by(col(AuditEvent.case_id))
        ).all()
    )
    approved: dict[int, datetime | None] = {}
    for gate in session.exec(
        select(Gate)
        .where(among(session, Gate.case_id, ids), Gate.kind == GateKind.AWARD_APPROVAL.value)
        .order_by(col(Gate.round))
    ):
        # The newest round decides.
        approved[gate.case_id] = (
            gate.decided_at if gate.decision == Decision.APPROVE.value else None
        )
    contracts = {
        row.case_id: row
        for row in session.execute(
            columns(
                col(Contract.case_id),
                col(Contract.supplier_signed_on),
                col(Contract.council_signed_on),
                col(Contract.start_date),
                col(Contract.ended_on),
            ).where(among(session, Contract.case_id, ids))
        )
    }
    awarded = [case.awarded_bid_id for case in cases if case.awarded_bid_id]
    prices = (
        dict(
            session.exec(
                select(Bid.id, Bid.price_pence).where(among(session, Bid.id, awarded))
            ).all()
        )
        if awarded
        else {}
    )
    # s.71 assessments (one per period, whatever the number of KPIs), and approved changes.
    assessed: dict[int, list[date]] = {}
    for case_id, at in session.exec(
        select(KpiAssessment.case_id, func.min(KpiAssessment.assessed_at))
        .where(among(session, KpiAssessment.case_id, ids))
        .group_by(col(KpiAssessment.case_id), col(KpiAssessment.period_end))
        .order_by(col(KpiAssessment.case_id), col(KpiAssessment.period_end))
    ):
        if at is not None:
            assessed.setdefault(case_id, []).append(clock.london_date(at))
    changed: dict[int, list[date]] = {}
    for case_id, settled_at in session.exec(
        select(Variation.case_id, Variation.settled_at)
        .where(
            among(session, Variation.case_id, ids),
            Variation.status == VariationStatus.APPROVED.value,
            col(Variation.settled_at).is_not(None),
        )
        .order_by(col(Variation.settled_at))
    ):
        assert settled_at is not None
        changed.setdefault(case_id, []).append(clock.london_date(settled_at))
    found = {}
    for case in cases:
        contract = contracts.get(case.id)
        signed = [contract.supplier_signed_on, contract.council_signed_on] if contract else []
        opened_at, approved_at = opened.get(case.id), approved.get(case.id)
        found[case.id] = NoticeFacts(
            route=Route(case.route),
            light_touch=case.light_touch,
            value_pence=prices.get(case.awarded_bid_id or 0, case.estimated_value_pence),
            kpi_threshold_pence=settings.kpi_threshold_pence,
            procurement_opened_on=clock.london_date(opened_at) if opened_at else None,
            award_approved_on=clock.london_date(approved_at) if approved_at else None,
            # Entered into when both parties have signed: the later signature.
            contract_entered_on=max(d for d in signed if d) if signed and all(signed) else None,
            contract_start=contract.start_date if contract else None,
            assessments=tuple(assessed.get(case.id, ())),
            changes=tuple(changed.get(case.id, ())),
            ended_on=contract.ended_on if contract else None,
            termination_notice_days=settings.termination_notice_days,
        )
    return found


def facts_for(session: Session, *, case: Case, settings: Settings) -> NoticeFacts:
    """What decides the case's notices."""
    assert case.id is not None
    terms = CaseTerms(
        case.id, case.route, case.light_touch, case.estimated_value_pence, case.awarded_bid_id
    )
    return facts_for_cases(session, cases=[terms], settings=settings)[case.id]


def _rows(session: Session, case_id: int) -> dict[str, Notice]:
    """The case's notice rows by key."""
    return {n.key: n for n in session.exec(select(Notice).where(Notice.case_id == case_id))}


def _termination_recorded(session: Session, case_id: int) -> tuple[str, date] | None:
    """A termination notice recorded with the contract's end (identifier, day), if any."""
    contract = session.exec(select(Contract).where(Contract.case_id == case_id)).first()
    if contract and contract.termination_notice_published_on:
        return contract.termination_notice_id or "", contract.termination_notice_published_on
    return None


def overview(session: Session, *, case: Case, settings: Settings) -> list[NoticeState]:
    """Every notice of the case, needed or not, with its status, data and what it lacks."""
    assert case.id is not None
    facts = ocds_service.case_facts(session, case_ids=[case.id], public_only=False)[case.id]
    buyer = ocds_service.buyer(settings)
    rows = _rows(session, case.id)
    now = utcnow()
    states = []
    for due in notices(facts_for(session, case=case, settings=settings)):
        row = rows.get(due.key)
        status = NoticeStatus(row.status) if row else NoticeStatus.DRAFT
        published = (row.identifier or "", row.published_on) if row and row.published_on else None
        recorded = _termination_recorded(session, case.id) if due.type is NoticeType.UK11 else None
        if published is None and recorded is not None:
            status, published = NoticeStatus.PUBLISHED, recorded
        release = notice_release(due, facts, buyer, now, published=published)
        states.append(
            NoticeState(
                key=due.key,
                type=due.type,
                name=NAMES[due.type],
                required=due.required,
                why=due.why,
                due_by=due.due_by,
                arises_on=due.arises_on,
                deadline=due.deadline,
                status=status,
                published_on=published[1] if published else None,
                identifier=published[0] if published else None,
                missing=missing(due, release) if due.required else [],
                release=release,
            )
        )
    return states


def _require_procurement(user: User) -> None:
    """Only the procurement team publishes notices."""
    if refusal := manage_refusal(users.roles_of(user)):
        raise Forbidden(refusal)


def _find(states: list[NoticeState], key: str) -> NoticeState:
    """One notice of the case by key."""
    found = next((state for state in states if state.key == key), None)
    if found is None:
        raise NotFound("this case has no such notice", field="key")
    return found


def ensure_row(session: Session, *, case_id: int, key: str) -> None:
    """The notice's row, written as a draft unless it is there already: the daily sweep and a
    person marking the notice ready may both write it at once, and neither may fail for it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(Notice)
        .values(case_id=case_id, key=key, status=NoticeStatus.DRAFT.value, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["case_id", "key"])
    )


def _save(session: Session, case: Case, key: str, user: User, **values: Any) -> Notice:
    """Write the notice's row (creating it from the draft)."""
    assert case.id is not None
    ensure_row(session, case_id=case.id, key=key)
    row = session.exec(select(Notice).where(Notice.case_id == case.id, Notice.key == key)).one()
    session.refresh(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = user.id, utcnow()
    session.add(row)
    session.flush()
    return row


def _due(state: NoticeState) -> NoticeDue:
    """The rule's view of a notice state."""
    return NoticeDue(
        state.key,
        state.type,
        state.required,
        state.due_by,
        state.why,
        state.arises_on,
        state.deadline,
    )


def mark_ready(
    session: Session, *, case: Case, user: User, key: str, settings: Settings
) -> NoticeState:
    """Procurement checked the notice: nothing it needs is missing."""
    _require_procurement(user)
    state = _find(overview(session, case=case, settings=settings), key)
    if refusal := ready_refusal(_due(state), state.status, state.missing):
        raise Conflict(refusal)
    _save(session, case, key, user, status=NoticeStatus.READY.value)
    audit.record(session, case=case, actor_id=user.id, action="notice_ready", notice=key)
    return _find(overview(session, case=case, settings=settings), key)


def record_published(
    session: Session,
    *,
    case: Case,
    user: User,
    key: str,
    published: NoticePublishedIn,
    settings: Settings,
) -> NoticeState:
    """Procurement published the notice on Find a Tender: the day, and its identifier."""
    _require_procurement(user)
    state = _find(overview(session, case=case, settings=settings), key)
    # An award notice whose publication started the standstill is out: what is left is to
    # record its identifier, with no need to mark it ready first.
    out = state.type is NoticeType.UK6 and case.award_notice_published_on is not None
    if refusal := publish_refusal(_due(state), state.status, already_out=out):
        raise Conflict(refusal)
    if problem := publication_date_problem(
        state.type, published.published_on, clock.today(), case.award_notice_published_on
    ):
        raise Invalid(problem, field="published_on")
    _save(
        session,
        case,
        key,
        user,
        status=NoticeStatus.PUBLISHED.value,
        published_on=published.published_on,
        identifier=published.identifier,
    )
    if state.type is NoticeType.UK11:
        # The contract's own record of its termination notice says the same.
        contract = session.exec(select(Contract).where(Contract.case_id == case.id)).one()
        if contract.termination_notice_published_on is None:
            contract.termination_notice_published_on = published.published_on
            contract.termination_notice_id = published.identifier
            session.add(contract)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="notice_published",
        notice=key,
        published_on=published.published_on,
        identifier=published.identifier,
    )
    return _find(overview(session, case=case, settings=settings), key)
