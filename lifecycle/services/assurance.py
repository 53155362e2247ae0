"""The assurance report: one record per case that needed a contract, loaded with a fixed number
of set-based queries however many cases there are, and its monthly snapshots."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Executable, and_, case, func
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.access import Area, refusal
from lifecycle.assurance import (
    ContractRecord,
    Measure,
    Point,
    Shortfall,
    history_intact,
    mail_delivered,
    month_of,
    months_back,
    trend,
)
from lifecycle.chain import ALTERED_FLAG
from lifecycle.errors import Forbidden
from lifecycle.models import (
    AssuranceSnapshot,
    AuditEvent,
    Bid,
    Case,
    Contract,
    Document,
    Flag,
    Gate,
    Lesson,
    Mail,
    RegisterEntry,
    User,
    utcnow,
)
from lifecycle.rules import (
    REGISTER_REQUIRED_FIELDS,
    Decision,
    GateKind,
    Outcome,
    Stage,
    Status,
    register_missing,
)
from lifecycle.services import assurance_facts, register, training, users
from lifecycle.settings import Settings
from lifecycle.training import training_need

# How far back the page's trend reaches, counting the current month.
TREND_MONTHS = 12
_REGISTER_COLUMNS = (*REGISTER_REQUIRED_FIELDS, "sme", "vcse", "supplier_registration_number")


def _require_assurance(by: User) -> None:
    """Only those the assurance area is open to may read the report."""
    refused = refusal(users.roles_of(by), Area.ASSURANCE)
    if refused:
        raise Forbidden(refused)


def _read(session: Session, query: Executable) -> list[Any]:
    """Rows as plain tuples, through the session's connection (in its transaction): at ten
    thousand cases the ORM's handling of each row costs about as much again as the queries."""
    return list(session.connection().execute(query))


def _case_ids(session: Session, query: Executable) -> set[int]:
    """The case ids a one-column query finds."""
    return {case_id for (case_id,) in _read(session, query) if case_id is not None}


