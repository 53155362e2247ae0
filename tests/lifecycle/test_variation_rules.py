"""Which approvals a variation needs (Procurement Act 2023 s.74 limits as settings), what
makes a change unusable, who may approve it, and how its approvals settle it."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.rules import Category, Role
from lifecycle.variations import (
    Change,
    Limits,
    VariationStatus,
    approvals_needed,
    change_problem,
    decision_refusal,
    outcome,
)

LIMITS = Limits(value_percent_goods_services=10, value_percent_works=15, term_percent=10)
START, END = date(2026, 1, 1), date(2029, 12, 31)  # a four-year term


def change(**overrides: object) -> Change:
    """A change to a 1,000,000 services contract below the threshold; overridden as asked."""
    fields: dict[str, object] = {
        "category": Category.SERVICES,
        "award_value_pence": 1_000_000_00,
        "value_change_pence": 0,
        "earlier_changes_pence": 0,
        "start_date": START,
        "award_end_date": END,
        "new_end_date": None,
        "threshold_pence": 5_000_000_00,
        "value_now_pence": 1_000_000_00,
    }
    return Change(**(fields | overrides))  # type: ignore[arg-type]


def test_a_small_change_needs_procurement_alone() -> None:
    needed = approvals_needed(change(value_change_pence=50_000_00), LIMITS)
    assert needed.roles == (Role.PROCUREMENT,) and needed.legal_because == ()


def test_exactly_ten_per_cent_is_still_routine_and_a_penny_more_is_not() -> None:
    # s.74: a below-threshold modification moves the value by "not more than" 10%.
    assert approvals_needed(change(value_change_pence=100_000_00), LIMITS).roles == (
        Role.PROCUREMENT,
    )
    more = approvals_needed(change(value_change_pence=100_000_01), LIMITS)
    assert more.roles == (Role.PROCUREMENT, Role.LEGAL)
    assert "10%" in more.legal_because[0]


def test_a_decrease_counts_as_much_as_an_increase() -> None:
    assert Role.LEGAL in approvals_needed(change(value_change_pence=-150_000_00), LIMITS).roles


def test_works_have_the_larger_share() -> None:
    works = change(category=Category.WORKS, value_change_pence=140_000_00)
    assert approvals_needed(works, LIMITS).roles == (Role.PROCUREMENT,)
    services = change(category=Category.SERVICES, value_change_pence=140_000_00)
    assert Role.LEGAL in approvals_needed(services, LIMITS).roles


def test_earlier_changes_count_together() -> None:
    # Two changes of 6% each: the second takes the total past 10%.
    second = change(value_change_pence=60_000_00, earlier_changes_pence=60_000_00)
    assert Role.LEGAL in approvals_needed(second, LIMITS).roles


def test_moving_the_end_date_beyond_the_term_share_needs_legal() -> None:
    term_days = (END - START).days
    within = change(new_end_date=END + timedelta(days=term_days // 10))
    beyond = change(new_end_date=END + timedelta(days=term_days // 10 + 1))
    assert approvals_needed(within, LIMITS).roles == (Role.PROCUREMENT,)
    assert "substantial" in approvals_needed(beyond, LIMITS).legal_because[0]


def test_crossing_the_procurement_threshold_needs_legal() -> None:
    crossing = change(
        value_now_pence=4_990_000_00,
        award_value_pence=4_990_000_00,
        value_change_pence=20_000_00,
    )
    needed = approvals_needed(crossing, LIMITS)
    assert needed.roles == (Role.PROCUREMENT, Role.LEGAL)
    assert "threshold" in needed.legal_because[0]


@given(
    award=st.integers(min_value=1, max_value=10**12),
    first=st.integers(min_value=-(10**12), max_value=10**12),
    second=st.integers(min_value=-(10**12), max_value=10**12),
    category=st.sampled_from(list(Category)),
)
def test_procurement_always_approves_and_legal_is_monotone_in_size(
    award: int, first: int, second: int, category: Category
) -> None:
    """Whatever the change, procurement approves; a larger change never needs fewer
    approvals than a smaller one; and legal joins exactly when the value share is passed.
    The contract is already over the threshold, so no rise can cross it (a rise that does
    needs legal whatever its size: its own test above)."""
    small, large = sorted((abs(first), abs(second)))
    contract = {
        "award_value_pence": award,
        "value_now_pence": award,
        "threshold_pence": 1,
        "category": category,
    }
    smaller = approvals_needed(change(value_change_pence=small, **contract), LIMITS)
    larger = approvals_needed(change(value_change_pence=-large, **contract), LIMITS)
    assert smaller.roles[0] is Role.PROCUREMENT and larger.roles[0] is Role.PROCUREMENT
    assert set(smaller.roles) <= set(larger.roles)
    share = 15 if category is Category.WORKS else 10
    assert (Role.LEGAL in larger.roles) == (large * 100 > share * award)


@pytest.mark.parametrize(
    ("value_change", "new_end", "field"),
    [
        (0, None, "value_change_pence"),
        (-2_000_000_00, None, "value_change_pence"),
        (0, END, "new_end_date"),
        (0, START, "new_end_date"),
    ],
)
def test_unusable_changes_are_named_with_their_field(
    value_change: int, new_end: date | None, field: str
) -> None:
    problem, named = change_problem(
        value_change_pence=value_change,
        new_end_date=new_end,
        value_now_pence=1_000_000_00,
        start_date=START,
        end_date=END,
    )
    assert problem and named == field


def test_a_usable_change_has_no_problem() -> None:
    assert change_problem(
        value_change_pence=-10_00,
        new_end_date=None,
        value_now_pence=1_000_000_00,
        start_date=START,
        end_date=END,
    ) == ("", "")


def refusal(**overrides: object) -> str:
    """decision_refusal for a procurement officer (7) on a variation proposed by 2 on a case
    requested by 3; overridden as asked."""
    fields: dict[str, object] = {
        "roles": [Role.PROCUREMENT],
        "approval_role": Role.PROCUREMENT,
        "user_id": 7,
        "proposer_id": 2,
        "requester_id": 3,
        "other_approvers": [],
    }
    return decision_refusal(**(fields | overrides))  # type: ignore[arg-type]


def test_who_may_approve() -> None:
    assert refusal() == ""
    assert "role" in refusal(roles=[Role.LEGAL])
    assert "proposed" in refusal(user_id=2, roles=[Role.PROCUREMENT, Role.CONTRACT_MANAGER])
    assert "requester" in refusal(user_id=3)
    both = refusal(roles=[Role.PROCUREMENT, Role.LEGAL], other_approvers=[7])
    assert "other approval" in both


def test_any_rejection_rejects_and_every_approval_approves() -> None:
    assert outcome(["approve", None], ["decided", "pending"]) is VariationStatus.PENDING
    assert outcome(["approve", "reject"], ["decided", "decided"]) is VariationStatus.REJECTED
    assert outcome(["reject", None], ["decided", "pending"]) is VariationStatus.REJECTED
    assert outcome(["approve", "approve"], ["decided", "decided"]) is VariationStatus.APPROVED
    assert outcome(["approve"], ["decided"]) is VariationStatus.APPROVED


@given(
    term=st.integers(min_value=1, max_value=40 * 366),
    shift=st.integers(min_value=-(40 * 366), max_value=40 * 366),
    percent=st.integers(min_value=0, max_value=100),
)
def test_legal_joins_exactly_when_the_term_moves_beyond_its_share(
    term: int, shift: int, percent: int
) -> None:
    """Earlier or later, the end date needs legal once it moves by more than the share."""
    award_end = START + timedelta(days=term)
    new_end = award_end + timedelta(days=shift)
    limits = Limits(value_percent_goods_services=10, value_percent_works=15, term_percent=percent)
    needed = approvals_needed(change(award_end_date=award_end, new_end_date=new_end), limits)
    assert (Role.LEGAL in needed.roles) == (abs(shift) * 100 > percent * term)
