"""History that shows tampering, on SQLite and PostgreSQL: an audit row edited, deleted or
rewritten with fresh hashes in the database is caught by `procure audit verify`, by the daily
check (which flags the case) and by the assurance report, which names the case."""

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from lifecycle.chain import ALTERED_FLAG, event_hash, genesis
from lifecycle.db import reading, transaction
from lifecycle.models import AuditEvent, Case, Flag
from lifecycle.services import assurance, audit_chain
from lifecycle.settings import Settings

TODAY = date(2026, 11, 30)


def two_cases(client: TestClient, helpers: Any, make_user: Any, run_flows: Any) -> list[int]:
    """Two cases with a few events each (raised, then planned to their legal gate)."""
    _, token = make_user("requester")
    ids = []
    for title in ("Laptops", "Grounds maintenance"):
        response = client.post(
            "/cases", json=helpers.purchase_request(title=title), headers=helpers.auth(token)
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    run_flows()
    return ids


def reference(engine: Engine, case_id: int) -> str:
    """A case's reference."""
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.reference


def check(engine: Engine) -> audit_chain.ChainReport:
    """What `procure audit verify` finds."""
    with Session(engine) as session:
        return audit_chain.verify(session)


def daily_check(engine: Engine, day: date) -> audit_chain.ChainReport:
    """What the monitoring sweep does: check from a snapshot, then act on what it found."""
    with Session(reading(engine)) as session:
        report = audit_chain.verify(session)
    with transaction(engine) as session:
        audit_chain.act_on(session, report=report, day=day)
    return report


def events_of(engine: Engine, case_id: int) -> list[AuditEvent]:
    """A case's events in order."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.id))
            )
        )


def test_an_untouched_history_verifies(
    client: TestClient, engine: Engine, helpers: Any, make_user: Any, run_flows: Any
) -> None:
    first, second = two_cases(client, helpers, make_user, run_flows)
    report = check(engine)
    assert report.intact and report.events >= 6 and report.chains >= 2
    chain = events_of(engine, first)
    assert chain[0].prev_hash == genesis(first)
    assert [event.prev_hash for event in chain[1:]] == [event.hash for event in chain[:-1]]


def test_an_edited_row_is_caught_and_named(
    client: TestClient,
    engine: Engine,
    helpers: Any,
    make_user: Any,
    run_flows: Any,
    cli: Callable[..., tuple[int, str, str]],
) -> None:
    first, second = two_cases(client, helpers, make_user, run_flows)
    target = events_of(engine, second)[1]
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE auditevent SET actor_id = NULL, action = 'nothing_happened' WHERE id = :id"
            ),
            {"id": target.id},
        )
    report = check(engine)
    assert [(case.case_id, case.first_bad_event) for case in report.altered] == [
        (second, target.id)
    ]
    code, out, _ = cli("audit", "verify")
    assert code == 1 and "NOT INTACT" in out
    assert [line for line in out.splitlines() if line.startswith("ALTERED")] == [
        f"ALTERED\t{reference(engine, second)}\tfrom event {target.id}"
    ]


def test_a_deleted_row_is_caught(
    client: TestClient, engine: Engine, helpers: Any, make_user: Any, run_flows: Any
) -> None:
    first, _ = two_cases(client, helpers, make_user, run_flows)
    chain = events_of(engine, first)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM auditevent WHERE id = :id"), {"id": chain[0].id})
    assert [case.first_bad_event for case in check(engine).altered] == [chain[1].id]


def test_a_history_rewritten_with_fresh_hashes_breaks_the_anchor(
    client: TestClient, engine: Engine, helpers: Any, make_user: Any, run_flows: Any
) -> None:
    first, _ = two_cases(client, helpers, make_user, run_flows)
    with transaction(engine) as session:
        assert audit_chain.take_anchor(session, day=TODAY) is not None
        assert audit_chain.take_anchor(session, day=TODAY) is None  # once a day
    # Someone with the database rewrites the case's first event and re-chains every hash.
    chain = events_of(engine, first)
    prev = genesis(first)
    with engine.begin() as connection:
        for number, event in enumerate(chain):
            action = "nothing_happened" if number == 0 else event.action
            digest = event_hash(
                prev,
                case_id=event.case_id,
                actor_id=event.actor_id,
                at=event.at,
                action=action,
                from_stage=event.from_stage,
                to_stage=event.to_stage,
                from_status=event.from_status,
                to_status=event.to_status,
                detail=event.detail,
            )
            connection.execute(
                text("UPDATE auditevent SET action = :a, prev_hash = :p, hash = :h WHERE id = :id"),
                {"a": action, "p": prev, "h": digest, "id": event.id},
            )
            prev = digest
    report = check(engine)
    assert report.altered == []  # every link holds...
    assert report.anchors_broken == [TODAY] and not report.intact  # ...but not the anchor


def test_the_daily_check_flags_the_case_and_the_report_names_it(
    client: TestClient,
    engine: Engine,
    helpers: Any,
    make_user: Any,
    run_flows: Any,
    settings: Settings,
) -> None:
    first, second = two_cases(client, helpers, make_user, run_flows)
    auditor, _ = make_user("auditor")
    assert daily_check(engine, TODAY).intact
    target = events_of(engine, first)[0]
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE auditevent SET to_status = 'closed' WHERE id = :id"), {"id": target.id}
        )
    report = daily_check(engine, date(2026, 12, 1))
    assert [case.case_id for case in report.altered] == [first]
    with Session(engine) as session:
        flags = session.exec(select(Flag.case_id).where(Flag.code == ALTERED_FLAG)).all()
        measures = assurance.report(session, by=auditor, settings=settings)
    assert flags == [first]
    intact = next(measure for measure in measures if measure.key == "history_intact")
    assert (intact.met, intact.of) == (1, 2) and not intact.on_target
    assert [short.case_id for short in intact.short] == [first]
