"""Delegation of gates while someone is away: to a colleague holding the same role, for a
bounded period. Pure: plain values in and out. Segregation of duties applies to both people: a
decision by delegation stands only where the delegate could decide the gate themselves and
the person they stand in for could too (`rules.may_decide`, whatever the gate's kind)."""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from lifecycle.rules import GateKind, Role, may_decide


@dataclass(frozen=True)
class Cover:
    """One delegation as plain values."""

    delegator_id: int
    delegate_id: int
    role: Role
    starts_on: date
    ends_on: date
    withdrawn: bool = False


def in_force(cover: Cover, today: date) -> bool:
    """Whether the delegation applies today: not withdrawn, and today within its dates."""
    return not cover.withdrawn and cover.starts_on <= today <= cover.ends_on


def period_problem(starts_on: date, ends_on: date, today: date, max_days: int) -> tuple[str, str]:
    """(field, why) when the dates cannot make a delegation, else ('', '')."""
    if starts_on < today:
        return "starts_on", "starts_on cannot be in the past"
    if ends_on < starts_on:
        return "ends_on", "ends_on cannot be before starts_on"
    if (ends_on - starts_on).days + 1 > max_days:
        return "ends_on", f"a delegation can last at most {max_days} days"
    return "", ""


def delegate_problem(
    delegator_id: int,
    delegate_id: int,
    delegate_active: bool,
    role: Role,
    delegator_roles: Collection[Role],
    delegate_roles: Collection[Role],
    deciding_roles: Collection[Role],
) -> tuple[str, str]:
    """(field, why) when this person cannot take this role's gates, else ('', '')."""
    if role not in deciding_roles:
        return "role", "only a role that decides gates can be delegated"
    if role not in delegator_roles:
        return "role", "you can delegate only a role you hold"
    if delegate_id == delegator_id:
        return "delegate_id", "choose someone other than yourself"
    if not delegate_active:
        return "delegate_id", "the delegate is deactivated"
    if role not in delegate_roles:
        return "delegate_id", "the delegate must hold the role being delegated"
    return "", ""


def overlaps(cover: Cover, others: Sequence[Cover]) -> bool:
    """Whether another live delegation of the same role by the same person shares a day
    (one stand-in at a time, so nobody wonders whose turn it is)."""
    return any(
        not other.withdrawn
        and other.delegator_id == cover.delegator_id
        and other.role == cover.role
        and other.starts_on <= cover.ends_on
        and cover.starts_on <= other.ends_on
        for other in others
    )


# A person's own refusal for the decision at hand ('' when they may make it): for a case's
# gate, `rules.may_decide`; any other approval (a variation's, say) brings its own.
OwnRefusal = Callable[[int, Sequence[Role]], str]


def refusal_by_delegation(
    own: OwnRefusal,
    delegate: tuple[int, Sequence[Role]],
    delegator: tuple[int, Sequence[Role]],
    covered: bool,
    what: str = "this gate",
) -> str:
    """Why the delegate may not make this decision (`what`: this gate, this approval) on the
    delegator's behalf, or '' when they may: a delegation must be in force (`covered`), and
    each of them must be able to make it in their own right, so a delegation never gets
    anyone past segregation of duties."""
    if not covered:
        return f"you hold no delegation in force for the role of {what} from that person"
    if mine := own(*delegate):
        return f"you cannot decide {what} by delegation: {mine}"
    if theirs := own(*delegator):
        return (
            f"the person you stand in for could not decide {what} themselves, so nobody "
            f"can on their behalf ({theirs})"
        )
    return ""


def gate_refusal(
    kind: GateKind, requester_id: int, prepared: Mapping[int, str] | None
) -> OwnRefusal:
    """A case gate's own refusal: the same rule as a decision in one's own right."""
    return lambda person_id, roles: may_decide(roles, person_id, requester_id, kind, prepared)


def delegated_refusal(
    kind: GateKind,
    requester_id: int,
    prepared: Mapping[int, str] | None,
    delegate: tuple[int, Sequence[Role]],
    delegator: tuple[int, Sequence[Role]],
    covered: bool,
) -> str:
    """Why the delegate may not decide this case gate on the delegator's behalf, or ''."""
    return refusal_by_delegation(
        gate_refusal(kind, requester_id, prepared), delegate, delegator, covered
    )


def standing_in_for(
    kind: GateKind,
    requester_id: int,
    prepared: Mapping[int, str] | None,
    delegate: tuple[int, Sequence[Role]],
    delegators: Sequence[tuple[int, Sequence[Role]]],
) -> list[int]:
    """Of the people whose delegation to `delegate` is in force, those on whose behalf the
    delegate may decide this gate (each passes segregation of duties, as the delegate does)."""
    return [
        delegator[0]
        for delegator in delegators
        if not delegated_refusal(kind, requester_id, prepared, delegate, delegator, True)
    ]
