"""The daily sweep's contract checks are set-based: once each contract's reminder, flag and
training need is raised, a second run over 40 contracts asks the database the same number of
questions as one over 4 (so 20,000 live contracts cost no more round trips than 20), and still
sends nothing twice. On SQLite and PostgreSQL."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func
from sqlmodel import select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Case, Contract, Flag, Mail, TrainingNeed, User
from lifecycle.services import monitoring, training
from lifecycle.settings import Settings

TODAY = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """A fixed today."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def seed(engine: Engine, requester: User, manager: User, count: int, start: int) -> None:
    """`count` key contracts in monitoring with an overdue review and an untrained manager, and
    `count` cases still in signing after their start date."""
    assert requester.id is not None and manager.id is not None
    with transaction(engine) as session:
        for number in range(start, start + count):
            for stage in ("monitoring", "signing"):
                case = Case(
                    reference=f"PR-2026-{number:04d}{stage[0]}",
                    ocid=f"ocds-test-{number}{stage[0]}",
                    title="Waste collection",
                    description="Refuse vehicles and crews",
                    category="services",
                    department="Environment",
                    estimated_value_pence=80_000_00,
                    needed_by=TODAY - timedelta(days=60),
                    contract_required=True,
                    route="below_threshold",
                    contract=True,
                    key_contract=True,
                    stage=stage,
                    status="in_progress",
                    requester_id=requester.id,
                    contract_manager_id=manager.id,
                )
                session.add(case)
                session.flush()
                if stage == "monitoring":
                    assert case.id is not None
                    session.add(
                        Contract(
                            case_id=case.id,
                            start_date=TODAY - timedelta(days=400),
                            end_date=TODAY + timedelta(days=400),
                            supplier_signed_on=TODAY - timedelta(days=410),
                            council_signed_on=TODAY - timedelta(days=405),
                            next_review_due=TODAY - timedelta(days=40),
                            recorded_by=requester.id,
                        )
                    )


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs."""
    statements: list[str] = []

    def _count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def contract_checks(engine: Engine, settings: Settings) -> tuple[int, int, int]:
    """One run of the sweep's contract checks: reminders sent, starts flagged, needs open."""
    with transaction(engine) as session:
        sent = monitoring.remind_due_reviews(session, settings=settings)
        flagged = monitoring.flag_unsigned_starts(session)
        needs = training.sweep(session, settings=settings)
    return sent, flagged, needs


def test_a_second_run_costs_the_same_queries_for_4_or_40_contracts(
    engine: Engine, settings: Settings, make_user: Callable[..., tuple[User, str]]
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager", name="Sam Manager")
    make_user("procurement")
    queries = []
    for count, start in ((4, 1), (36, 100)):
        seed(engine, requester, manager, count, start)
        # both cases of each pair are managed: each has a need
        needs = 2 * (4 if start == 1 else 40)
        assert contract_checks(engine, settings) == (count, count, needs)
        with counting(engine) as statements:
            assert contract_checks(engine, settings) == (0, 0, needs)
        queries.append(len(statements))
    assert queries[0] == queries[1], queries

    with transaction(engine) as session:
        mails = session.exec(select(Mail.key)).all()
        assert len(mails) == len(set(mails))
        # per pair: review due, review overdue, the flag of the one in signing, two needs
        assert len(mails) == 5 * 40
        assert session.exec(select(func.count()).select_from(Flag)).one() == 40
        assert session.exec(select(func.count()).select_from(TrainingNeed)).one() == 80
