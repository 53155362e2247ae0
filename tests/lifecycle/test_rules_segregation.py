"""Segregation of duties an auditor would accept: whoever prepared what a gate decides cannot
decide it, for every gate, and the refusal says what they did."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.rules import GATE_ROLE, PREPARATIONS, GateKind, Role, may_decide, prepared_by

CASES = [
    (kind, action, words) for kind, acts in PREPARATIONS.items() for action, words in acts.items()
]


@pytest.mark.parametrize(("kind", "action", "words"), CASES, ids=[c[1] for c in CASES])
def test_the_preparer_is_refused_with_what_they_did(
    kind: GateKind, action: str, words: str
) -> None:
    """The officer who did it is refused in words; a colleague with the same role is not."""
    prepared = prepared_by(kind, [(7, action)])
    roles = [GATE_ROLE[kind]]
    refusal = may_decide(roles, 7, requester_id=1, kind=kind, prepared=prepared)
    assert refusal == f"{words}, so another officer must decide it"
    assert may_decide(roles, 8, requester_id=1, kind=kind, prepared=prepared) == ""


def test_the_award_refusal_names_the_recommendation() -> None:
    """The words an officer sees when they try to approve their own recommendation."""
    prepared = prepared_by(GateKind.AWARD_APPROVAL, [(3, "award_recommended")])
    refusal = may_decide([Role.PROCUREMENT], 3, 1, GateKind.AWARD_APPROVAL, prepared)
    assert refusal.startswith("you recommended this award")


def test_actions_that_prepare_another_gate_do_not_count() -> None:
    """Recording the contract does not bar an officer from approving an award."""
    assert prepared_by(GateKind.AWARD_APPROVAL, [(3, "contract_recorded")]) == {}
    assert prepared_by(GateKind.LEGAL_CONSULTATION, [(3, "bid_recorded")]) == {}


@given(
    kind=st.sampled_from(list(GateKind)),
    user=st.integers(1, 6),
    requester=st.integers(1, 6),
    events=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(1, 6)),
            st.sampled_from(sorted({a for acts in PREPARATIONS.values() for a in acts})),
        ),
        max_size=12,
    ),
)
def test_nobody_decides_what_they_prepared_or_requested(
    kind: GateKind, user: int, requester: int, events: list[tuple[int | None, str]]
) -> None:
    """Whenever the decision is allowed, the decider neither requested the case nor did
    anything that prepares this gate."""
    prepared = prepared_by(kind, events)
    if may_decide(list(Role), user, requester, kind, prepared) == "":
        assert user != requester
        assert all(
            actor != user or action not in PREPARATIONS.get(kind, {}) for actor, action in events
        )
