"""Who may decide a gate, read in one query, is who the rules say may decide it: on people with
roles, active or not, drawn at random (a role whose name holds another's, requesters, people who
prepared what a gate decides, and events by them on other cases), on SQLite and PostgreSQL."""

import random
from datetime import date

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from lifecycle.db import transaction
from lifecycle.models import AuditEvent, Case, User
from lifecycle.rules import PREPARATIONS, GateKind, Role, may_decide, prepared_by
from lifecycle.services import gates, users

ACTIONS = [action for done in PREPARATIONS.values() for action in done] + ["note", "case_created"]


def add_case(session: Session, number: int, requester: int) -> Case:
    """A bare case raised by `requester`."""
    case = Case(
        reference=f"PR-2026-{number:04d}",
        ocid=f"ocds-test-{number}",
        title="Purchase",
        description="A purchase",
        category="services",
        department="IT",
        estimated_value_pence=1_000_00,
        needed_by=date(2026, 12, 1),
        contract_required=False,
        route="quotes",
        contract=False,
        stage="procurement",
        status="in_progress",
        requester_id=requester,
    )
    session.add(case)
    session.flush()
    return case


def expected(session: Session, case: Case, kind: GateKind) -> list[int]:
    """Everyone the rules let decide, read the long way: every user, every event."""
    assert case.id is not None
    events = session.exec(
        select(AuditEvent.actor_id, AuditEvent.action)
        .where(AuditEvent.case_id == case.id)
        .order_by(col(AuditEvent.id))
    ).all()
    prepared = prepared_by(kind, events)
    return [
        user.id
        for user in session.exec(select(User).order_by(col(User.id)))
        if user.id is not None
        and user.active
        and not may_decide(users.roles_of(user), user.id, case.requester_id, kind, prepared)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_deciders_are_whom_the_rules_let_decide(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    with transaction(engine) as session:
        people = []
        for number in range(12):
            roles = rng.sample(list(Role), rng.randint(1, 3))
            user = User(
                name=f"Person {number}",
                email=f"p{number}@council.example",
                roles=",".join(role.value for role in roles),
                token_hash=f"{seed}-{number}",
                active=rng.random() < 0.8,
            )
            session.add(user)
            people.append(user)
        session.flush()
        ids = [user.id for user in people if user.id is not None]
        cases = [add_case(session, number, rng.choice(ids)) for number in range(1, 4)]
        for _ in range(30):
            case = rng.choice(cases)
            session.add(
                AuditEvent(
                    case_id=case.id,
                    actor_id=rng.choice([*ids, None]),
                    action=rng.choice(ACTIONS),
                )
            )
    with transaction(engine) as session:
        for case in session.exec(select(Case)):
            for kind in GateKind:
                found = [user.id for user in gates.deciders(session, case=case, kind=kind)]
                assert found == expected(session, case, kind), (seed, case.id, kind)


def test_a_role_is_matched_whole(engine: Engine) -> None:
    # "manager" is no role, and no role's name is found inside another's.
    with transaction(engine) as session:
        for number, roles in enumerate(["contract_manager", "auditor,legal", "legalx", "x_legal"]):
            session.add(
                User(
                    name=f"Person {number}",
                    email=f"p{number}@council.example",
                    roles=roles,
                    token_hash=str(number),
                )
            )
    with transaction(engine) as session:
        assert [u.roles for u in users.with_role(session, role=Role.LEGAL)] == ["auditor,legal"]
        assert [u.roles for u in users.with_role(session, role=Role.CONTRACT_MANAGER)] == [
            "contract_manager"
        ]


def test_deciders_are_read_in_one_query(engine: Engine) -> None:
    with transaction(engine) as session:
        requester = User(name="R", email="r@council.example", roles="requester", token_hash="r")
        session.add(requester)
        session.flush()
        assert requester.id is not None
        case = add_case(session, 1, requester.id)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with transaction(engine) as session:
        case = session.exec(select(Case)).one()
        event.listen(engine, "before_cursor_execute", count)
        try:
            gates.deciders(session, case=case, kind=GateKind.AWARD_APPROVAL)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
