"""Seeds a benchmark database fast: rows built in Python and written with bulk inserts (one
executemany per table and chunk), ids given up front so nothing waits on a round trip.

Cases are spread over every stage as a council's would be: gates (decided before the current
stage, pending at it), bids, contracts, register entries, reviews, lessons and audit events.
With `every_published` each case also has a published register entry (the export test)."""

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlmodel import SQLModel

from lifecycle.models import (
    AuditEvent,
    Bid,
    Case,
    Contract,
    Gate,
    Lesson,
    RegisterEntry,
    Review,
    User,
    utcnow,
)
from lifecycle.rules import GATE_ROLE, GateKind, Stage, Status
from lifecycle.services.users import hash_token

TOKEN = "bench-token-procurement-and-audit-0123456789"
DEPARTMENTS = ["Adults", "Children", "Environment", "Highways", "Housing", "IT", "Finance"]
GATE_OF_STAGE = {
    Stage.LEGAL_CONSULTATION: GateKind.LEGAL_CONSULTATION,
    Stage.PROCUREMENT: GateKind.AWARD_APPROVAL,
    Stage.SIGNING: GateKind.SIGNING_CONFIRMATION,
    Stage.REGISTER_ENTRY: GateKind.REGISTER_VERIFICATION,
    Stage.EXIT: GateKind.CLOSURE,
}
STAGES = list(Stage)
CHUNK = 5_000
TABLES: list[type[SQLModel]] = [
    Case,
    AuditEvent,
    Gate,
    Bid,
    Contract,
    RegisterEntry,
    Review,
    Lesson,
]


def _template(model: type[SQLModel], **required: Any) -> dict[str, Any]:
    """A row with every default the model gives (so new columns need no change here)."""
    return model(**required).model_dump()


def _at_or_after(stage: Stage, other: Stage) -> bool:
    """Whether `stage` comes at or after `other` in the lifecycle."""
    return STAGES.index(stage) >= STAGES.index(other)


class Rows:
    """The rows of every table, with their templates and next ids."""

    def __init__(self, first_id: int) -> None:
        """Empty tables whose ids start at `first_id`."""
        self.rows: dict[type[SQLModel], list[dict[str, Any]]] = {model: [] for model in TABLES}
        self.next_id = {model: first_id for model in TABLES}
        self.templates = {model: _template(model, case_id=1) for model in TABLES}

    def add(self, model: type[SQLModel], **values: Any) -> int:
        """Queue one row; returns its id."""
        row = dict(self.templates[model])
        row.update(values)
        row["id"] = self.next_id[model]
        self.next_id[model] += 1
        self.rows[model].append(row)
        return int(row["id"])


def _users(engine: Engine) -> int:
    """One person holding procurement and audit roles (reads every case and the report)."""
    user = _template(User, name="Bench Reader", email="reader@bench.example", token_hash="")
    user.update(id=1, roles="procurement,auditor,contract_manager", token_hash=hash_token(TOKEN))
    with engine.begin() as connection:
        connection.execute(insert(User.__table__), [user])  # type: ignore[attr-defined]
    return 1