def _progress(session: Session) -> dict[int, tuple[bool, bool, bool]]:
    """For each case that has entered procurement or monitoring: whether it entered
    procurement, whether the latest round of its legal consultation was approved no later than
    it (last) did so, and whether it came into force (entered monitoring). One pass over the
    audit events; timestamps are compared in the database, where every backend stores them as
    UTC in one format."""
    entered = (
        sa.select(
            col(AuditEvent.case_id),
            func.max(
                case((col(AuditEvent.to_stage) == Stage.PROCUREMENT.value, AuditEvent.at))
            ).label("procurement_at"),
            func.max(case((col(AuditEvent.to_stage) == Stage.MONITORING.value, 1), else_=0)).label(
                "in_force"
            ),
        )
        .where(
            col(AuditEvent.action) == "stage_entered",
            col(AuditEvent.to_stage).in_([Stage.PROCUREMENT.value, Stage.MONITORING.value]),
        )
        .group_by(col(AuditEvent.case_id))
        .subquery()
    )
    legal_first = (
        sa.select(
            and_(
                col(Gate.decision) == Decision.APPROVE.value,
                col(Gate.decided_at) <= entered.c.procurement_at,
            )
        )
        .where(
            col(Gate.case_id) == entered.c.case_id,
            col(Gate.kind) == GateKind.LEGAL_CONSULTATION.value,
        )
        .order_by(col(Gate.round).desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = _read(
        session,
        sa.select(
            entered.c.case_id,
            entered.c.procurement_at.is_not(None),
            entered.c.in_force,
            legal_first,
        ),
    )
    return {
        case_id: (bool(procurement), bool(legal), bool(in_force))
        for case_id, procurement, in_force, legal in rows
    }


_NOWHERE = (False, False, False)


def _holding(document_type: str) -> Executable:
    """Cases holding a document of this type."""
    return (
        sa.select(col(Document.case_id))
        .where(col(Document.document_type) == document_type)
        .distinct()
    )


def _contract_facts(session: Session, today: date) -> dict[int, tuple[bool, bool]]:
    """For each case with a contract: whether both parties signed before it started, and
    whether its next review is overdue as of `today`."""
    signed_first = and_(
        col(Contract.supplier_signed_on) < col(Contract.start_date),
        col(Contract.council_signed_on) < col(Contract.start_date),
    )
    overdue = and_(
        col(Contract.next_review_due).is_not(None), col(Contract.next_review_due) < today
    )
    rows = _read(session, sa.select(col(Contract.case_id), signed_first, overdue))
    return {case_id: (bool(signed), bool(late)) for case_id, signed, late in rows}


def _complete_on_register(session: Session) -> set[int]:
    """Cases published (or ended) on the register with every Transparency Code field."""
    columns = [col(RegisterEntry.case_id), *(getattr(RegisterEntry, n) for n in _REGISTER_COLUMNS)]
    rows = _read(
        session, sa.select(*columns).where(col(RegisterEntry.status).in_(register.PUBLIC_STATUSES))
    )
    return {
        row[0]
        for row in rows
        if not register_missing(dict(zip(_REGISTER_COLUMNS, row[1:], strict=True)))
    }


def records(session: Session, settings: Settings) -> list[ContractRecord]:
    """The report's view of every case that needed a contract, oldest first. Each fact is one
    query over all cases (ids of cases outside the report are simply never looked up)."""
    cases = _read(
        session,
        sa.select(
            col(Case.id),
            col(Case.reference),
            col(Case.estimated_value_pence),
            col(Case.key_contract),
            col(Case.contract_manager_id),
            col(Case.stage),
            col(Case.status),
            col(Case.outcome),
        )
        .where(col(Case.contract).is_(True))
        .order_by(col(Case.id)),
    )
    progress = _progress(session)
    today = clock.today()
    contracts = _contract_facts(session, today)
    exit_plans = _case_ids(session, _holding("contractArrangements"))
    summaries = _case_ids(session, _holding("contractSummary"))
    on_register = _complete_on_register(session)
    lessons = _case_ids(session, sa.select(col(Lesson.case_id)).distinct())
    trained = training.trained_managers(session, today)
    # The value the register gives: the awarded price once there is one.
    awarded = dict(
        session.exec(
            select(Case.id, Bid.price_pence).join(Bid, col(Bid.id) == Case.awarded_bid_id)
        ).all()
    )
    names = dict(session.exec(select(User.id, User.name)).all())
    threshold = settings.trained_manager_threshold_pence
    # Looked up once rather than once per row: an enum member's value is a property.
    monitoring, closed, completed = (
        Stage.MONITORING.value,
        Status.CLOSED.value,
        Outcome.COMPLETED.value,
    )
    found = []
    for case_id, reference, value, key, manager_id, stage, status, outcome in cases:
        contract = contracts.get(case_id)
        reached_procurement, legal_first, in_force = progress.get(case_id, _NOWHERE)
        found.append(
            ContractRecord(
                reference=reference,
                value_pence=value,
                key_contract=key,
                reached_procurement=reached_procurement,
                legal_before_procurement=legal_first,
                in_force=in_force,
                manager_named=manager_id is not None,
                register_complete=case_id in on_register,
                signed_before_start=None if contract is None else contract[0],
                exit_plan=case_id in exit_plans,
                contract_summary=case_id in summaries,
                review_overdue=stage == monitoring and contract is not None and contract[1],
                closed_completed=status == closed and outcome == completed,
                lessons_recorded=case_id in lessons,
                case_id=case_id,
                needs_trained_manager=bool(
                    training_need(key, awarded.get(case_id, value), threshold)
                ),
                manager_trained=manager_id in trained,
                manager_name=names.get(manager_id, "") if manager_id else "",
            )
        )
    return found


def _mail_measure(session: Session) -> Measure:
    """Mail sent, and each mail given up on, by its case (or its own id, for account mail)."""
    sent = session.exec(select(func.count()).where(Mail.status == "sent")).one()
    failed = session.exec(
        select(Mail.id, Case.id, Case.reference)
        .join(Case, col(Case.id) == Mail.case_id, isouter=True)
        .where(Mail.status == "failed")
    ).all()
    return mail_delivered(
        sent,
        [
            Shortfall(reference or f"mail {mail_id} (no case)", case_id)
            for mail_id, case_id, reference in failed
        ],
    )


def _history_measure(session: Session) -> Measure:
    """Every case, and those the daily check flagged as altered."""
    cases = session.exec(select(func.count()).select_from(Case)).one()
    altered = session.exec(
        select(Case.id, Case.reference)
        .join(Flag, col(Flag.case_id) == Case.id)
        .where(Flag.code == ALTERED_FLAG)
    ).all()
    return history_intact(cases, [Shortfall(reference, case_id) for case_id, reference in altered])


def _measures(session: Session, settings: Settings) -> list[Measure]:
    """The measures over every contract case, and mail, unchecked (the sweep records them for
    nobody). Counted in the database (assurance_facts); `records` is the same report's view
    case by case."""
    measures = assurance_facts.measures(
        session,
        today=clock.today(),
        register_threshold=settings.register_threshold_pence,
        training_threshold=settings.trained_manager_threshold_pence,
        trained=training.trained_managers(session, clock.today()),
    )
    return [*measures, _mail_measure(session), _history_measure(session)]


def report(session: Session, *, by: User, settings: Settings) -> list[Measure]:
    """The assurance report over every case that needed a contract, for internal audit."""
    _require_assurance(by)
    return _measures(session, settings)


@dataclass(frozen=True)
class Overview:
    """The report now, and each measure's trend over the recent months."""

    measures: list[Measure]
    trends: dict[str, list[Point]]
    month: str


def overview(session: Session, *, by: User, settings: Settings) -> Overview:
    """The report with each measure's month-end history and this month's live value."""
    _require_assurance(by)
    measures = _measures(session, settings)
    month = month_of(clock.today())
    stored = session.exec(
        select(
            AssuranceSnapshot.month,
            AssuranceSnapshot.measure,
            AssuranceSnapshot.met,
            AssuranceSnapshot.of,
        ).where(AssuranceSnapshot.month > months_back(month, TREND_MONTHS))
    )
    return Overview(measures, trend(stored, measures, month=month), month)


def record_snapshot(session: Session, *, settings: Settings) -> int:
    """Record this month's value of every measure, replacing what an earlier run this month
    recorded: run daily, the last run of a month leaves its month-end state. Safe to repeat.
    Returns how many measures were recorded."""
    month = month_of(clock.today())
    measures = _measures(session, settings)
    earlier = {
        row.measure: row
        for row in session.exec(select(AssuranceSnapshot).where(AssuranceSnapshot.month == month))
    }
    for measure in measures:
        row = earlier.get(measure.key) or AssuranceSnapshot(
            month=month, measure=measure.key, met=0, of=0
        )
        row.met, row.of, row.recorded_at = measure.met, measure.of, utcnow()
        session.add(row)
    return len(measures)
