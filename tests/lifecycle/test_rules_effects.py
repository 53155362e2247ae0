"""What a gate decision means for the case, who answers a request for changes, and how many
quotes each route needs."""

import pytest

from lifecycle.rules import (
    CHANGES_ANSWERED_BY,
    MIN_BIDS,
    Decision,
    Effect,
    GateKind,
    Party,
    Route,
    decision_effect,
)


@pytest.mark.parametrize("kind", list(GateKind))
@pytest.mark.parametrize("route", list(Route))
def test_reject_closes_and_changes_send_back_at_every_gate(kind: GateKind, route: Route) -> None:
    assert decision_effect(kind, Decision.REJECT, route) is Effect.CLOSE
    assert decision_effect(kind, Decision.REQUEST_CHANGES, route) is Effect.SEND_BACK


@pytest.mark.parametrize("route", list(Route))
def test_only_an_above_threshold_award_waits_for_its_notice(route: Route) -> None:
    effect = decision_effect(GateKind.AWARD_APPROVAL, Decision.APPROVE, route)
    expected = Effect.AWAIT_AWARD_NOTICE if route is Route.ABOVE_THRESHOLD else Effect.ADVANCE
    assert effect is expected


@pytest.mark.parametrize("kind", [k for k in GateKind if k is not GateKind.AWARD_APPROVAL])
def test_other_approvals_advance(kind: GateKind) -> None:
    for route in Route:
        assert decision_effect(kind, Decision.APPROVE, route) is Effect.ADVANCE


def test_changes_go_back_to_whoever_supplied_what_was_judged() -> None:
    assert CHANGES_ANSWERED_BY[GateKind.LEGAL_CONSULTATION] is Party.REQUESTER
    assert CHANGES_ANSWERED_BY[GateKind.AWARD_APPROVAL] is Party.PROCUREMENT_TEAM
    assert CHANGES_ANSWERED_BY[GateKind.REGISTER_VERIFICATION] is Party.CONTRACT_MANAGER
    assert CHANGES_ANSWERED_BY[GateKind.CLOSURE] is Party.CONTRACT_MANAGER
    assert set(CHANGES_ANSWERED_BY) == set(GateKind)


def test_quotes_route_needs_three_written_quotes_and_low_value_one() -> None:
    assert MIN_BIDS[Route.QUOTES] == 3
    assert MIN_BIDS[Route.LOW_VALUE] == 1
    assert set(MIN_BIDS) == set(Route)
