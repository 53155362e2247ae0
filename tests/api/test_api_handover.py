"""Handover: a contract manager who leaves hands their live contracts to a named successor, in
the same step as their deactivation (API, page and command line all refuse it without one);
a plain handover moves all their contracts, or one. Each case's history names both people, the
register entry follows, the successor is told once, and an untrained successor of a key
contract raises a training need. On SQLite and PostgreSQL."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle.models import AuditEvent, Case, Mail, RegisterEntry, TrainingNeed, User
from tests.api.live_contracts import live_case


def managers_of(engine: Engine, *case_ids: int) -> list[int | None]:
    """Each case's named manager."""
    with Session(engine) as session:
        return [session.get(Case, case_id).contract_manager_id for case_id in case_ids]  # type: ignore[union-attr]


def is_active(engine: Engine, user: User) -> bool:
    """Whether the user is switched on."""
    with Session(engine) as session:
        found = session.get(User, user.id)
        assert found is not None
        return found.active


def test_a_leaver_is_switched_off_only_with_a_successor_who_takes_their_live_contracts(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, cli: Any
) -> None:
    admin, admin_token = make_user("admin")
    requester, requester_token = make_user("requester")
    _, buyer_token = make_user("procurement")
    leaver, _ = make_user("contract_manager", name="Lee Leaver")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    lawyer, _ = make_user("legal")
    key = live_case(engine, requester, leaver, 1, key_contract=True)
    plain = live_case(engine, requester, leaver, 2)
    closed = live_case(engine, requester, leaver, 3, status="closed", stage="exit")

    # The command line refuses to switch them off without a successor, and says what to do.
    code, _, err = cli("users", "deactivate", "--email", leaver.email)
    assert code == 2 and "Lee Leaver still manages 2 live contracts" in err
    assert "successor" in err and is_active(engine, leaver)

    body = {"from_user_id": leaver.id, "to_user_id": successor.id, "deactivate": True}
    # Only admins switch people off; only they, procurement or the manager hand over.
    forbidden = client.post("/handovers", json=body, headers=helpers.auth(buyer_token))
    assert forbidden.status_code == 403 and "admin" in forbidden.json()["detail"]
    plain_body = {"from_user_id": leaver.id, "to_user_id": successor.id}
    refused = client.post("/handovers", json=plain_body, headers=helpers.auth(requester_token))
    assert refused.status_code == 403

    # Bad input: out-of-range ids, unknown fields, an unsuitable or missing successor.
    for wrong, status, field in (
        ({**body, "to_user_id": 0}, 422, "to_user_id"),
        ({**body, "to_user_id": leaver.id}, 422, "to_user_id"),
        ({**body, "to_user_id": lawyer.id}, 422, "to_user_id"),
        ({**body, "to_user_id": 999_999}, 422, "to_user_id"),  # as unsuitable: ids not probed
        ({**body, "surprise": "<script>"}, 422, None),
    ):
        answer = client.post("/handovers", json=wrong, headers=helpers.auth(admin_token))
        assert answer.status_code == status, answer.text
        if field:
            assert answer.json()["field"] == field
        assert "<script>" not in answer.text
    assert managers_of(engine, key, plain) == [leaver.id, leaver.id] and is_active(engine, leaver)

    done = client.post("/handovers", json=body, headers=helpers.auth(admin_token))
    assert done.status_code == 200, done.text
    assert done.json() == {
        "from_user": {"id": leaver.id, "name": "Lee Leaver"},
        "to_user": {"id": successor.id, "name": "Sam Successor"},
        "cases": ["PR-2026-0001", "PR-2026-0002"],
        "deactivated": True,
    }
    assert not is_active(engine, leaver)
    # The closed contract keeps its manager: its history is what it was.
    assert managers_of(engine, key, plain, closed) == [successor.id, successor.id, leaver.id]
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "contract_handed_over")
            .order_by(col(AuditEvent.id))
        ).all()
        assert [(e.case_id, e.actor_id) for e in events] == [(key, admin.id), (plain, admin.id)]
        assert {(e.detail["from_manager"], e.detail["to_manager"]) for e in events} == {
            ("Lee Leaver", "Sam Successor")
        }
        entries = session.exec(select(RegisterEntry).order_by(col(RegisterEntry.case_id))).all()
        assert [e.contract_manager_name for e in entries] == [
            "Sam Successor",
            "Sam Successor",
            "Lee Leaver",
        ]
        mails = session.exec(select(Mail).where(col(Mail.key).contains(":handover:"))).all()
        assert sorted(m.recipients[0] for m in mails) == [successor.email] * 2
        assert all("taking over from Lee Leaver" in m.text_body for m in mails)
        # The key contract now has an untrained manager: the need is raised for them.
        needs = session.exec(select(TrainingNeed).where(col(TrainingNeed.met_at).is_(None))).all()
        assert [(n.case_id, n.manager_id) for n in needs] == [(key, successor.id)]
        deactivated = session.exec(
            select(AuditEvent).where(AuditEvent.action == "user_deactivated")
        ).one()
        assert deactivated.detail["user_id"] == leaver.id

    # A second time: they are already off, and have nothing left to hand over.
    again = client.post("/handovers", json=body, headers=helpers.auth(admin_token))
    assert again.status_code == 409 and "already deactivated" in again.json()["detail"]
    nothing = client.post("/handovers", json=plain_body, headers=helpers.auth(admin_token))
    assert nothing.status_code == 409 and "no live contracts" in nothing.json()["detail"]
    with Session(engine) as session:
        assert (
            len(session.exec(select(Mail).where(col(Mail.key).contains(":handover:"))).all()) == 2
        )


