"""Reading a case costs the same number of queries however long its history: a case with 5
events and one with 200 (notes, bids, gate rounds), on SQLite and PostgreSQL."""

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func
from sqlmodel import col, select

from lifecycle.db import transaction
from lifecycle.models import AuditEvent, Bid, Gate, User


def new_case(client: TestClient, token: str, helpers: Any, run_flows: Callable[..., Any]) -> int:
    """A purchase request, run to its legal gate (a pending gate with people to decide it)."""
    answer = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    assert answer.status_code == 201, answer.text
    run_flows()
    return int(answer.json()["id"])


def grow_history(engine: Engine, case_id: int, people: list[int], events: int) -> None:
    """Events by several people, bids and decided gate rounds, up to `events` events."""
    with transaction(engine) as session:
        have = session.exec(select(func.count()).where(col(AuditEvent.case_id) == case_id)).one()
        for number in range(events - have):
            actor = people[number % len(people)]
            action = ("note", "bid_recorded", "document_uploaded")[number % 3]
            session.add(AuditEvent(case_id=case_id, actor_id=actor, action=action, detail={}))
            if number % 20 == 0:
                session.add(
                    Bid(
                        case_id=case_id,
                        supplier_name=f"S{number}",
                        price_pence=100,
                        created_by=actor,
                    )
                )
                session.add(
                    Gate(
                        case_id=case_id,
                        kind="award_approval",
                        round=number + 1,
                        role="procurement",
                        status="decided",
                        due_on=date(2026, 1, 1),
                        decision="request_changes",
                        decided_by=actor,
                    )
                )


def queries_to_read(
    client: TestClient, engine: Engine, case_id: int, token: str, helpers: Any
) -> tuple[int, int]:
    """Statements sent while reading the case, and the length of its timeline."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = client.get(f"/cases/{case_id}", headers=helpers.auth(token))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 200, answer.text
    return len(statements), len(answer.json()["timeline"])


def test_a_long_history_costs_no_more_queries_than_a_short_one(
    client: TestClient,
    engine: Engine,
    make_user: Callable[..., tuple[User, str]],
    helpers: Any,
    run_flows: Callable[..., Any],
) -> None:
    requester, requester_token = make_user("requester")
    make_user("legal")
    procurement, procurement_token = make_user("procurement")
    people = [user.id for user in (requester, procurement) if user.id is not None]
    short = new_case(client, requester_token, helpers, run_flows)
    long = new_case(client, requester_token, helpers, run_flows)
    grow_history(engine, short, people, 5)
    grow_history(engine, long, people, 200)
    few, short_timeline = queries_to_read(client, engine, short, procurement_token, helpers)
    many, long_timeline = queries_to_read(client, engine, long, procurement_token, helpers)
    assert (short_timeline, long_timeline) == (5, 200)
    assert few == many
    # Sign-in, the case, and one query per part of it (gates, their deciders, timeline, ...).
    assert many <= 14
