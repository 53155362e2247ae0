"""Delegation and handover rules: bounded periods that do not start in the past, a delegate
holding the delegated role, one stand-in per role at a time, and segregation of duties for
both people (a property over every gate kind); a successor who is active, someone else and a
contract manager; nobody switched off while they manage live contracts."""

from collections.abc import Sequence
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lifecycle.delegation import (
    Cover,
    delegate_problem,
    delegated_refusal,
    in_force,
    overlaps,
    period_problem,
    refusal_by_delegation,
    standing_in_for,
)
from lifecycle.handover import (
    deactivation_conflict,
    handover_refusal,
    role_change_conflict,
    successor_problem,
)
from lifecycle.rules import GATE_ROLE, GateKind, Role, may_decide

TODAY = date(2026, 12, 7)
DECIDING = frozenset(GATE_ROLE.values())


def test_a_period_is_today_or_later_in_order_and_bounded() -> None:
    week = TODAY + timedelta(days=6)
    assert period_problem(TODAY, week, TODAY, 92) == ("", "")
    assert period_problem(TODAY, TODAY, TODAY, 92) == ("", "")  # one day
    assert period_problem(TODAY - timedelta(days=1), week, TODAY, 92)[0] == "starts_on"
    assert period_problem(week, TODAY, TODAY, 92)[0] == "ends_on"
    assert period_problem(TODAY, TODAY + timedelta(days=91), TODAY, 92) == ("", "")
    field, why = period_problem(TODAY, TODAY + timedelta(days=92), TODAY, 92)
    assert field == "ends_on" and "92 days" in why


def test_the_delegate_holds_the_role_and_is_someone_else_and_active() -> None:
    legal = [Role.LEGAL]
    assert delegate_problem(1, 2, True, Role.LEGAL, legal, legal, DECIDING) == ("", "")
    assert delegate_problem(1, 1, True, Role.LEGAL, legal, legal, DECIDING)[0] == "delegate_id"
    assert delegate_problem(1, 2, False, Role.LEGAL, legal, legal, DECIDING)[0] == "delegate_id"
    assert delegate_problem(1, 2, True, Role.LEGAL, legal, [Role.PROCUREMENT], DECIDING) == (
        "delegate_id",
        "the delegate must hold the role being delegated",
    )
    # Only a role one holds, and one that decides gates.
    assert delegate_problem(1, 2, True, Role.LEGAL, [Role.PROCUREMENT], legal, DECIDING)[0] == (
        "role"
    )
    auditors = [Role.AUDITOR]
    assert delegate_problem(1, 2, True, Role.AUDITOR, auditors, auditors, DECIDING)[0] == "role"


def test_in_force_between_its_days_until_withdrawn() -> None:
    cover = Cover(1, 2, Role.LEGAL, TODAY, TODAY + timedelta(days=2))
    assert in_force(cover, TODAY) and in_force(cover, TODAY + timedelta(days=2))
    assert not in_force(cover, TODAY - timedelta(days=1))
    assert not in_force(cover, TODAY + timedelta(days=3))
    withdrawn = Cover(1, 2, Role.LEGAL, TODAY, TODAY + timedelta(days=2), withdrawn=True)
    assert not in_force(withdrawn, TODAY)


def test_one_stand_in_per_role_at_a_time() -> None:
    first = Cover(1, 2, Role.LEGAL, TODAY, TODAY + timedelta(days=5))
    clash = Cover(1, 3, Role.LEGAL, TODAY + timedelta(days=5), TODAY + timedelta(days=9))
    after = Cover(1, 3, Role.LEGAL, TODAY + timedelta(days=6), TODAY + timedelta(days=9))
    other_role = Cover(1, 3, Role.PROCUREMENT, TODAY, TODAY + timedelta(days=5))
    assert overlaps(clash, [first])
    assert not overlaps(after, [first])
    assert not overlaps(other_role, [first])
    withdrawn = Cover(1, 2, Role.LEGAL, TODAY, TODAY + timedelta(days=5), withdrawn=True)
    assert not overlaps(clash, [withdrawn])


