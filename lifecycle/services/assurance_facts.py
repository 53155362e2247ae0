"""The assurance report's facts, worked out in the database: each contract case's facts are
columns of one query, and the report reads them grouped (how many cases share each set of
facts) plus the rows of the cases that fall short, so Python handles a few dozen groups and
the shortfalls rather than one record per case. What each measure means stays in
lifecycle/assurance.py's rules, applied to the groups."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Subquery, and_, case, func, literal, or_
from sqlmodel import Session, col

from lifecycle.assurance import ContractRecord, Measure, assess_groups, falls_short
from lifecycle.db import among
from lifecycle.models import AuditEvent, Bid, Case, Contract, Document, Gate, Lesson, RegisterEntry
from lifecycle.models import User as Person
from lifecycle.rules import (
    REGISTER_REQUIRED_FIELDS,
    Decision,
    GateKind,
    Outcome,
    Stage,
    Status,
)
from lifecycle.services import register

# The facts, each one bit of a case's signature: cases that share a signature are alike as far
# as every measure goes. Most are ContractRecord's own; value_pence and manager_name are only
# ever compared (with the register threshold, and with ""), so a bit says which side they fall
# on; signed_before_start is None without a contract, hence contract_recorded.
FACTS = (
    "over_register_threshold",
    "key_contract",
    "reached_procurement",
    "legal_before_procurement",
    "in_force",
    "manager_named",
    "register_complete",
    "contract_recorded",
    "signed_before_start",
    "exit_plan",
    "contract_summary",
    "review_overdue",
    "closed_completed",
    "lessons_recorded",
    "needs_trained_manager",
    "manager_trained",
    "manager_name",
)
BIT = {name: 1 << number for number, name in enumerate(FACTS)}
_TEXT_FIELDS = {
    column.name
    for column in RegisterEntry.__table__.columns  # type: ignore[attr-defined]
    if column.name in REGISTER_REQUIRED_FIELDS
    # SQLModel's text type decorates a String: its own python_type says only 'object'.
    and isinstance(getattr(column.type, "impl", column.type), sa.String)
}


def _entered() -> Subquery:
    """Per case: when it last entered procurement, and whether it ever entered monitoring."""
    return (
        sa.select(
            col(AuditEvent.case_id).label("case_id"),
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
        .subquery("entered")
    )


def _latest_legal() -> Subquery:
    """Per case: the decision on the latest round of its legal consultation, and when it was
    made, in one pass over the gates (PostgreSQL's DISTINCT ON keeps each case's first row)."""
    return (
        sa.select(col(Gate.case_id).label("case_id"), col(Gate.decision), col(Gate.decided_at))
        .where(col(Gate.kind) == GateKind.LEGAL_CONSULTATION.value)
        .distinct(col(Gate.case_id))
        .order_by(col(Gate.case_id), col(Gate.round).desc())
        .subquery("legal")
    )


def _legal_first(entered: Subquery, latest: Subquery | None) -> ColumnElement[Any]:
    """Whether the latest round of the case's legal consultation was approved no later than it
    entered procurement (timestamps compared in the database: one format on every backend).
    Read from `latest` (_latest_legal, joined) where given: on PostgreSQL, asking case by case
    was an index lookup per contract, a fifth of the report's time at 100,000. SQLite has no
    DISTINCT ON, and answers case by case faster than it sorts every round; it is asked only
    about cases that entered procurement."""
    if latest is not None:
        return and_(
            latest.c.decision == Decision.APPROVE.value,
            latest.c.decided_at <= entered.c.procurement_at,
        )
    approved_first = (
        sa.select(
            and_(
                col(Gate.decision) == Decision.APPROVE.value,
                col(Gate.decided_at) <= entered.c.procurement_at,
            )
        )
        .where(col(Gate.case_id) == Case.id, col(Gate.kind) == GateKind.LEGAL_CONSULTATION.value)
        .order_by(col(Gate.round).desc())
        .limit(1)
        .scalar_subquery()
    )
    return case((entered.c.procurement_at.is_(None), False), else_=approved_first)


def _holds(document_type: str) -> ColumnElement[bool]:
    """The case holds a document of this type (one set of ids for every case, rather than a
    lookup per case)."""
    return col(Case.id).in_(
        sa.select(col(Document.case_id)).where(col(Document.document_type) == document_type)
    )


def _on_register() -> Subquery:
    """Per case published (or ended) on the register: whether its entry has every Transparency
    Code field (rules.register_missing: text neither NULL nor empty; an SME or VCSE gives its
    registration number). Worked out on the entries alone, so only that flag is joined."""
    filled = [
        and_(getattr(RegisterEntry, n).is_not(None), getattr(RegisterEntry, n) != "")
        if n in _TEXT_FIELDS
        else getattr(RegisterEntry, n).is_not(None)
        for n in REGISTER_REQUIRED_FIELDS
    ]
    number = col(RegisterEntry.supplier_registration_number)
    numbered = or_(
        and_(col(RegisterEntry.sme).is_not(True), col(RegisterEntry.vcse).is_not(True)),
        and_(number.is_not(None), number != ""),
    )
    return (
        sa.select(
            col(RegisterEntry.case_id).label("case_id"), and_(*filled, numbered).label("complete")
        )
        .where(col(RegisterEntry.status).in_(register.PUBLIC_STATUSES))
        .subquery("on_register")
    )


def facts(
    *,
    today: date,
    register_threshold: int,
    training_threshold: int,
    trained: set[int],
    dialect: str,
) -> sa.Select[Any]:
    """Every contract case's id and signature (its FACTS' bits), for the `dialect` it runs on.
    Every fact comes from a join or a set of ids read once, none from a query per case."""
    entered = _entered()
    legal = _latest_legal() if dialect == "postgresql" else None
    on_register = _on_register()
    signed_first = and_(
        col(Contract.supplier_signed_on) < col(Contract.start_date),
        col(Contract.council_signed_on) < col(Contract.start_date),
    )
    manager_name = func.coalesce(col(Person.name), "")
    # The value the register gives: the awarded price once there is one.
    awarded_value = func.coalesce(col(Bid.price_pence), col(Case.estimated_value_pence))
    holds: dict[str, ColumnElement[Any]] = {
        "over_register_threshold": col(Case.estimated_value_pence) >= register_threshold,
        "key_contract": col(Case.key_contract).is_(True),
        "reached_procurement": entered.c.procurement_at.is_not(None),
        "in_force": func.coalesce(entered.c.in_force, 0) == 1,
        "manager_named": col(Case.contract_manager_id).is_not(None),
        "register_complete": on_register.c.complete,
        "contract_recorded": col(Contract.id).is_not(None),
        "signed_before_start": signed_first,
        "exit_plan": _holds("contractArrangements"),
        "contract_summary": _holds("contractSummary"),
        "review_overdue": and_(
            col(Case.stage) == Stage.MONITORING.value,
            col(Contract.next_review_due).is_not(None),
            col(Contract.next_review_due) < today,
        ),
        "closed_completed": and_(
            col(Case.status) == Status.CLOSED.value,
            col(Case.outcome) == Outcome.COMPLETED.value,
        ),
        "lessons_recorded": col(Case.id).in_(sa.select(col(Lesson.case_id))),
        "needs_trained_manager": or_(
            col(Case.key_contract).is_(True), awarded_value >= training_threshold
        ),
        "manager_trained": (
            col(Case.contract_manager_id).in_(sorted(trained)) if trained else literal(False)
        ),
        "manager_name": manager_name != "",
        # NULL (not holding) for a case that never entered procurement.
        "legal_before_procurement": _legal_first(entered, legal),
    }
    # A NULL condition counts as not holding, as bool(None) does.
    bits: list[ColumnElement[Any]] = [
        case((condition, BIT[name]), else_=0) for name, condition in holds.items()
    ]
    signature = bits[0]
    for bit in bits[1:]:
        signature = signature + bit
    query = (
        sa.select(
            col(Case.id).label("case_id"),
            signature.label("signature"),
        )
        .select_from(Case)
        .outerjoin(entered, entered.c.case_id == Case.id)
        .outerjoin(Contract, col(Contract.case_id) == Case.id)
        .outerjoin(on_register, on_register.c.case_id == Case.id)
        .outerjoin(Bid, col(Bid.id) == Case.awarded_bid_id)
        .outerjoin(Person, col(Person.id) == Case.contract_manager_id)
        .where(col(Case.contract).is_(True))
    )
    if legal is not None:
        query = query.outerjoin(legal, legal.c.case_id == Case.id)
    return query


def _record(signature: int, *, threshold: int, **names: Any) -> ContractRecord:
    """A ContractRecord from a signature (a group's, or one case's with its names)."""

    def has(name: str) -> bool:
        """Whether the signature holds this fact."""
        return bool(signature & BIT[name])

    return ContractRecord(
        reference=names.get("reference", ""),
        case_id=names.get("case_id"),
        value_pence=threshold if has("over_register_threshold") else 0,
        key_contract=has("key_contract"),
        reached_procurement=has("reached_procurement"),
        legal_before_procurement=has("legal_before_procurement"),
        in_force=has("in_force"),
        manager_named=has("manager_named"),
        register_complete=has("register_complete"),
        signed_before_start=has("signed_before_start") if has("contract_recorded") else None,
        exit_plan=has("exit_plan"),
        contract_summary=has("contract_summary"),
        review_overdue=has("review_overdue"),
        closed_completed=has("closed_completed"),
        lessons_recorded=has("lessons_recorded"),
        needs_trained_manager=has("needs_trained_manager"),
        manager_trained=has("manager_trained"),
        manager_name=names.get("manager", "named" if has("manager_name") else ""),
    )


def _ids(case_id: Any, dialect: str) -> ColumnElement[str]:
    """The ids of a group's cases, comma-separated."""
    if dialect == "postgresql":
        return func.string_agg(sa.cast(case_id, sa.String), ",")
    return func.group_concat(case_id, ",")


