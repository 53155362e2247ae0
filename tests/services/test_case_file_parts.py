"""A case's file read in one statement (PostgreSQL: each part a JSON array) is the file read one
statement per part, value for value and type for type: timestamps aware and in UTC, dates as
dates, money beyond 32 bits, JSON details, empty and missing values, text that needs escaping.
On SQLite both are the per-part reading."""

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Engine
from sqlmodel import Session

from lifecycle.db import transaction
from lifecycle.models import (
    AuditEvent,
    Bid,
    Case,
    Contract,
    Document,
    Flag,
    FlowRequest,
    Gate,
    RegisterEntry,
    Review,
    User,
)
from lifecycle.services import case_file

AT = datetime(2026, 3, 29, 0, 30, 15, 120000, tzinfo=UTC)  # the night the clocks go forward


def whole_case(session: Session) -> int:
    """A case with rows in every part, and a second case whose rows must not appear."""
    person = User(
        name='Ann "Q" O\u2019Neil', email="ann@council.example", roles="legal", token_hash="a"
    )
    session.add(person)
    session.flush()
    assert person.id is not None
    ids = []
    for number in (1, 2):
        case = Case(
            reference=f"PR-2026-{number:04d}",
            ocid=f"ocds-test-{number}",
            title="Purchase",
            description="Line one\nline two, with a tab\t and a backslash \\",
            category="services",
            department="IT",
            estimated_value_pence=6_000_000_00,
            needed_by=date(2026, 12, 1),
            contract_required=True,
            route="above_threshold",
            contract=True,
            stage="monitoring",
            status="in_progress",
            requester_id=person.id,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        ids.append(case.id)
        later = timezone(timedelta(hours=1))
        session.add_all(
            [
                AuditEvent(case_id=case.id, actor_id=person.id, at=AT, action="case_created"),
                AuditEvent(
                    case_id=case.id,
                    actor_id=None,
                    at=AT.astimezone(later) + timedelta(microseconds=1),
                    action="stage_entered",
                    to_stage="legal_consultation",
                    detail={"nested": {"list": [1, 2.5, None, "x"]}, "ok": True},
                ),
                Gate(
                    case_id=case.id,
                    kind="legal_consultation",
                    round=1,
                    role="legal",
                    status="decided",
                    opened_at=AT,
                    due_on=date(2026, 4, 2),
                    decision="approve",
                    decided_by=person.id,
                    decided_at=AT + timedelta(days=1),
                ),
                Gate(
                    case_id=case.id,
                    kind="award_approval",
                    round=1,
                    role="procurement",
                    status="pending",
                    opened_at=AT + timedelta(days=2),
                    due_on=date(2026, 4, 9),
                ),
                Document(
                    case_id=case.id,
                    document_type="contractSummary",
                    title="Summary",
                    filename="summary.pdf",
                    content_type="application/pdf",
                    size_bytes=2**31 - 1,
                    sha256=f"{number:064d}",
                    uploaded_by=person.id,
                ),
                Bid(
                    case_id=case.id,
                    supplier_name="Acme & Sons",
                    price_pence=2**40 + number,
                    created_by=person.id,
                ),
                Contract(
                    case_id=case.id,
                    start_date=date(2026, 5, 1),
                    end_date=date(2029, 4, 30),
                    supplier_signed_on=None,
                    council_signed_on=date(2026, 4, 20),
                    recorded_by=person.id,
                ),
                RegisterEntry(
                    case_id=case.id,
                    reference=case.reference,
                    ocid=case.ocid,
                    title="",
                    department="IT",
                    description="What it buys",
                    value_pence=2**40,
                ),
                Review(
                    case_id=case.id,
                    period_start=date(2026, 5, 1),
                    period_end=date(2026, 7, 31),
                    rag="amber",
                    submitted_by=person.id,
                ),
                Flag(case_id=case.id, code="history_altered", message="Checked"),
            ]
        )
    session.add(
        FlowRequest(
            key=f"stage:{ids[0]}",
            case_id=ids[0],
            flow_name="legal-consultation",
            run_name="legal-consultation PR-2026-0001",
            parameters={"case_id": ids[0]},
        )
    )
    return ids[0]


def test_one_statement_reads_what_one_per_part_reads(engine: Engine) -> None:
    with transaction(engine) as session:
        case_id = whole_case(session)
    with transaction(engine) as session:
        if engine.dialect.name == "postgresql":
            # The server writes timestamps in the session's zone (British Summer Time here).
            session.connection().exec_driver_sql("SET LOCAL TimeZone = 'Europe/London'")
        file = case_file.read(session, case_id=case_id)
        parts = case_file.each_part(session.connection(), case_id=case_id)
    assert all(parts.values())
    stamps = [
        value
        for rows in parts.values()
        for row in rows
        for value in row.values()
        if isinstance(value, datetime)
    ]
    assert len(stamps) > 10
    assert file.contract == parts.pop("contract")[0]
    assert file.register_entry == parts.pop("register_entry")[0]
    for name, rows in parts.items():
        read = getattr(file, name)
        assert read == rows, name
        for ours, theirs in zip(read, rows, strict=True):
            assert [type(v) for v in ours.values()] == [type(v) for v in theirs.values()], name
            for value in ours.values():
                if isinstance(value, datetime):
                    assert value.utcoffset() == timedelta(0), (name, value)
    assert [event["at"] for event in file.timeline] == [AT, AT + timedelta(microseconds=1)]


def test_a_case_with_nothing_yet_has_empty_parts(engine: Engine) -> None:
    with transaction(engine) as session:
        case_id = whole_case(session)
    with transaction(engine) as session:
        session.connection().exec_driver_sql("DELETE FROM contract")
        session.connection().exec_driver_sql("DELETE FROM flowrequest")
    with transaction(engine) as session:
        file = case_file.read(session, case_id=case_id)
    assert file.contract is None and file.flow_runs == []
    assert file.register_entry is not None
