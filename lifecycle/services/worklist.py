"""Loading what waits on a person: a few bounded queries, whatever the number of cases, whose
rows `lifecycle.worklist` turns into tasks.

Each query looks for one kind of work and is ordered the way its tasks are (oldest first), so
the oldest `limit` tasks of all kinds are among the rows read. Every query reads the same full
facts about a case, so a case found by two of them is the same case twice."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from lifecycle import clock
from lifecycle.models import AuditEvent, Case, Contract, Document, Gate, RegisterEntry, User
from lifecycle.rules import (
    GATE_ROLE,
    PREPARATIONS,
    Decision,
    GateKind,
    Role,
    Route,
    Stage,
    Status,
    prepared_by,
)
from lifecycle.services import contract_end_work, delegations, notice_work, users
from lifecycle.settings import Settings
from lifecycle.worklist import (
    MANAGER_DOCUMENTS,
    CaseState,
    OpenGate,
    Person,
    TaskKind,
    Worklist,
    worklist,
)

LIMIT = 200

pending = aliased(Gate, name="pending_gate")
award_approved = (
    exists()
    .where(
        col(Gate.case_id) == col(Case.id),
        col(Gate.kind) == GateKind.AWARD_APPROVAL.value,
        col(Gate.decision) == Decision.APPROVE.value,
    )
    .correlate(Case)
)


def _facts() -> Any:
    """Every fact the worklist reads about a case, in one row per case."""
    return (
        select(
            Case,
            pending,
            col(RegisterEntry.status),
            col(Contract.next_review_due),
            award_approved,
        )
        .outerjoin(
            pending, and_(col(pending.case_id) == col(Case.id), col(pending.status) == "pending")
        )
        .outerjoin(RegisterEntry, col(RegisterEntry.case_id) == col(Case.id))
        .outerjoin(Contract, col(Contract.case_id) == col(Case.id))
        .where(col(Case.status) != Status.CLOSED.value)
    )


def _preparations(
    session: Session, *, case_ids: list[int]
) -> dict[int, tuple[tuple[int | None, str], ...]]:
    """For each of these cases, the (actor, action) events that prepare a gate, oldest first:
    who may not decide what they prepared."""
    if not case_ids:
        return {}
    actions = sorted({action for kinds in PREPARATIONS.values() for action in kinds})
    rows = session.execute(
        select(col(AuditEvent.case_id), col(AuditEvent.actor_id), col(AuditEvent.action))
        .where(col(AuditEvent.case_id).in_(case_ids), col(AuditEvent.action).in_(actions))
        .order_by(col(AuditEvent.id))
    ).all()
    found: dict[int, list[tuple[int | None, str]]] = {}
    for case_id, actor_id, action in rows:
        found.setdefault(case_id, []).append((actor_id, action))
    return {case_id: tuple(events) for case_id, events in found.items()}


def _state(
    row: Sequence[Any],
    documents: frozenset[str] = frozenset(),
    events: tuple[tuple[int | None, str], ...] = (),
) -> CaseState:
    """One row of `_facts` as plain values."""
    case, gate, entry_status, next_review_due, approved = row
    assert case.id is not None
    return CaseState(
        id=case.id,
        reference=case.reference,
        title=case.title,
        stage=Stage(case.stage),
        status=Status(case.status),
        route=Route(case.route),
        requester_id=case.requester_id,
        contract_manager_id=case.contract_manager_id,
        changed_at=case.updated_at,
        key_contract=case.key_contract,
        pending_gate=(
            OpenGate(kind=GateKind(gate.kind), opened_at=gate.opened_at, due_on=gate.due_on)
            if gate is not None
            else None
        ),
        recommended=case.awarded_bid_id is not None,
        award_approved=bool(approved),
        award_notice_recorded=case.award_notice_published_on is not None,
        register_submitted=entry_status == "submitted",
        documents=documents,
        next_review_due=next_review_due,
        events=events,
    )


def _searches(me: User, settings: Settings) -> list[tuple[ColumnElement[bool], Any]]:
    """Where each kind of work is found, and the order its tasks are listed in."""
    roles = set(users.roles_of(me))
    decided_by_me = [kind.value for kind, role in GATE_ROLE.items() if role in roles]
    mine = or_(col(Case.requester_id) == me.id, col(Case.contract_manager_id) == me.id)
    searches: list[tuple[ColumnElement[bool], Any]] = [
        # Requests sent back to their requester or manager.
        (and_(mine, col(Case.status) == Status.CHANGES_REQUESTED.value), col(Case.updated_at)),
        # Signed contracts, register details and exit documents; a manager still to be named.
        (
            and_(
                mine,
                col(Case.stage).in_([Stage.SIGNING.value, Stage.REGISTER_ENTRY.value]),
            ),
            col(Case.updated_at),
        ),
        # Reviews falling due within the reminder lead time, and overdue ones.
        (
            and_(
                col(Case.contract_manager_id) == me.id,
                col(Case.stage) == Stage.MONITORING.value,
                col(Contract.next_review_due)
                <= clock.today() + timedelta(days=settings.review_reminder_lead_days),
            ),
            col(Contract.next_review_due),
        ),
    ]
    if decided_by_me:
        searches.append(
            (
                and_(col(pending.kind).in_(decided_by_me), col(Case.requester_id) != me.id),
                col(pending.opened_at),
            )
        )
    if Role.PROCUREMENT in roles:
        to_run = and_(col(Case.awarded_bid_id).is_(None), ~award_approved)
        notice_due = and_(
            award_approved,
            col(Case.route) == Route.ABOVE_THRESHOLD.value,
            col(Case.award_notice_published_on).is_(None),
        )
        searches.append(
            (
                and_(
                    col(Case.stage) == Stage.PROCUREMENT.value,
                    or_(
                        col(Case.status) == Status.CHANGES_REQUESTED.value,
                        and_(
                            col(Case.status) == Status.IN_PROGRESS.value,
                            col(pending.id).is_(None),
                            or_(to_run, notice_due),
                        ),
                    ),
                ),
                col(Case.updated_at),
            )
        )
    return searches


def _documents(session: Session, *, case_ids: list[int]) -> dict[int, frozenset[str]]:
    """The documents a contract manager supplies, held for each of these cases."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(col(Document.case_id), col(Document.document_type)).where(
            col(Document.case_id).in_(case_ids),
            col(Document.document_type).in_(MANAGER_DOCUMENTS),
        )
    ).all()
    held: dict[int, set[str]] = {}
    for case_id, document_type in rows:
        held.setdefault(case_id, set()).add(document_type)
    return {case_id: frozenset(types) for case_id, types in held.items()}


