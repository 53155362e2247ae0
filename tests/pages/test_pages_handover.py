"""The deactivation page: someone who manages live contracts is switched off only with a
successor chosen on the same form; without one the refusal says how many and what to do."""

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from lifecycle.models import Case, User
from tests.api.live_contracts import live_case


def manager_of(engine: Engine, case_id: int) -> int | None:
    """The case's named manager."""
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.contract_manager_id


def is_active(engine: Engine, user: User) -> bool:
    """Whether the user is switched on."""
    with Session(engine) as session:
        found = session.get(User, user.id)
        assert found is not None
        return found.active


def test_the_deactivation_page_asks_for_a_successor_and_refuses_without_one(
    signed_in: Any, engine: Engine, make_user: Any
) -> None:
    admin, _, _ = signed_in("admin")
    requester, _ = make_user("requester")
    leaver, _ = make_user("contract_manager", name="Lee Leaver")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    case_id = live_case(engine, requester, leaver, 1)
    url = f"/app/users/{leaver.id}/deactivate"
    confirm = admin.get(url)
    assert "Who takes over their 1 live contract?" in confirm.text
    assert f'<option value="{successor.id}">Sam Successor</option>' in confirm.text
    refused = admin.submit(url, url, {"successor_id": ""})
    assert refused.status_code == 409
    assert "Lee Leaver still manages 1 live contract" in refused.text
    assert 'id="successor_id-error"' in refused.text and is_active(engine, leaver)
    done = admin.submit(url, url, {"successor_id": str(successor.id)})
    assert done.status_code == 303
    assert not is_active(engine, leaver) and manager_of(engine, case_id) == successor.id


def test_a_manager_of_live_contracts_keeps_the_role_until_they_are_handed_over(
    signed_in: Any, engine: Engine, make_user: Any
) -> None:
    admin, _, _ = signed_in("admin")
    requester, _ = make_user("requester")
    mover, _ = make_user("contract_manager", name="Mo Mover")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    live_case(engine, requester, mover, 1)
    url = f"/app/users/{mover.id}"
    refused = admin.submit(url, f"{url}/roles", {"roles": "legal"})
    assert refused.status_code == 409
    assert "Mo Mover still manages 1 live contract: hand it over" in refused.text
    with Session(engine) as session:
        assert session.get(User, mover.id).roles == "contract_manager"  # type: ignore[union-attr]
    # Adding a role is no loss of the manager role.
    kept = admin.submit(url, f"{url}/roles", {"roles": ["contract_manager", "legal"]})
    assert kept.status_code == 303
