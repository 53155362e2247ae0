"""The assurance report counted in the database gives, measure by measure, what reading every
contract case by case and applying the rules to each gives: on cases whose facts are drawn at
random (entering procurement and monitoring, legal rounds before and after, signatures missing
or late, register fields blank, documents, lessons, closures, awards, trained and untrained
managers), on SQLite and PostgreSQL."""

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from lifecycle import clock
from lifecycle.assurance import assess
from lifecycle.db import transaction
from lifecycle.models import (
    AuditEvent,
    Bid,
    Case,
    Contract,
    Document,
    Gate,
    Lesson,
    RegisterEntry,
    TrainingRecord,
    User,
)
from lifecycle.services import assurance, assurance_facts, training
from lifecycle.settings import Settings

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


T = TypeVar("T")


def maybe(rng: random.Random, value: T, blank: T | None = None) -> T | None:
    """`value` most of the time, `blank` otherwise."""
    return value if rng.random() < 0.8 else blank


def add_case(session: Session, rng: random.Random, number: int, people: list[int]) -> None:
    """One contract case with facts drawn at random."""
    value = rng.choice([1_000_00, 4_999_99, 5_000_00, 80_000_00, 600_000_00])
    case = Case(
        reference=f"PR-2026-{number:04d}",
        ocid=f"ocds-test-{number}",
        title="Purchase",
        description="A purchase",
        category="services",
        department="IT",
        estimated_value_pence=value,
        needed_by=date(2026, 12, 1),
        contract_required=True,
        route="quotes",
        contract=rng.random() < 0.9,
        key_contract=rng.random() < 0.3,
        stage=rng.choice(["procurement", "signing", "monitoring", "exit", "closed"]),
        status=rng.choice(["in_progress", "closed"]),
        outcome=rng.choice([None, "completed", "rejected"]),
        requester_id=people[0],
        contract_manager_id=rng.choice([None, *people]),
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    entered = START + timedelta(days=rng.randint(0, 20))
    for stage in rng.sample(["procurement", "monitoring", "signing"], rng.randint(0, 3)):
        session.add(
            AuditEvent(
                case_id=case.id,
                at=entered + timedelta(hours=rng.randint(-2, 2)),
                action=rng.choice(["stage_entered", "stage_entered", "note"]),
                to_stage=stage,
            )
        )
    for round_ in range(1, rng.randint(1, 3)):
        session.add(
            Gate(
                case_id=case.id,
                kind="legal_consultation",
                round=round_,
                role="legal",
                status="decided",
                due_on=entered.date(),
                decision=rng.choice(["approve", "request_changes"]),
                decided_at=entered + timedelta(hours=rng.randint(-30, 30)),
            )
        )
    if rng.random() < 0.6:
        starts = date(2026, 2, 1)
        session.add(
            Contract(
                case_id=case.id,
                start_date=starts,
                end_date=starts + timedelta(days=365),
                supplier_signed_on=maybe(rng, starts - timedelta(days=rng.randint(-2, 5))),
                council_signed_on=maybe(rng, starts - timedelta(days=rng.randint(-2, 5))),
                next_review_due=maybe(rng, date(2026, 3, 1) + timedelta(days=rng.randint(-5, 5))),
                recorded_by=people[0],
            )
        )
    if rng.random() < 0.6:
        sme = rng.random() < 0.3
        session.add(
            RegisterEntry(
                case_id=case.id,
                status=rng.choice(["draft", "published", "ended"]),
                reference=case.reference,
                ocid=case.ocid,
                title=rng.choice(["A contract", "A contract", ""]),
                department="IT",
                description=rng.choice(["What it buys", "What it buys", ""]),
                supplier_name=maybe(rng, "Acme Ltd", ""),
                supplier_registration_number=maybe(rng, "01234567", rng.choice([None, ""])),
                sme=sme,
                vcse=not sme and rng.random() < 0.2,
                start_date=maybe(rng, date(2026, 2, 1)),
                end_date=date(2027, 2, 1),
                review_date=date(2026, 8, 1),
                value_pence=rng.choice([0, value]),
                procurement_process=maybe(rng, "Quotes", ""),
                contract_manager_name="A Manager",
            )
        )
    for kind in ("contractArrangements", "contractSummary"):
        if rng.random() < 0.5:
            session.add(
                Document(
                    case_id=case.id,
                    document_type=kind,
                    title=kind,
                    filename=f"{kind}.pdf",
                    content_type="application/pdf",
                    size_bytes=10,
                    sha256=f"{number:060d}{len(kind):04d}",
                    uploaded_by=people[0],
                )
            )
    if rng.random() < 0.4:
        session.add(Lesson(case_id=case.id, author_id=people[0], text="Plan early."))
    if rng.random() < 0.5:
        bid = Bid(
            case_id=case.id,
            supplier_name="Acme Ltd",
            price_pence=rng.choice([1_000_00, 500_000_00]),
            created_by=people[0],
        )
        session.add(bid)
        session.flush()
        case.awarded_bid_id = bid.id
        session.add(case)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counted_in_the_database_as_read_case_by_case(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    seed: int,
) -> None:
    rng = random.Random(seed)
    people = [make_user("contract_manager")[0].id for _ in range(3)]
    assert all(isinstance(person, int) for person in people)
    ids = [person for person in people if person is not None]
    with transaction(engine) as session:
        for who, until in zip(ids[1:], [None, date(2025, 1, 1)], strict=True):
            session.add(
                TrainingRecord(
                    user_id=who,
                    course="Contract management",
                    provider="Cabinet Office",
                    completed_on=date(2024, 1, 1),
                    valid_until=until,
                    recorded_by=who,
                )
            )
        for number in range(1, 61):
            add_case(session, rng, number, ids)
    with Session(engine) as session:
        today = clock.today()
        counted = assurance_facts.measures(
            session,
            today=today,
            register_threshold=settings.register_threshold_pence,
            training_threshold=settings.trained_manager_threshold_pence,
            trained=training.trained_managers(session, today),
        )
        expected = assess(
            assurance.records(session, settings),
            register_threshold_pence=settings.register_threshold_pence,
        )
    assert counted == expected
    assert sum(measure.of for measure in counted) > 0
    assert any(measure.short for measure in counted)
    assert any(measure.met for measure in counted)


def test_the_report_is_two_selects_however_many_cases(
    engine: Engine, settings: Settings, make_user: Callable[..., tuple[User, str]]
) -> None:
    manager = make_user("contract_manager")[0].id
    assert manager is not None
    counts = []
    for batch in (5, 50):
        with transaction(engine) as session:
            rng = random.Random(batch)
            for number in range(batch * 10, batch * 10 + batch):
                add_case(session, rng, number, [manager])
        statements: list[str] = []

        def count(*args: object, sent: list[str] = statements) -> None:
            sent.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            with Session(engine) as session:
                today = clock.today()
                assurance_facts.measures(
                    session,
                    today=today,
                    register_threshold=settings.register_threshold_pence,
                    training_threshold=settings.trained_manager_threshold_pence,
                    trained=set(),
                )
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(sum(statement.lstrip().startswith("SELECT") for statement in statements))
    # The cases grouped by their facts, then the references of those that fall short.
    assert counts[0] == counts[1] == 2
