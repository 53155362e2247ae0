"""Users, roles and API tokens (shown once, stored as SHA-256)."""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from lifecycle.db import get_row
from lifecycle.errors import Conflict, Invalid, NotFound, Unauthenticated
from lifecycle.models import Case, User, WebSession
from lifecycle.rules import Role


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


def create(session: Session, *, name: str, email: str, roles: Iterable[str]) -> tuple[User, str]:
    """Create a user and return it with its token, which is never shown again."""
    name, email = name.strip(), email.strip().lower()
    if not name:
        raise Invalid("name must not be empty", field="name")
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise Invalid(f"{email!r} is not an email address", field="email")
    try:
        parsed = sorted({Role(value.strip()) for value in roles}, key=list(Role).index)
    except ValueError as exc:
        allowed = ", ".join(role.value for role in Role)
        raise Invalid(f"unknown role ({exc}); roles are: {allowed}", field="roles") from exc
    if not parsed:
        raise Invalid("a user needs at least one role", field="roles")
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"a user with email {email} already exists", field="email")
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
    """A leaver: the token and every browser session stop working and no mail goes to them;
    their history stays."""
    user = by_email(session, email=email)
    user.active = False
    session.add(user)
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
    return user


def authenticate(session: Session, *, token: str) -> User:
    """The active user holding `token`."""
    user = session.exec(select(User).where(User.token_hash == hash_token(token))).first()
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


def with_role(session: Session, *, role: Role) -> list[User]:
    """Active users holding `role` (the people a gate of that role waits on)."""
    return [user for user in list_(session) if user.active and role in roles_of(user)]