def test_segregation_applies_to_the_delegate_and_to_the_delegator() -> None:
    legal = [Role.LEGAL]
    kind = GateKind.LEGAL_CONSULTATION
    assert delegated_refusal(kind, 9, {}, (2, legal), (1, legal), True) == ""
    assert "no delegation" in delegated_refusal(kind, 9, {}, (2, legal), (1, legal), False)
    # The delegate requested the case: not by delegation either.
    mine = delegated_refusal(kind, 2, {}, (2, legal), (1, legal), True)
    assert mine.startswith("you cannot decide this gate by delegation: the requester")
    # The delegator requested it: nobody decides it on their behalf.
    theirs = delegated_refusal(kind, 1, {}, (2, legal), (1, legal), True)
    assert "could not decide this gate themselves" in theirs
    # What either prepared, as with a decision of their own.
    prepared = {1: "you recommended this award"}
    buyers = [Role.PROCUREMENT]
    award = GateKind.AWARD_APPROVAL
    assert "recommended" in delegated_refusal(award, 9, prepared, (2, buyers), (1, buyers), True)
    assert standing_in_for(award, 9, prepared, (2, buyers), [(1, buyers), (3, buyers)]) == [3]


def test_a_handover_goes_to_an_active_contract_manager_and_is_done_by_the_right_people() -> None:
    managers = [Role.CONTRACT_MANAGER]
    assert successor_problem(1, 2, True, managers) == ""
    assert "someone other" in successor_problem(1, 1, True, managers)
    assert "deactivated" in successor_problem(1, 2, False, managers)
    assert "contract_manager" in successor_problem(1, 2, True, [Role.LEGAL])
    assert handover_refusal(1, [Role.CONTRACT_MANAGER], 1) == ""  # their own
    assert handover_refusal(5, [Role.PROCUREMENT], 1) == ""
    assert handover_refusal(5, [Role.ADMIN], 1) == ""
    assert handover_refusal(5, [Role.CONTRACT_MANAGER, Role.LEGAL], 1) != ""
    assert handover_refusal(None, [], 1) != ""


def test_nobody_is_switched_off_while_they_manage_live_contracts() -> None:
    assert deactivation_conflict("Sam", 0) == ""
    assert deactivation_conflict("Sam", 1).startswith("Sam still manages 1 live contract:")
    assert "3 live contracts" in deactivation_conflict("Sam", 3)
    assert "successor" in deactivation_conflict("Sam", 3)
    assert role_change_conflict("Sam", 0) == ""
    assert "hand them over to a successor first" in role_change_conflict("Sam", 2)


def test_any_approval_brings_its_own_rule_and_it_binds_both_people() -> None:
    """Not only case gates: an approval with its own rule (here: procurement, not the
    proposer, person 7) is delegated on the same terms."""

    def own(person_id: int, held: Sequence[Role]) -> str:
        """A variation-like approval's rule."""
        if Role.PROCUREMENT not in held:
            return "only procurement approves"
        return "you proposed this change" if person_id == 7 else ""

    buyers = [Role.PROCUREMENT]
    assert refusal_by_delegation(own, (2, buyers), (1, buyers), True) == ""
    assert "proposed" in refusal_by_delegation(own, (7, buyers), (1, buyers), True)
    assert "could not decide" in refusal_by_delegation(own, (2, buyers), (7, buyers), True)
    assert "no delegation" in refusal_by_delegation(own, (2, buyers), (1, buyers), False)


roles = st.frozensets(st.sampled_from(list(Role)))
ids = st.integers(min_value=1, max_value=6)


@given(
    kind=st.sampled_from(list(GateKind)),
    requester=ids,
    prepared_ids=st.frozensets(ids),
    delegate=st.tuples(ids, roles),
    delegator=st.tuples(ids, roles),
    covered=st.booleans(),
)
def test_a_delegated_decision_stands_exactly_when_both_could_decide_it_themselves(
    kind: GateKind,
    requester: int,
    prepared_ids: frozenset[int],
    delegate: tuple[int, frozenset[Role]],
    delegator: tuple[int, frozenset[Role]],
    covered: bool,
) -> None:
    """For every gate kind: allowed by delegation iff a delegation is in force and neither the
    delegate nor the delegator is barred (role, requester, preparer), so a delegation never
    lets anyone past segregation of duties."""
    prepared = {person: "you prepared it" for person in prepared_ids}
    delegate_roles, delegator_roles = sorted(delegate[1]), sorted(delegator[1])
    allowed = not delegated_refusal(
        kind,
        requester,
        prepared,
        (delegate[0], delegate_roles),
        (delegator[0], delegator_roles),
        covered,
    )
    both = not may_decide(delegate_roles, delegate[0], requester, kind, prepared) and not (
        may_decide(delegator_roles, delegator[0], requester, kind, prepared)
    )
    assert allowed == (covered and both)
    if allowed:
        assert requester not in (delegate[0], delegator[0])
        assert not {delegate[0], delegator[0]} & prepared_ids
        assert GATE_ROLE[kind] in delegate[1] and GATE_ROLE[kind] in delegator[1]
