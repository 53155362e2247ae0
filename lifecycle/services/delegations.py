"""Delegations: someone away hands their gates of one role to a colleague holding it, for a
bounded period. While one is in force the delegate sees those gates as waiting on them, is
reminded with the delegator, and may decide on the delegator's behalf, where segregation of
duties lets both of them decide (lifecycle/delegation.py)."""

from collections.abc import Iterable, Mapping

from sqlmodel import Session, col, or_, select

from lifecycle import clock
from lifecycle.db import get_row
from lifecycle.delegation import (
    Cover,
    OwnRefusal,
    delegate_problem,
    gate_refusal,
    in_force,
    overlaps,
    period_problem,
    refusal_by_delegation,
    standing_in_for,
)
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.models import Case, Delegation, User, utcnow
from lifecycle.rules import GATE_ROLE, GateKind, Role
from lifecycle.schemas import DelegationIn
from lifecycle.services import audit, progress, users
from lifecycle.settings import Settings

LIMIT = 200


def cover(row: Delegation) -> Cover:
    """A delegation row as plain values."""
    return Cover(
        delegator_id=row.delegator_id,
        delegate_id=row.delegate_id,
        role=Role(row.role),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        withdrawn=row.withdrawn_at is not None,
    )


def create(
    session: Session, *, by: User, delegation: DelegationIn, settings: Settings
) -> Delegation:
    """`by` delegates their gates of one role to a colleague holding it, for a period."""
    assert by.id is not None
    field, problem = period_problem(
        delegation.starts_on, delegation.ends_on, clock.today(), settings.delegation_max_days
    )
    if problem:
        raise Invalid(problem, field=field)
    # Whether the delegator may delegate this role is judged before anything about the delegate,
    # and an unknown delegate is refused like one without the role: ids cannot be probed.
    delegate = session.get(User, delegation.delegate_id)
    field, problem = delegate_problem(
        by.id,
        delegate.id or 0 if delegate else 0,
        delegate.active if delegate else True,
        delegation.role,
        users.roles_of(by),
        users.roles_of(delegate) if delegate else frozenset(),
        frozenset(GATE_ROLE.values()),
    )
    if problem:
        raise Invalid(problem, field=field)
    assert delegate is not None and delegate.id is not None
    row = Delegation(
        delegator_id=by.id,
        delegate_id=delegate.id,
        role=delegation.role.value,
        starts_on=delegation.starts_on,
        ends_on=delegation.ends_on,
    )
    if overlaps(cover(row), [cover(other) for other in _live_given(session, by.id)]):
        raise Conflict(
            f"you already delegate your {row.role} gates for some of these days: withdraw that "
            "delegation first",
            field="starts_on",
        )
    session.add(row)
    session.flush()
    audit.record(
        session,
        case=None,
        actor_id=by.id,
        action="gates_delegated",
        delegation_id=row.id,
        delegator=by.name,
        delegate_id=delegate.id,
        delegate=delegate.name,
        role=row.role,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
    )
    return row


def _live_given(session: Session, delegator_id: int) -> list[Delegation]:
    """The person's delegations not withdrawn and not yet over."""
    return list(
        session.exec(
            select(Delegation).where(
                Delegation.delegator_id == delegator_id,
                col(Delegation.withdrawn_at).is_(None),
                Delegation.ends_on >= clock.today(),
            )
        )
    )


def list_mine(session: Session, *, me: User) -> list[Delegation]:
    """The delegations `me` gave or received, latest start first (at most LIMIT)."""
    return list(
        session.exec(
            select(Delegation)
            .where(or_(Delegation.delegator_id == me.id, Delegation.delegate_id == me.id))
            .order_by(col(Delegation.starts_on).desc(), col(Delegation.id).desc())
            .limit(LIMIT)
        )
    )


def withdraw(session: Session, *, by: User, delegation_id: int) -> Delegation:
    """The delegator (or an admin) ends a delegation early, or before it starts."""
    row = get_row(session, Delegation, delegation_id)
    is_admin = users.has_role(by, Role.ADMIN)
    if row is None or (by.id not in (row.delegator_id, row.delegate_id) and not is_admin):
        # Someone else's delegation is not found, as if it did not exist.
        raise NotFound("no such delegation", field="delegation_id")
    if by.id != row.delegator_id and not is_admin:
        raise Forbidden("only the person who delegated (or an admin) withdraws a delegation")
    if row.withdrawn_at is not None:
        raise Conflict(f"this delegation was already withdrawn at {row.withdrawn_at:%Y-%m-%d}")
    if row.ends_on < clock.today():
        raise Conflict("this delegation has already ended")
    row.withdrawn_at = utcnow()
    row.withdrawn_by = by.id
    session.add(row)
    audit.record(
        session,
        case=None,
        actor_id=by.id,
        action="delegation_withdrawn",
        delegation_id=row.id,
        delegator_id=row.delegator_id,
        delegate_id=row.delegate_id,
        role=row.role,
    )
    return row


