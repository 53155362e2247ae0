"""The assurance report's loading and its monthly snapshots, on SQLite and PostgreSQL: facts are
read set by set (the latest round of legal consultation, timestamps compared in the database),
a snapshot is one row per month and measure however often it is recorded, and only those
who check the process may read the report."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.errors import Forbidden
from lifecycle.models import AssuranceSnapshot, AuditEvent, Case, Gate, User
from lifecycle.services import assurance
from lifecycle.settings import Settings

DAY = datetime(2026, 3, 2, 10, tzinfo=UTC)


def add_case(engine: Engine, requester: User, number: int) -> int:
    """A case that needed a contract, in procurement."""
    assert requester.id is not None
    with transaction(engine) as session:
        case = Case(
            reference=f"PR-2026-{number:04d}",
            ocid=f"ocds-test-{number}",
            title="Purchase",
            description="A purchase",
            category="services",
            department="IT",
            estimated_value_pence=50_000_00,
            needed_by=date(2026, 12, 1),
            contract_required=True,
            route="quotes",
            contract=True,
            stage="procurement",
            status="in_progress",
            requester_id=requester.id,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        return case.id


def legal(engine: Engine, case_id: int, round_: int, decision: str, at: datetime) -> None:
    """A decided round of legal consultation."""
    with transaction(engine) as session:
        session.add(
            Gate(
                case_id=case_id,
                kind="legal_consultation",
                round=round_,
                role="legal",
                status="decided",
                due_on=at.date(),
                decision=decision,
                decided_at=at,
            )
        )


def entered_procurement(engine: Engine, case_id: int, at: datetime) -> None:
    """The case entered procurement at `at`."""
    with transaction(engine) as session:
        session.add(
            AuditEvent(case_id=case_id, at=at, action="stage_entered", to_stage="procurement")
        )


def legal_measure(engine: Engine, settings: Settings, by: User) -> tuple[int, int, list[str]]:
    """The legal-first measure: met, of, shortfalls."""
    with Session(engine) as session:
        measure = assurance.report(session, by=by, settings=settings)[0]
    assert measure.key == "legal_first"
    return measure.met, measure.of, measure.shortfalls


def test_legal_first_reads_the_latest_round_and_compares_moments_not_clock_faces(
    engine: Engine, make_user: Any, settings: Settings
) -> None:
    requester, _ = make_user("requester")
    auditor, _ = make_user("auditor")
    # Changes asked for, then approved before procurement: met.
    resubmitted = add_case(engine, requester, 1)
    legal(engine, resubmitted, 1, "request_changes", DAY - timedelta(days=3))
    legal(engine, resubmitted, 2, "approve", DAY - timedelta(days=1))
    entered_procurement(engine, resubmitted, DAY)
    # Approved in round 1, but a later round was never approved: short.
    reopened = add_case(engine, requester, 2)
    legal(engine, reopened, 1, "approve", DAY - timedelta(days=3))
    legal(engine, reopened, 2, "request_changes", DAY - timedelta(days=1))
    entered_procurement(engine, reopened, DAY)
    # 00:30 in London summer time is 23:30 UTC the day before: approved 15 minutes before
    # procurement began, although its London clock face reads later. Met.
    summer = timezone(timedelta(hours=1))
    early = add_case(engine, requester, 3)
    legal(engine, early, 1, "approve", datetime(2026, 6, 2, 0, 30, tzinfo=summer))
    entered_procurement(engine, early, datetime(2026, 6, 1, 23, 45, tzinfo=UTC))
    # The same the other way round: procurement began first. Short.
    late = add_case(engine, requester, 4)
    legal(engine, late, 1, "approve", datetime(2026, 6, 1, 23, 50, tzinfo=UTC))
    entered_procurement(engine, late, datetime(2026, 6, 2, 0, 40, tzinfo=summer))
    # Never reached procurement: not counted.
    add_case(engine, requester, 5)

    assert legal_measure(engine, settings, auditor) == (2, 4, ["PR-2026-0002", "PR-2026-0004"])


def test_the_report_is_for_those_who_check_the_process(
    engine: Engine, make_user: Any, settings: Settings
) -> None:
    requester, _ = make_user("requester")
    with Session(engine) as session, pytest.raises(Forbidden, match="auditor"):
        assurance.report(session, by=requester, settings=settings)
    with Session(engine) as session, pytest.raises(Forbidden):
        assurance.overview(session, by=requester, settings=settings)


def rows(engine: Engine) -> list[tuple[str, str, int, int]]:
    """Every snapshot row: month, measure, met, of."""
    with Session(engine) as session:
        return [
            (row.month, row.measure, row.met, row.of)
            for row in session.exec(
                select(AssuranceSnapshot).order_by(
                    col(AssuranceSnapshot.month), col(AssuranceSnapshot.measure)
                )
            )
        ]


def test_a_snapshot_is_one_row_per_measure_a_month_holding_the_last_value(
    engine: Engine, make_user: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    requester, _ = make_user("requester")
    auditor, _ = make_user("auditor")
    monkeypatch.setattr(clock, "today", lambda: date(2026, 3, 5))
    first = add_case(engine, requester, 1)
    entered_procurement(engine, first, DAY)
    with transaction(engine) as session:
        assert assurance.record_snapshot(session, settings=settings) == 10
    with transaction(engine) as session:
        assert assurance.record_snapshot(session, settings=settings) == 10
    march = rows(engine)
    assert len(march) == 10 and {month for month, *_ in march} == {"2026-03"}
    assert ("2026-03", "legal_first", 0, 1) in march

    # Later in the month the case is put right: the month's row now holds that.
    monkeypatch.setattr(clock, "today", lambda: date(2026, 3, 31))
    legal(engine, first, 1, "approve", DAY - timedelta(days=1))
    with transaction(engine) as session:
        assurance.record_snapshot(session, settings=settings)
    assert ("2026-03", "legal_first", 1, 1) in rows(engine) and len(rows(engine)) == 10

    # A new month gets rows of its own; March keeps its month-end state.
    monkeypatch.setattr(clock, "today", lambda: date(2026, 4, 1))
    second = add_case(engine, requester, 2)
    entered_procurement(engine, second, DAY)
    with transaction(engine) as session:
        assurance.record_snapshot(session, settings=settings)
    recorded = rows(engine)
    assert len(recorded) == 20
    assert ("2026-03", "legal_first", 1, 1) in recorded
    assert ("2026-04", "legal_first", 1, 2) in recorded

    # The page's trend: March as recorded, then April measured now (live).
    monkeypatch.setattr(clock, "today", lambda: date(2026, 4, 20))
    with Session(engine) as session:
        found = assurance.overview(session, by=auditor, settings=settings)
    points = found.trends["legal_first"]
    assert [(p.month, p.met, p.of, p.live) for p in points] == [
        ("2026-03", 1, 1, False),
        ("2026-04", 1, 2, True),
    ]
