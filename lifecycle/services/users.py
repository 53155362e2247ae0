"""Users, roles and API tokens (shown once, stored as SHA-256)."""

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, literal
from sqlmodel import Session, col, select

from lifecycle.access import Area, refusal
from lifecycle.db import get_row
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from lifecycle.handover import deactivation_conflict, role_change_conflict
from lifecycle.models import Case, Invitation, Password, User, utcnow
from lifecycle.rules import Role, Status
from lifecycle.services import accounts, audit
from lifecycle.settings import Settings


def hash_token(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def roles_of(user: User) -> list[Role]:
    """The user's roles as enum members."""
    return [Role(value) for value in user.roles.split(",") if value]


def has_role(user: User, *roles: Role) -> bool:
    """Whether the user holds any of `roles`."""
    held = roles_of(user)
    return any(role in held for role in roles)


_MAX_NAME = 200
_MAX_EMAIL = 320


def _email_problem(email: str) -> str:
    """What is wrong with an email address, or '' (one @, something either side, a dot in the
    domain, no spaces: enough to catch a slip, without pretending to verify the mailbox)."""
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "@" in local
        or "." not in domain.strip(".")
        or any(character.isspace() for character in email)
    ):
        return "Enter an email address in the correct format, like name@council.example"
    if len(email) > _MAX_EMAIL:
        return f"The email address must be {_MAX_EMAIL} characters or fewer"
    return ""


def parse_roles(roles: Iterable[str]) -> list[Role]:
    """Role names as roles, in the order of `Role`; refused when empty or unknown."""
    try:
        parsed = sorted({Role(value.strip()) for value in roles}, key=list(Role).index)
    except ValueError as exc:
        allowed = ", ".join(role.value for role in Role)
        # The message names the roles there are, never what was sent: it may be anything.
        raise Invalid(f"unknown role; roles are: {allowed}", field="roles") from exc
    if not parsed:
        raise Invalid("Select at least one role", field="roles")
    return parsed


def create(session: Session, *, name: str, email: str, roles: Iterable[str]) -> tuple[User, str]:
    """Create a user and return it with its token, which is never shown again."""
    name, email = name.strip(), email.strip().lower()
    if not name:
        raise Invalid("Enter the user's name", field="name")
    if len(name) > _MAX_NAME:
        raise Invalid(f"The name must be {_MAX_NAME} characters or fewer", field="name")
    problem = _email_problem(email)
    if problem:
        raise Invalid(problem, field="email")
    parsed = parse_roles(roles)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict("A user with this email address already exists", field="email")
    token = secrets.token_urlsafe(32)
    user = User(
        name=name,
        email=email,
        roles=",".join(role.value for role in parsed),
        token_hash=hash_token(token),
    )
    session.add(user)
    session.flush()
    return user, token


def by_email(session: Session, *, email: str) -> User:
    """One user by email address."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user with email {email}", field="email")
    return user


def rotate_token(session: Session, *, email: str) -> tuple[User, str]:
    """Replace a user's token (a lost or leaked one stops working at once)."""
    user = by_email(session, email=email)
    token = secrets.token_urlsafe(32)
    user.token_hash = hash_token(token)
    session.add(user)
    return user, token


def deactivate(session: Session, *, email: str) -> User:
    """A leaver: the token, every browser session and any invitation link stop working, and
    no mail goes to them; their history stays (reactivating them needs a new invitation)."""
    user = by_email(session, email=email)
    assert user.id is not None
    if conflict := deactivation_conflict(user.name, live_contract_count(session, user_id=user.id)):
        raise Conflict(conflict, field="successor_id")
    user.active = False
    session.add(user)
    assert user.id is not None
    accounts.end_sessions(session, user_id=user.id)
    accounts.retire_invitations(session, user_id=user.id)
    return user


def live_contract_count(session: Session, *, user_id: int) -> int:
    """How many cases not yet closed this person is the named contract manager of."""
    return session.exec(
        select(func.count())
        .select_from(Case)
        .where(Case.contract_manager_id == user_id, Case.status != Status.CLOSED.value)
    ).one()


# Built once: every API request is signed in with it.
_HOLDING_TOKEN = select(User).where(col(User.token_hash) == bindparam("token_hash"))


def authenticate(session: Session, *, token: str) -> User:
    """The active user holding `token`."""
    user = session.exec(_HOLDING_TOKEN, params={"token_hash": hash_token(token)}).first()
    if user is None or not user.active:
        raise Unauthenticated("the API token is not valid")
    return user


