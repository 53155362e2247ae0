"""Procurement Act notices not yet published are reminded and escalated like gates: procurement
is told as each one's duty arises, as its last day nears and once it has passed, the admins too
once it is long overdue; each mail once, none once the notice is recorded as published, none for
a contract imported from an old register; each notice owed waits on procurement's list of work
until it is published; and the sweep stays set-based. On SQLite and PostgreSQL."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from lifecycle import clock, worklist
from lifecycle.db import transaction
from lifecycle.errors import Conflict
from lifecycle.models import (
    Bid,
    Case,
    Contract,
    Gate,
    Mail,
    Notice,
    RegisterEntry,
    User,
    Variation,
)
from lifecycle.schemas import NoticePublishedIn
from lifecycle.services import audit, notice_reminders, termination
from lifecycle.services import notices as notices_service
from lifecycle.services import worklist as worklist_service
from lifecycle.settings import Settings
from tests.services.test_sweep_queries import counting

# Both signatures in: the contract details notice is due within the 30 days beginning that day,
# by 1 December.
ENTERED = date(2026, 11, 2)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Move the product's today."""

    def move(day: date) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)

    move(ENTERED)
    return move


def contract_case(
    engine: Engine, requester: User, number: int, *, route: str = "above_threshold"
) -> int:
    """A contract entered into on ENTERED, in monitoring; returns its case id."""
    assert requester.id is not None
    with transaction(engine) as session:
        case = Case(
            reference=f"PR-2026-{number:04d}",
            ocid=f"ocds-test-PR-2026-{number:04d}",
            title="Waste collection",
            description="Refuse vehicles and crews",
            category="services",
            department="Environment",
            estimated_value_pence=900_000_00,
            needed_by=ENTERED,
            contract_required=True,
            route=route,
            contract=True,
            stage="monitoring",
            status="in_progress",
            requester_id=requester.id,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(
            Contract(
                case_id=case.id,
                start_date=ENTERED,
                end_date=ENTERED + timedelta(days=700),
                supplier_signed_on=ENTERED - timedelta(days=3),
                council_signed_on=ENTERED,
                recorded_by=requester.id,
            )
        )
        return case.id


def award_approved(case_id: int, at: datetime) -> Gate:
    """The case's award approval gate, approved at `at`."""
    return Gate(
        case_id=case_id,
        kind="award_approval",
        role="procurement",
        status="decided",
        opened_at=at,
        due_on=at.date(),
        decision="approve",
        decided_at=at,
    )


def mails(engine: Engine) -> dict[str, list[str]]:
    """Every notice reminder queued, by key, with its recipients."""
    with transaction(engine) as session:
        rows = session.exec(select(Mail).where(col(Mail.notification) == "notice_due")).all()
        return {mail.key: sorted(mail.recipients) for mail in rows}


def sweep(engine: Engine, settings: Settings) -> int:
    with transaction(engine) as session:
        return notice_reminders.remind_due_notices(session, settings=settings)


def test_a_contract_details_notice_is_reminded_then_escalated_each_once(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    make_user("procurement")
    make_user("admin")
    contract_case(engine, requester, 1)
    last_day = ENTERED + timedelta(days=29)
    # the day it arises, a week before, the day before, after it, then 5 working days after
    # (1 Dec is a Tuesday: the 8th is the 5th working day after it, so the 9th escalates)
    for day, expected in (
        (ENTERED, "due"),
        (last_day - timedelta(days=7), "7d"),
        (last_day - timedelta(days=1), "1d"),
        (last_day + timedelta(days=1), "overdue"),
        (date(2026, 12, 8), None),
        (date(2026, 12, 9), "escalated"),
    ):
        today(day)
        assert sweep(engine, settings) == (expected is not None), day
        assert sweep(engine, settings) == 0, day  # each once
    found = mails(engine)
    assert set(found) == {
        f"PR-2026-0001:notice:UK7:{last_day}:{part}"
        for part in ("due", "7d", "1d", "overdue", "escalated")
    }
    assert found[f"PR-2026-0001:notice:UK7:{last_day}:due"] == ["procurement2@council.example"]
    assert found[f"PR-2026-0001:notice:UK7:{last_day}:escalated"] == [
        "admin3@council.example",
        "procurement2@council.example",
    ]
    with transaction(engine) as session:
        mail = session.exec(select(Mail).where(col(Mail.key).endswith(":escalated"))).one()
        assert "Contract details notice (UK7) overdue" in mail.text_body
        assert "escalated to the system's administrators" in mail.text_body
        assert mail.subject.startswith("PR-2026-0001: escalated: UK7 contract details notice")


def test_a_published_notice_and_an_imported_contract_are_not_reminded(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    make_user("procurement")
    published = contract_case(engine, requester, 1)
    imported = contract_case(engine, requester, 2)
    contract_case(engine, requester, 3, route="quotes")  # no notices at all
    contract_case(engine, requester, 4, route="below_threshold")
    with transaction(engine) as session:
        session.add(Notice(case_id=published, key="UK7", status="published", published_on=ENTERED))
        session.add(
            RegisterEntry(
                case_id=imported,
                reference="PR-2026-0002",
                ocid="ocds-test-PR-2026-0002",
                title="Waste collection",
                department="Environment",
                description="Refuse vehicles and crews",
                value_pence=900_000_00,
                source_reference="CF-123",
            )
        )
    assert sweep(engine, settings) == 1
    # the below-threshold contract's details notice (s.87) is due within 30 days too
    assert list(mails(engine)) == [f"PR-2026-0004:notice:UK7:{ENTERED + timedelta(days=29)}:due"]


def test_a_contract_change_notice_is_due_the_day_the_change_is_approved(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    make_user("procurement")
    case_id = contract_case(engine, requester, 1)
    with transaction(engine) as session:
        session.add(Notice(case_id=case_id, key="UK7", status="published", published_on=ENTERED))
        session.add(
            Variation(
                case_id=case_id,
                number=1,
                what="Extra rounds",
                why="New estate",
                value_change_pence=10_000_00,
                status="approved",
                proposed_by=requester.id or 0,
                settled_at=datetime(2026, 11, 20, 10, 0, tzinfo=clock.LONDON),
            )
        )
    today(date(2026, 11, 20))
    assert sweep(engine, settings) == 1
    today(date(2026, 11, 21))
    assert sweep(engine, settings) == 1
    assert sorted(mails(engine)) == [
        "PR-2026-0001:notice:UK10-1:2026-11-20:due",
        "PR-2026-0001:notice:UK10-1:2026-11-20:overdue",
    ]


def test_a_second_sweep_costs_the_same_reads_for_4_or_40_contracts(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    make_user("procurement")
    queries = []
    for first, count in ((1, 4), (100, 36)):
        for number in range(first, first + count):
            contract_case(engine, requester, number)
        assert sweep(engine, settings) == count
        with counting(engine) as statements:
            assert sweep(engine, settings) == 0
        queries.append(len(statements))
    assert queries[0] == queries[1], queries


def test_a_long_overdue_termination_notice_is_escalated_to_the_admins(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    make_user("procurement")
    make_user("admin")
    case_id = contract_case(engine, requester, 1)
    with transaction(engine) as session:
        contract = session.exec(select(Contract).where(Contract.case_id == case_id)).one()
        contract.ended_on = date(2026, 11, 3)  # the notice's last day: 2 December
        session.add(contract)
    today(date(2026, 12, 9))
    with transaction(engine) as session:
        termination.remind_notices(session, settings=settings)
    today(date(2026, 12, 10))
    with transaction(engine) as session:
        assert termination.remind_notices(session, settings=settings) == 1
        mail = session.exec(
            select(Mail).where(Mail.key == "PR-2026-0001:termination-notice:2026-11-03:escalated")
        ).one()
    assert mail.recipients == ["admin3@council.example", "procurement2@council.example"]
    assert mail.subject.startswith("PR-2026-0001: escalated: termination notice overdue")


def test_a_notice_owed_waits_on_procurement_until_it_is_published(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    buyer, _ = make_user("procurement")
    manager, _ = make_user("contract_manager")
    case_id = contract_case(engine, requester, 1)
    today(ENTERED + timedelta(days=31))

    def work(person: User) -> list[worklist.Task]:
        with transaction(engine) as session:
            found = worklist_service.for_person(session, me=person, settings=settings).tasks
            return [task for task in found if task.kind is worklist.TaskKind.PUBLISH_NOTICE]

    assert work(buyer) == []  # nothing is known owed before the sweep
    sweep(engine, settings)
    [task] = work(buyer)
    assert task.action == "Publish the contract details notice (UK7) on Find a Tender"
    assert (task.case_id, task.due_on, task.overdue) == (case_id, ENTERED + timedelta(29), True)
    assert task.since_on == ENTERED and task.place == "/notices#notice-UK7"
    assert work(manager) == []
    with transaction(engine) as session:
        row = session.exec(select(Notice).where(Notice.case_id == case_id)).one()
        row.status = "ready"
        session.add(row)
    assert work(buyer)[0].action == "Record the contract details notice (UK7) as published"
    with transaction(engine) as session:
        row = session.exec(select(Notice).where(Notice.case_id == case_id)).one()
        row.status, row.published_on, row.identifier = "published", ENTERED, "041267-2026"
        session.add(row)
    assert work(buyer) == []


def test_the_tender_notice_is_reminded_once_and_the_award_notice_is_left_to_its_own_task(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    make_user("procurement")
    make_user("admin")
    opened = datetime(2026, 11, 2, 9, 0, tzinfo=clock.LONDON)
    ids = {}
    for number, status in ((1, "in_progress"), (2, "closed")):
        ids[number] = contract_case(engine, requester, number)
        with transaction(engine) as session:
            case = session.get(Case, ids[number])
            assert case is not None
            case.stage, case.status = "procurement", status
            case.outcome = "rejected" if status == "closed" else None
            session.add(case)
            # not yet signed: procurement is still running
            contract = session.exec(select(Contract).where(Contract.case_id == case.id)).one()
            contract.council_signed_on = None
            session.add(contract)
            event = audit.record(
                session, case=case, actor_id=None, action="stage_entered", to_stage="procurement"
            )
            event.at = opened
            session.add(award_approved(ids[number], opened + timedelta(days=8)))
    for day in (date(2026, 11, 20), date(2026, 12, 30)):
        today(day)
        sweep(engine, settings)
    # the open case: its tender notice, once (no last day in the Act, so never overdue); its
    # award notice is procurement's "record the award notice" task; the rejected case: nothing
    assert list(mails(engine)) == ["PR-2026-0001:notice:UK4:2026-11-02:due"]
    with transaction(engine) as session:
        mail = session.exec(select(Mail).where(col(Mail.notification) == "notice_due")).one()
        assert "The last day" not in mail.text_body and "overdue" not in mail.subject


def test_a_notice_owed_longer_than_the_window_is_not_reminded(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    make_user("procurement")
    contract_case(engine, requester, 1)
    today(ENTERED + timedelta(days=settings.notice_reminder_window_days + 1))
    assert sweep(engine, settings) == 0
    today(ENTERED + timedelta(days=settings.notice_reminder_window_days))
    assert sweep(engine, settings) == 1  # escalated, the last of its reminders


def test_marking_ready_a_notice_the_sweep_found_owed_keeps_one_row(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, _ = make_user("requester")
    buyer, _ = make_user("procurement")
    case_id = contract_case(engine, requester, 1, route="below_threshold")
    monkeypatch.setattr(settings, "buyer_identifier", "EXB")
    sweep(engine, settings)
    with transaction(engine) as session:  # the award and the register entry, complete
        bid = Bid(
            case_id=case_id,
            supplier_name="Acme Waste Ltd",
            registration_number="01234567",
            price_pence=800_000_00,
            created_by=requester.id or 0,
        )
        session.add(bid)
        session.flush()
        case = session.get(Case, case_id)
        assert case is not None
        case.awarded_bid_id = bid.id
        session.add(
            RegisterEntry(
                case_id=case_id,
                reference=case.reference,
                ocid=case.ocid,
                title=case.title,
                department=case.department,
                description=case.description,
                supplier_name="Acme Waste Ltd",
                supplier_registration_number="01234567",
                value_pence=800_000_00,
                status="published",
            )
        )
    with transaction(engine) as session:
        notices_service.ensure_row(session, case_id=case_id, key="UK7")  # a second time: no-op
        case = session.get(Case, case_id)
        assert case is not None
        state = notices_service.mark_ready(
            session, case=case, user=buyer, key="UK7", settings=settings
        )
        assert state.status.value == "ready"
    with transaction(engine) as session:
        rows = session.exec(select(Notice).where(Notice.case_id == case_id)).all()
        assert [(row.key, row.status) for row in rows] == [("UK7", "ready")]


def test_an_award_notice_out_at_the_standstill_needs_only_its_identifier_recorded(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    today: Callable[[date], None],
) -> None:
    requester, _ = make_user("requester")
    buyer, _ = make_user("procurement")
    case_id = contract_case(engine, requester, 1)
    decided = datetime(2026, 10, 20, 9, 0, tzinfo=clock.LONDON)
    with transaction(engine) as session:
        session.add(award_approved(case_id, decided))
        case = session.get(Case, case_id)
        assert case is not None
        case.award_notice_published_on = date(2026, 10, 21)
        session.add(case)
    published = NoticePublishedIn(published_on=date(2026, 10, 21), identifier="033333-2026")
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        state = notices_service.record_published(
            session, case=case, user=buyer, key="UK6", published=published, settings=settings
        )
    assert (state.status.value, state.identifier) == ("published", "033333-2026")
    # a notice not known to be out still has to be marked ready first
    with transaction(engine) as session, pytest.raises(Conflict, match="mark the notice ready"):
        case = session.get(Case, case_id)
        assert case is not None
        notices_service.record_published(
            session, case=case, user=buyer, key="UK7", published=published, settings=settings
        )
