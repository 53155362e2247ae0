"""The daily KPI assessment reminders (s.71): each mail goes once however often the sweep runs,
the overdue escalation reaches procurement, and the check is set-based: a second run over 40
contracts asks the database as many questions as one over 4, and over 20,000 live contracts
it answers from the due-date index in well under the sweep's 2 s. On SQLite and PostgreSQL."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text
from sqlmodel import col, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Case, Contract, Mail, User, utcnow
from lifecycle.services.assessment_reminders import due_by, remind_due_assessments
from lifecycle.settings import Settings

TODAY = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """A fixed today."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


def seed(engine: Engine, requester: User, manager: User, dues: list[date], start: int) -> None:
    """Live contracts in monitoring, one per due date, managed by `manager` (bulk inserts)."""
    assert requester.id is not None and manager.id is not None
    cases = [
        {
            "reference": f"PR-2026-{start + n:06d}",
            "ocid": f"ocds-test-{start + n}",
            "title": "Waste collection",
            "description": "Refuse vehicles and crews",
            "category": "services",
            "department": "Environment",
            "estimated_value_pence": 6_000_000_00,
            "needed_by": TODAY - timedelta(days=400),
            "contract_required": True,
            "route": "above_threshold",
            "contract": True,
            "stage": "monitoring",
            "status": "in_progress",
            "requester_id": requester.id,
            "contract_manager_id": manager.id,
            "key_contract": False,
            "light_touch": False,
            "irrecoverable_vat_pence": 0,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        for n in range(len(dues))
    ]
    with transaction(engine) as session:
        session.execute(insert(Case), cases)
        references = [case["reference"] for case in cases]
        ids = session.exec(
            select(col(Case.id), col(Case.reference)).where(col(Case.reference).in_(references))
        ).all()
        by_reference = {reference: case_id for case_id, reference in ids}
        session.execute(
            insert(Contract),
            [
                {
                    "case_id": by_reference[case["reference"]],
                    "start_date": TODAY - timedelta(days=400),
                    "end_date": TODAY + timedelta(days=400),
                    "supplier_signed_on": TODAY - timedelta(days=410),
                    "council_signed_on": TODAY - timedelta(days=405),
                    "next_assessment_due": due,
                    "recorded_by": requester.id,
                    "recorded_at": utcnow(),
                }
                for case, due in zip(cases, dues, strict=True)
            ],
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


def sweep(engine: Engine, settings: Settings) -> int:
    """One run of the assessment reminders."""
    with transaction(engine) as session:
        return remind_due_assessments(session, settings=settings)


def test_each_reminder_goes_once_and_the_escalation_reaches_procurement(
    engine: Engine, settings: Settings, make_user: Callable[..., tuple[User, str]]
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager", name="Sam Manager")
    procurement, _ = make_user("procurement")
    dues = [
        TODAY + timedelta(days=3),  # due within the lead time: reminded
        TODAY - timedelta(days=20),  # long overdue: reminded and escalated
        TODAY + timedelta(days=30),  # not yet
    ]
    seed(engine, requester, manager, dues, 1)
    assert sweep(engine, settings) == 3
    assert sweep(engine, settings) == 0
    with transaction(engine) as session:
        mails = session.exec(select(Mail).order_by(col(Mail.id))).all()
        assert [mail.key for mail in mails] == [
            f"PR-2026-000001:assessment-due:{dues[0]}",
            f"PR-2026-000002:assessment-due:{dues[1]}",
            f"PR-2026-000002:assessment-overdue:{dues[1]}",
        ]
        assert mails[0].recipients == [manager.email]
        assert sorted(mails[2].recipients) == sorted([manager.email, procurement.email])
        assert "overdue by 20 days" in mails[2].subject
    with transaction(engine) as session:
        contract = session.exec(
            select(Contract).where(Contract.next_assessment_due == dues[1])
        ).one()
        contract.next_assessment_due = TODAY + timedelta(days=365)  # assessed since
        session.add(contract)
    assert sweep(engine, settings) == 0


def test_a_second_run_costs_the_same_queries_for_4_or_40_contracts(
    engine: Engine, settings: Settings, make_user: Callable[..., tuple[User, str]]
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager")
    make_user("procurement")
    queries = []
    for count, start in ((4, 1), (36, 100)):
        seed(engine, requester, manager, [TODAY - timedelta(days=30)] * count, start)
        assert sweep(engine, settings) == 2 * count
        with counting(engine) as statements:
            assert sweep(engine, settings) == 0
        queries.append(len(statements))
    assert queries[0] == queries[1], queries


def test_the_check_over_20000_live_contracts_is_quick_and_uses_the_index(
    engine: Engine, settings: Settings, make_user: Callable[..., tuple[User, str]]
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager")
    make_user("procurement")
    dues = [TODAY + timedelta(days=40 + n % 300) for n in range(20_000)]
    dues[::1000] = [TODAY - timedelta(days=20)] * 20  # 20 long overdue
    seed(engine, requester, manager, dues, 1)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE contract"))
            connection.execute(text('ANALYZE "case"'))
            query = due_by(TODAY + timedelta(days=7)).compile(
                engine, compile_kwargs={"literal_binds": True}
            )
            plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {query}")))
        print(plan)
        assert "ix_contract_next_assessment_due" in plan
    started = time.perf_counter()
    assert sweep(engine, settings) == 40
    first = time.perf_counter() - started
    started = time.perf_counter()
    assert sweep(engine, settings) == 0
    again = time.perf_counter() - started
    print(f"{engine.dialect.name}: first run {first:.3f} s, second run {again:.3f} s")
    assert again < 2.0