def for_person(session: Session, *, me: User, settings: Settings, limit: int = LIMIT) -> Worklist:
    """Every gate and task waiting on `me`, oldest first, at most `limit` of them."""
    assert me.id is not None
    rows: dict[int, Sequence[Any]] = {}
    more = False
    for condition, order in _searches(me, settings):
        found = session.execute(
            _facts().where(condition).order_by(order, col(Case.id)).limit(limit + 1)
        ).all()
        more = more or len(found) > limit
        for row in found[:limit]:
            rows[row[0].id] = row
    managed = [case_id for case_id, row in rows.items() if row[0].contract_manager_id == me.id]
    documents = _documents(session, case_ids=managed)
    gated = [case_id for case_id, row in rows.items() if row[1] is not None]
    preparations = _preparations(session, case_ids=gated)
    person = Person(id=me.id, roles=frozenset(users.roles_of(me)))
    found_work = worklist(
        person,
        (
            _state(row, documents.get(case_id, frozenset()), preparations.get(case_id, ()))
            for case_id, row in rows.items()
        ),
        today=clock.today(),
        review_lead_days=settings.review_reminder_lead_days,
        limit=limit,
    )
    standing_in = delegations.standing_in(
        session,
        me=me,
        gates=[
            (
                case_id,
                GateKind(row[1].kind),
                row[1].role,
                row[0].requester_id,
                prepared_by(GateKind(row[1].kind), preparations.get(case_id, ())),
            )
            for case_id, row in rows.items()
            if row[1] is not None
        ],
    )
    tasks = tuple(
        replace(task, on_behalf_of=tuple(standing_in.get(task.case_id, ())))
        if task.kind is TaskKind.DECIDE_GATE
        else task
        for task in found_work.tasks
    )
    # A live contract's variations to approve, its expiry decision and termination notice.
    ending = contract_end_work.tasks_for(session, me=me, settings=settings, limit=limit)
    owed, more_owed = notice_work.tasks_for(session, me=me, settings=settings, limit=limit)
    order = list(TaskKind)
    merged = sorted(
        (*tasks, *ending, *owed),
        key=lambda task: (task.since, task.case_id, order.index(task.kind)),
    )
    return Worklist(
        tasks=tuple(merged[:limit]),
        more=found_work.more or more or more_owed or len(merged) > limit,
    )