def test_a_manager_hands_over_one_contract_or_all_without_leaving(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    requester, _ = make_user("requester")
    mover, mover_token = make_user("contract_manager", name="Mo Mover")
    _, colleague_token = make_user("contract_manager")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    first = live_case(engine, requester, mover, 1)
    second = live_case(engine, requester, mover, 2)
    other = live_case(engine, requester, successor, 3)

    one = {"from_user_id": mover.id, "to_user_id": successor.id, "case_id": first}
    # Another manager may not give away someone else's contracts.
    assert (
        client.post("/handovers", json=one, headers=helpers.auth(colleague_token)).status_code
        == 403
    )
    # Nor a manager a case they do not manage.
    theirs = {**one, "case_id": other}
    wrong = client.post("/handovers", json=theirs, headers=helpers.auth(mover_token))
    assert wrong.status_code == 409 and wrong.json()["field"] == "case_id"
    # Deactivating needs an admin, even for oneself.
    off = client.post(
        "/handovers", json={**one, "deactivate": True}, headers=helpers.auth(mover_token)
    )
    assert off.status_code == 403

    done = client.post("/handovers", json=one, headers=helpers.auth(mover_token))
    assert done.status_code == 200 and done.json()["cases"] == ["PR-2026-0001"]
    assert done.json()["deactivated"] is False
    assert managers_of(engine, first, second) == [successor.id, mover.id]
    again = client.post("/handovers", json=one, headers=helpers.auth(mover_token))
    assert again.status_code == 409

    rest = {"from_user_id": mover.id, "to_user_id": successor.id}
    assert client.post("/handovers", json=rest, headers=helpers.auth(mover_token)).json()[
        "cases"
    ] == ["PR-2026-0002"]
    assert managers_of(engine, first, second) == [successor.id, successor.id]
    assert is_active(engine, mover)


def test_the_command_line_deactivates_with_a_successor(
    engine: Engine, make_user: Any, cli: Any
) -> None:
    requester, _ = make_user("requester")
    leaver, _ = make_user("contract_manager", name="Lee Leaver")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    case_id = live_case(engine, requester, leaver, 1)
    code, _, err = cli(
        "users", "deactivate", "--email", leaver.email, "--successor", requester.email
    )
    assert code == 2 and "contract_manager role" in err and is_active(engine, leaver)
    code, out, _ = cli(
        "users", "deactivate", "--email", leaver.email, "--successor", successor.email
    )
    assert code == 0, out
    assert f"handed 1 live contracts to {successor.email}: PR-2026-0001" in out
    assert not is_active(engine, leaver) and managers_of(engine, case_id) == [successor.id]
    with Session(engine) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "contract_handed_over")
        ).one()
        assert event.actor_id is None and event.detail["to_manager"] == "Sam Successor"


def test_the_command_line_hands_over_without_deactivating(
    engine: Engine, make_user: Any, cli: Any
) -> None:
    requester, _ = make_user("requester")
    mover, _ = make_user("contract_manager", name="Mo Mover")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    case_id = live_case(engine, requester, mover, 1)
    code, out, _ = cli("users", "handover", "--email", mover.email, "--successor", successor.email)
    assert code == 0 and "handed 1 live contracts" in out
    assert managers_of(engine, case_id) == [successor.id] and is_active(engine, mover)
    code, _, err = cli("users", "handover", "--email", mover.email, "--successor", successor.email)
    assert code == 2 and "manages no live contracts" in err