def _in_force(session: Session, *, role: str | None = None, **who: int) -> list[Delegation]:
    """Delegations in force today, of `role` if given, narrowed by delegator or delegate id."""
    today = clock.today()
    query = select(Delegation).where(
        col(Delegation.withdrawn_at).is_(None),
        Delegation.starts_on <= today,
        Delegation.ends_on >= today,
    )
    if role is not None:
        query = query.where(Delegation.role == role)
    for name, value in who.items():
        query = query.where(getattr(Delegation, name) == value)
    return [row for row in session.exec(query) if in_force(cover(row), today)]


def delegator_for(
    session: Session,
    *,
    user: User,
    delegator_id: int,
    role: str,
    own: OwnRefusal,
    what: str = "this gate",
) -> User:
    """The person `user` decides for, refused unless a delegation of `role` is in force between
    them and each could make the decision in their own right (`own`: that rule, e.g.
    `delegation.gate_refusal(...)` for a case's gate, or a variation approval's own)."""
    assert user.id is not None
    covered = bool(_in_force(session, role=role, delegator_id=delegator_id, delegate_id=user.id))
    delegator = session.get(User, delegator_id) if covered else None
    covered = covered and delegator is not None and delegator.active
    roles = users.roles_of(delegator) if delegator is not None else []
    refused = refusal_by_delegation(
        own, (user.id, users.roles_of(user)), (delegator_id, roles), covered, what
    )
    if refused:
        raise Forbidden(refused, field="on_behalf_of")
    assert delegator is not None
    return delegator


def standing_in(
    session: Session,
    *,
    me: User,
    gates: Iterable[tuple[int, GateKind, str, int, Mapping[int, str]]],
) -> dict[int, list[str]]:
    """For each (case id, gate kind, gate role, requester, preparers) of a pending gate, the
    names of the people `me` may decide it for by delegation (two queries in all)."""
    assert me.id is not None
    rows = _in_force(session, delegate_id=me.id)
    if not rows:
        return {}
    people = {
        person.id: person
        for person in session.exec(
            select(User).where(col(User.id).in_({row.delegator_id for row in rows}))
        )
        if person.active
    }
    mine = (me.id, users.roles_of(me))
    found: dict[int, list[str]] = {}
    for case_id, kind, role, requester_id, prepared in gates:
        delegators = [
            (row.delegator_id, users.roles_of(people[row.delegator_id]))
            for row in rows
            if row.role == role and row.delegator_id in people
        ]
        ids = standing_in_for(kind, requester_id, prepared, mine, delegators)
        if ids:
            found[case_id] = [people[each].name for each in ids]
    return found


def covered_colleagues(session: Session, *, me: User, role: str, own: OwnRefusal) -> list[User]:
    """The colleagues whose delegation of `role` to `me` is in force and for whom `me` may
    make the decision `own` rules on (both of them pass it), e.g. a variation's approval."""
    assert me.id is not None
    mine = (me.id, users.roles_of(me))
    people = [
        person
        for row in _in_force(session, role=role, delegate_id=me.id)
        if (person := session.get(User, row.delegator_id)) is not None and person.active
    ]
    return [
        person
        for person in people
        if person.id is not None
        and not refusal_by_delegation(own, mine, (person.id, users.roles_of(person)), True)
    ]


def deciding_roles(me: User) -> list[Role]:
    """The roles of `me` that decide gates: the ones they may delegate."""
    deciding = set(GATE_ROLE.values())
    return [role for role in users.roles_of(me) if role in deciding]


def candidates(session: Session, *, me: User) -> list[User]:
    """Active colleagues holding a role `me` may delegate, by name (for the page's choice)."""
    mine = set(deciding_roles(me))
    return sorted(
        (
            person
            for person in users.list_(session)
            if person.active and person.id != me.id and mine & set(users.roles_of(person))
        ),
        key=lambda person: (person.name, person.id or 0),
    )


def stand_in_for(session: Session, *, me: User, case: Case) -> list[User]:
    """The people on whose behalf `me` may decide the gate this case waits on (for the case
    page's choice), segregation of duties checked for both."""
    assert case.id is not None
    gate = progress.pending_gate(session, case_id=case.id)
    if gate is None:
        return []
    kind = GateKind(gate.kind)
    prepared = progress.preparers(session, case_id=case.id, kind=kind)
    own = gate_refusal(kind, case.requester_id, prepared)
    return covered_colleagues(session, me=me, role=gate.role, own=own)
