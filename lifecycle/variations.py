"""Contract variations (changes to a live contract): which approvals a change needs, and what
makes a proposed change unusable. Pure. The conditions come from the Procurement Act 2023
s.74 and Schedule 8: a change within them is routine and procurement approves it; one beyond
them may need a new procurement or a contract change notice (s.75), so legal approves it too."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from lifecycle.rules import Category, Role


class VariationStatus(StrEnum):
    """Where a proposed variation stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalStatus(StrEnum):
    """One approval a variation waits on."""

    PENDING = "pending"
    DECIDED = "decided"
    CANCELLED = "cancelled"  # another approver rejected the variation first


class VariationDecision(StrEnum):
    """What an approver can say: a variation is approved or not, never sent back."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class Limits:
    """Where a change stops being routine, from settings: shares of the value and the term as
    they stood at award, in per cent."""

    value_percent_goods_services: int
    value_percent_works: int
    term_percent: int


@dataclass(frozen=True)
class Change:
    """A proposed change against the contract as awarded and as it stands. `earlier_changes`
    is the sum of the sizes of the variations approved before it (s.74 counts them together)."""

    category: Category
    award_value_pence: int
    value_change_pence: int
    earlier_changes_pence: int
    start_date: date
    award_end_date: date
    new_end_date: date | None
    threshold_pence: int
    value_now_pence: int


@dataclass(frozen=True)
class Approvals:
    """Who must approve a change, and why legal is among them (empty when it is not)."""

    roles: tuple[Role, ...]
    legal_because: tuple[str, ...]


def value_percent(category: Category, limits: Limits) -> int:
    """The share of the value a routine change stays within: works have the larger one."""
    if category is Category.WORKS:
        return limits.value_percent_works
    return limits.value_percent_goods_services


def approvals_needed(change: Change, limits: Limits) -> Approvals:
    """Procurement approves every change; legal too where it goes beyond the s.74 limits:
    the changes together move the value by more than its share of the value at award
    (a below-threshold modification is "not more than" it), the end date moves by more than
    the term's share (a substantial modification), or the value crosses the procurement
    threshold (a convertible contract)."""
    because: list[str] = []
    share = value_percent(change.category, limits)
    moved = change.earlier_changes_pence + abs(change.value_change_pence)
    if moved * 100 > share * change.award_value_pence:
        because.append(
            f"together with earlier changes it moves the value by more than {share}% of the "
            "value at award (Procurement Act 2023 s.74)"
        )
    if change.new_end_date is not None:
        term = (change.award_end_date - change.start_date).days
        shift = abs((change.new_end_date - change.award_end_date).days)
        if shift * 100 > limits.term_percent * max(term, 0):
            because.append(
                f"it moves the end date by more than {limits.term_percent}% of the term at "
                "award (a substantial modification, Procurement Act 2023 s.74)"
            )
    after = change.value_now_pence + change.value_change_pence
    if change.value_now_pence < change.threshold_pence <= after:
        because.append(
            "it takes the value over the procurement threshold (a convertible contract, "
            "Procurement Act 2023 s.74 and Schedule 8)"
        )
    roles = (Role.PROCUREMENT, Role.LEGAL) if because else (Role.PROCUREMENT,)
    return Approvals(roles=roles, legal_because=tuple(because))


def change_problem(
    *,
    value_change_pence: int,
    new_end_date: date | None,
    value_now_pence: int,
    start_date: date,
    end_date: date,
) -> tuple[str, str]:
    """Why a proposed change cannot be made, with the field at fault; ('', '') when it can."""
    if value_change_pence == 0 and new_end_date is None:
        return "a variation must change the value, the end date or both", "value_change_pence"
    if value_now_pence + value_change_pence < 0:
        return "the value cannot fall below nothing", "value_change_pence"
    if new_end_date is not None:
        if new_end_date == end_date:
            return "new_end_date is the contract's end date already", "new_end_date"
        if new_end_date <= start_date:
            return "new_end_date must be after the contract start date", "new_end_date"
    return "", ""


def decision_refusal(
    *,
    roles: tuple[Role, ...] | list[Role],
    approval_role: Role,
    user_id: int,
    proposer_id: int,
    requester_id: int,
    other_approvers: tuple[int, ...] | list[int],
) -> str:
    """Why this person may not give this approval, or '' when they may. Segregation of duties:
    the proposer and the case's requester do not approve, nor does one officer give both."""
    if approval_role not in roles:
        return f"only the {approval_role.value} role gives this approval"
    if user_id == proposer_id:
        return "you proposed this variation, so another officer must approve it"
    if user_id == requester_id:
        return "the requester of a case cannot decide its approvals"
    if user_id in other_approvers:
        return "you gave the other approval of this variation, so another officer must give this"
    return ""


def approval_rule(
    approval_role: Role, proposer_id: int, requester_id: int, other_approvers: Sequence[int]
) -> Callable[[int, Sequence[Role]], str]:
    """`decision_refusal` for one approval, as a rule of (person, their roles): asked of an
    officer deciding in their own right, and of both people when one decides for the other by
    delegation (lifecycle.delegation.refusal_by_delegation)."""
    return lambda person_id, roles: decision_refusal(
        roles=list(roles),
        approval_role=approval_role,
        user_id=person_id,
        proposer_id=proposer_id,
        requester_id=requester_id,
        other_approvers=list(other_approvers),
    )


def outcome(decisions: list[str | None], statuses: list[str]) -> VariationStatus:
    """A variation is rejected by any rejection, approved once every approval is given."""
    if VariationDecision.REJECT.value in decisions:
        return VariationStatus.REJECTED
    if all(status == ApprovalStatus.DECIDED.value for status in statuses) and all(
        decision == VariationDecision.APPROVE.value for decision in decisions
    ):
        return VariationStatus.APPROVED
    return VariationStatus.PENDING