def get(session: Session, *, user_id: int) -> User:
    """One user by id."""
    user = get_row(session, User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", field="user_id")
    return user


def list_(session: Session) -> list[User]:
    """Every user, oldest first."""
    return list(session.exec(select(User).order_by(col(User.id))))


@dataclass(frozen=True)
class CasePeople:
    """The people a case names: its requester and, once named, its contract manager."""

    requester: User
    manager: User | None

    @property
    def everyone(self) -> list[User]:
        """Requester and manager (when named)."""
        return [self.requester, *([self.manager] if self.manager else [])]


def case_people(session: Session, *, case: Case) -> CasePeople:
    """The requester and contract manager of a case."""
    requester = session.get(User, case.requester_id)
    assert requester is not None
    manager = session.get(User, case.contract_manager_id) if case.contract_manager_id else None
    return CasePeople(requester=requester, manager=manager)


def holding(role: Role) -> ColumnElement[bool]:
    """Active users holding `role`, as a condition on the user table: the comma-separated
    roles, with a comma either side, contain the role's own (so one role's name inside
    another's never counts)."""
    roles = literal(",") + col(User.roles) + literal(",")
    return and_(col(User.active).is_(True), roles.contains(f",{role.value},", autoescape=True))


def with_role(session: Session, *, role: Role) -> list[User]:
    """Active users holding `role` (the people a gate of that role waits on), oldest first;
    only they are read, not every user."""
    return list(session.exec(select(User).where(holding(role)).order_by(col(User.id))))


# Managing users from the pages. Each refuses anyone but an admin, and each change is an audit
# event with no case (the audit table has room for them; nothing else needs a table of its own).


def _require(by: User, area: Area) -> None:
    """Refuse `by` unless their roles open `area`."""
    refused = refusal(roles_of(by), area)
    if refused:
        raise Forbidden(refused)


def _audit(session: Session, *, by: User, action: str, user: User, **detail: Any) -> None:
    """Record a change to a user, and who made it."""
    audit.record(
        session,
        case=None,
        actor_id=by.id,
        action=action,
        user_id=user.id,
        email=user.email,
        **detail,
    )


@dataclass(frozen=True)
class Account:
    """A user and how they sign in to the pages."""

    user: User
    password_set: bool
    invited_until: datetime | None  # expiry of a live, unused invitation
    invitation_expired: bool  # an invitation went unused until it expired, and none is live


def _accounts(session: Session, people: Sequence[User]) -> list[Account]:
    """How each of `people` signs in: two queries, however many people."""
    ids = [person.id for person in people]
    with_password = set(
        session.exec(select(Password.user_id).where(col(Password.user_id).in_(ids)))
    )
    unused = session.exec(
        select(Invitation.user_id, func.max(Invitation.expires_at))
        .where(col(Invitation.used_at).is_(None), col(Invitation.user_id).in_(ids))
        .group_by(col(Invitation.user_id))
    ).all()
    latest = {user_id: expires for user_id, expires in unused}
    now = utcnow()
    found = []
    for person in people:
        expires = latest.get(person.id) if person.id is not None else None
        found.append(
            Account(
                user=person,
                password_set=person.id in with_password,
                invited_until=expires if expires is not None and expires > now else None,
                invitation_expired=expires is not None and expires <= now,
            )
        )
    return found


def directory(session: Session, *, by: User) -> list[Account]:
    """Every user by name, with whether they have a password or an invitation waiting; for
    admins and auditors."""
    _require(by, Area.READ_USERS)
    return _accounts(
        session, session.exec(select(User).order_by(col(User.name), col(User.id))).all()
    )


def account(session: Session, *, by: User, user_id: int) -> Account:
    """One user and how they sign in; for admins and auditors."""
    _require(by, Area.READ_USERS)
    return _accounts(session, [get(session, user_id=user_id)])[0]


def require_manager(*, by: User) -> None:
    """Refuse anyone who may not manage users (before showing them a form only admins can use)."""
    _require(by, Area.MANAGE_USERS)


def add(
    session: Session,
    *,
    by: User,
    name: str,
    email: str,
    roles: Iterable[str],
    invite: bool,
    settings: Settings,
) -> tuple[User, str]:
    """An admin adds a user, and (if asked) emails them a link to choose a password. Returns
    the user and their API token, which is shown this once."""
    _require(by, Area.MANAGE_USERS)
    user, token = create(session, name=name, email=email, roles=roles)
    _audit(session, by=by, action="user_created", user=user, roles=user.roles)
    if invite:
        accounts.invite(session, user=user, invited_by=by, settings=settings)
        _audit(session, by=by, action="user_invited", user=user)
    return user, token


def change_roles(session: Session, *, by: User, user_id: int, roles: Iterable[str]) -> User:
    """An admin changes a user's roles; nobody removes their own admin role (so there is
    always an admin left to put things right)."""
    _require(by, Area.MANAGE_USERS)
    user = get(session, user_id=user_id)
    parsed = parse_roles(roles)
    if user.id == by.id and Role.ADMIN not in parsed:
        raise Invalid(
            "You cannot remove your own admin role. Ask another admin to do it", field="roles"
        )
    if has_role(user, Role.CONTRACT_MANAGER) and Role.CONTRACT_MANAGER not in parsed:
        assert user.id is not None
        live = live_contract_count(session, user_id=user.id)
        if conflict := role_change_conflict(user.name, live):
            raise Conflict(conflict, field="roles")
    before, user.roles = user.roles, ",".join(role.value for role in parsed)
    if user.roles != before:
        session.add(user)
        _audit(
            session, by=by, action="user_roles_changed", user=user, before=before, after=user.roles
        )
    return user


def switch_off(session: Session, *, by: User, user_id: int) -> User:
    """An admin deactivates a leaver: their token and every browser session stop at once.
    Nobody deactivates themselves."""
    _require(by, Area.MANAGE_USERS)
    user = get(session, user_id=user_id)
    if user.id == by.id:
        raise Conflict("You cannot deactivate yourself. Ask another admin to do it")
    if user.active:
        deactivate(session, email=user.email)
        _audit(session, by=by, action="user_deactivated", user=user)
    return user


def reactivate(session: Session, *, by: User, user_id: int) -> User:
    """An admin switches a user back on: their token and password work again."""
    _require(by, Area.MANAGE_USERS)
    user = get(session, user_id=user_id)
    if not user.active:
        user.active = True
        session.add(user)
        _audit(session, by=by, action="user_reactivated", user=user)
    return user


def send_invitation(session: Session, *, by: User, user_id: int, settings: Settings) -> User:
    """An admin emails a user a new link to choose a password; earlier links stop working."""
    _require(by, Area.MANAGE_USERS)
    user = get(session, user_id=user_id)
    accounts.invite(session, user=user, invited_by=by, settings=settings)
    _audit(session, by=by, action="user_invited", user=user)
    return user