# Cases named per query when reading the shortfalls' references on SQLite (well inside its
# limit on bound parameters); PostgreSQL takes them all as one array.
NAMES_PER_QUERY = 5_000


def _names(session: Session, ids: list[int], dialect: str) -> list[tuple[int, str, str]]:
    """Each case's id, reference and contract manager's name ("" when none)."""
    names = sa.select(
        col(Case.id), col(Case.reference), func.coalesce(col(Person.name), "")
    ).outerjoin(Person, col(Person.id) == Case.contract_manager_id)
    # PostgreSQL takes them all as one array parameter (lifecycle.db.among); SQLite in batches.
    step = len(ids) if dialect == "postgresql" else NAMES_PER_QUERY
    chunks = [
        among(session, Case.id, ids[start : start + step])
        for start in range(0, len(ids), max(step, 1))
    ]
    found: list[tuple[int, str, str]] = []
    for chunk in chunks:
        found.extend(session.connection().execute(names.where(chunk)))
    return found


def measures(
    session: Session,
    *,
    today: date,
    register_threshold: int,
    training_threshold: int,
    trained: set[int],
) -> list[Measure]:
    """The audit's fixes measured in one pass over the contract cases: how many share each
    signature, with their ids; then the references of those whose signature falls short of a
    measure."""
    dialect = session.get_bind().dialect.name
    rows = facts(
        today=today,
        register_threshold=register_threshold,
        training_threshold=training_threshold,
        trained=trained,
        dialect=dialect,
    ).subquery("facts")
    if dialect == "postgresql":
        # For this transaction only: at 100,000 cases the query's cost estimate is high enough
        # for PostgreSQL to JIT-compile it, which took longer than running it (about 1 s of 2
        # when each case's facts were subqueries); the per-case aggregate spilled to disk at
        # the default work_mem; and a parallel plan builds each joined table's hash once per
        # worker, so it split only the scan of the cases and took longer (0.9 to 1.1 s against
        # 0.75 to 0.9 s on two cores).
        session.connection().exec_driver_sql("SET LOCAL jit = off")
        session.connection().exec_driver_sql("SET LOCAL work_mem = '16MB'")
        session.connection().exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
    groups = []
    short_ids: dict[int, int] = {}
    for signature, count, ids in session.connection().execute(
        sa.select(rows.c.signature, func.count(), _ids(rows.c.case_id, dialect)).group_by(
            rows.c.signature
        )
    ):
        record = _record(signature, threshold=register_threshold)
        groups.append((record, int(count)))
        if falls_short(record, register_threshold_pence=register_threshold):
            short_ids.update((int(case_id), signature) for case_id in ids.split(","))
    short = [
        _record(
            short_ids[case_id],
            threshold=register_threshold,
            reference=reference,
            case_id=case_id,
            manager=manager,
        )
        for case_id, reference, manager in _names(session, sorted(short_ids), dialect)
    ]
    return assess_groups(groups, short, register_threshold_pence=register_threshold)
