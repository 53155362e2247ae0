"""The deactivation page: someone who manages live contracts is switched off only with a
successor chosen on the same form; without one the refusal says how many and what to do."""

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from lifecycle.db import transaction
from lifecycle.models import Case, User
from tests.api.live_contracts import live_case
from tests.pages.conftest import csrf_of


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


def test_an_admin_hands_over_someones_contracts_and_they_keep_their_account(
    signed_in: Any, engine: Engine, make_user: Any
) -> None:
    admin, _, _ = signed_in("admin")
    requester, _ = make_user("requester")
    mover, _ = make_user("contract_manager", name="Mo Mover")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    first, second = (live_case(engine, requester, mover, number) for number in (1, 2))
    user_page = admin.get(f"/app/users/{mover.id}")
    assert "Mo Mover manages 2 live contracts" in user_page.text
    assert f'href="/app/users/{mover.id}/handover"' in user_page.text
    url = f"/app/users/{mover.id}/handover"
    form = admin.get(url)
    assert "PR-2026-0001" in form.text and "PR-2026-0002" in form.text
    assert f'<option value="{successor.id}">Sam Successor</option>' in form.text
    assert f'<option value="{mover.id}">' not in form.text  # not to themselves
    unchosen = admin.submit(url, url, {"successor_id": ""})
    assert unchosen.status_code == 422
    assert "Select who takes over the contracts" in unchosen.text
    assert manager_of(engine, first) == mover.id
    done = admin.submit(url, url, {"successor_id": str(successor.id)})
    assert done.status_code == 303 and done.headers["location"] == f"/app/users/{mover.id}"
    shown = admin.get(done.headers["location"]).text
    assert "2 live contracts handed over to Sam Successor" in shown
    assert manager_of(engine, first) == manager_of(engine, second) == successor.id
    assert is_active(engine, mover)
    # Now nothing holds the role: it can go.
    url = f"/app/users/{mover.id}"
    assert admin.submit(url, f"{url}/roles", {"roles": "legal"}).status_code == 303


def test_a_successor_who_cannot_take_over_is_refused_beside_the_choice(
    signed_in: Any, engine: Engine, make_user: Any
) -> None:
    admin, _, _ = signed_in("admin")
    requester, _ = make_user("requester")
    mover, _ = make_user("contract_manager", name="Mo Mover")
    lawyer, _ = make_user("legal", name="Lou Lawyer")
    case_id = live_case(engine, requester, mover, 1)
    url = f"/app/users/{mover.id}/handover"
    for chosen in (str(lawyer.id), str(mover.id), "99999999", "1e9", "-1"):
        refused = admin.submit(url, url, {"successor_id": chosen})
        assert refused.status_code in (409, 422), chosen
        assert 'id="successor_id-error"' in refused.text, chosen
        assert chosen not in refused.text.split("successor_id-error")[1][:300], chosen
    assert manager_of(engine, case_id) == mover.id


def test_only_admins_reach_the_handover_page_and_unknown_people_are_not_told_apart(
    signed_in: Any, engine: Engine, make_user: Any
) -> None:
    requester, _ = make_user("requester")
    mover, _ = make_user("contract_manager", name="Mo Mover")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    case_id = live_case(engine, requester, mover, 1)
    auditor, _, _ = signed_in("auditor")
    assert "Hand over their contracts" not in auditor.get(f"/app/users/{mover.id}").text
    for person in (auditor, signed_in("procurement")[0], signed_in("contract_manager")[0]):
        for user_id in (mover.id, 99999):
            url = f"/app/users/{user_id}/handover"
            assert person.get(url).status_code == 403
            posted = person.submit("/app/", url, {"successor_id": str(successor.id)})
            assert posted.status_code == 403
    assert manager_of(engine, case_id) == mover.id
    admin, _, _ = signed_in("admin")
    assert admin.get("/app/users/99999/handover").status_code == 404


def test_a_handover_already_made_elsewhere_is_said_plainly(
    signed_in: Any, engine: Engine, make_user: Any
) -> None:
    admin, _, _ = signed_in("admin")
    requester, _ = make_user("requester")
    mover, _ = make_user("contract_manager", name="Mo Mover")
    successor, _ = make_user("contract_manager", name="Sam Successor")
    case_id = live_case(engine, requester, mover, 1)
    url = f"/app/users/{mover.id}/handover"
    token = csrf_of(admin.get(url).text)  # the form is open while another admin hands over
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.contract_manager_id = successor.id
        session.add(case)
    late = admin.client.post(
        url, data={"csrf_token": token, "successor_id": str(successor.id)}, follow_redirects=False
    )
    assert late.status_code == 409
    assert "Mo Mover manages no live contracts to hand over" in late.text
    assert 'href="#successor_id"' not in late.text