def _case(rows: Rows, rng: random.Random, number: int, user: int, published: bool) -> None:
    """One case, its history and its records, by where it has reached."""
    stage = STAGES[number % len(STAGES)]
    today, now = date.today(), utcnow()
    value = rng.choice([3_000_00, 12_000_00, 80_000_00, 450_000_00, 6_000_000_00])
    reference = f"PR-2026-{number:06d}"
    case_id = rows.add(
        Case,
        reference=reference,
        ocid=f"ocds-bench-{reference}",
        title=f"Contract {number} for {rng.choice(DEPARTMENTS).lower()} services",
        description="Seeded for the read benchmark.",
        category="services",
        department=rng.choice(DEPARTMENTS),
        estimated_value_pence=value,
        needed_by=today + timedelta(days=90),
        contract_required=True,
        route="above_threshold" if value >= 207_720_00 else "below_threshold",
        contract=True,
        key_contract=number % 11 == 0,
        stage=stage.value,
        status=Status.AWAITING_DECISION.value
        if stage in GATE_OF_STAGE
        else Status.IN_PROGRESS.value,
        requester_id=user,
        contract_manager_id=user if _at_or_after(stage, Stage.REGISTER_ENTRY) else None,
    )
    reached = STAGES[: STAGES.index(stage) + 1]
    for step, entered in enumerate(reached):
        rows.add(
            AuditEvent,
            case_id=case_id,
            actor_id=user,
            at=now - timedelta(days=len(reached) - step),
            action="stage_entered" if step else "case_created",
            to_stage=entered.value,
            to_status=Status.IN_PROGRESS.value,
            detail={"step": step},
        )
    for passed, kind in GATE_OF_STAGE.items():
        if _at_or_after(passed, stage) and passed is not stage:
            continue
        decided = passed is not stage
        rows.add(
            Gate,
            case_id=case_id,
            kind=kind.value,
            role=GATE_ROLE[kind].value,
            due_on=today + timedelta(days=rng.randint(-10, 10)),
            status="decided" if decided else "pending",
            decision="approve" if decided else None,
            decided_by=user if decided else None,
            decided_at=now - timedelta(days=len(reached) + 1) if decided else None,
        )
    if _at_or_after(stage, Stage.PROCUREMENT):
        for bid in range(3):
            rows.add(
                Bid,
                case_id=case_id,
                supplier_name=f"Supplier {rng.randint(1, 400)} Ltd",
                registration_number=f"{rng.randint(10**7, 10**8 - 1)}",
                price_pence=value - bid * 100,
                created_by=user,
            )
    contracted = _at_or_after(stage, Stage.REGISTER_ENTRY) or published
    start = today - timedelta(days=rng.randint(0, 700))
    if contracted:
        rows.add(
            Contract,
            case_id=case_id,
            start_date=start,
            end_date=start + timedelta(days=365 * 3),
            supplier_signed_on=start - timedelta(days=10),
            council_signed_on=start - timedelta(days=9),
            next_review_due=today + timedelta(days=rng.randint(-30, 90)),
            recorded_by=user,
        )
        public = published or _at_or_after(stage, Stage.MONITORING)
        rows.add(
            RegisterEntry,
            case_id=case_id,
            status="published" if public else "draft",
            reference=reference,
            ocid=f"ocds-bench-{reference}",
            title=f"Contract {number}",
            department=rng.choice(DEPARTMENTS),
            description="Seeded for the read benchmark.",
            supplier_name=f"Supplier {rng.randint(1, 400)} Ltd",
            supplier_registration_number="01234567",
            start_date=start,
            end_date=start + timedelta(days=365 * 3),
            review_date=start + timedelta(days=180),
            value_pence=value,
            procurement_process="Published tender",
            contract_manager_name="Bench Reader",
            published_at=now if public else None,
        )
    if stage in (Stage.MONITORING, Stage.EXIT):
        rows.add(
            Review,
            case_id=case_id,
            period_start=today - timedelta(days=90),
            period_end=today,
            rag="green",
            submitted_by=user,
        )
    if stage is Stage.EXIT:
        rows.add(Lesson, case_id=case_id, author_id=user, text="Plan early.")


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Rows `CHUNK` at a time."""
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def seed(engine: Engine, count: int, *, every_published: bool = False) -> list[int]:
    """`count` cases (ids 1..count) and everything they hold; returns the case ids."""
    rng = random.Random(7)
    user = _users(engine)
    rows = Rows(first_id=1)
    for number in range(1, count + 1):
        _case(rows, rng, number, user, every_published)
    with engine.begin() as connection:
        for model in TABLES:
            for chunk in _chunks(rows.rows[model]):
                connection.execute(insert(model.__table__), chunk)  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            # Ids were given, so each sequence is moved past them for any later insert.
            for model in [User, *TABLES]:
                table = model.__tablename__
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
                    )
                )
    if engine.dialect.name == "postgresql":
        # The planner sees the tables as they now are, as it would in use once autovacuum had
        # analysed them (it may not have, or may be off, straight after a bulk load).
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return list(range(1, count + 1))
