"""Signing in to the pages: passwords (Argon2id), browser sessions and invitations. API tokens
for machines stay in `users`."""

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from lifecycle.errors import Conflict, DomainError, Invalid
from lifecycle.models import Invitation, Password, SignInFailure, User, WebSession, utcnow
from lifecycle.services import outbox, users
from lifecycle.settings import Settings
from lifecycle.signin import Throttle, password_problem, wait_until
from notifications import Notification

# One address is one person: five free tries. One client may be a whole office behind a proxy:
# it gets more, so that one person's mistakes do not make everyone wait, yet a guesser sweeping
# many addresses from one machine still slows down.
ADDRESS_THROTTLE = Throttle()
CLIENT_THROTTLE = Throttle(free=50)
WRONG_CREDENTIALS = "The email address or password is not right"


class TooManyAttempts(DomainError):
    """Sign-in is paused after repeated failures."""

    status_code = 429


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    """argon2-cffi's defaults: Argon2id with the RFC 9106 low-memory profile (64 MiB, 3 passes)."""
    return PasswordHasher()


@lru_cache(maxsize=1)
def decoy_hash() -> str:
    """A hash to verify against when the address is unknown, so that answer takes as long as a
    wrong password and does not tell which addresses have accounts."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _digest(token: str) -> str:
    """Session and invitation tokens are long and random: SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(session: Session, *, user: User, password: str) -> None:
    """Give the user a new password; every browser signed in as them is signed out."""
    problem = password_problem(password, email=user.email)
    if problem:
        raise Invalid(problem, field="password")
    assert user.id is not None
    row = session.get(Password, user.id) or Password(user_id=user.id, hash="")
    row.hash = _hasher().hash(password)
    row.changed_at = utcnow()
    session.add(row)
    end_sessions(session, user_id=user.id)


def _check_throttle(
    session: Session, *, subjects: list[tuple[str, Throttle]], now: datetime
) -> None:
    """Refuse the attempt while earlier failures for the address or the client make it wait."""
    for subject, throttle in subjects:
        failures = session.exec(
            select(SignInFailure.at).where(
                SignInFailure.subject == subject, SignInFailure.at >= now - throttle.window
            )
        ).all()
        until = wait_until(failures, now, throttle)
        if until is not None:
            minutes = max(1, -(-int((until - now).total_seconds()) // 60))
            raise TooManyAttempts(
                "There have been too many attempts to sign in. "
                f"Wait {minutes} minute{'s' if minutes > 1 else ''} and try again"
            )


def sign_in(
    session: Session, *, email: str, password: str, client: str, settings: Settings
) -> tuple[User, str] | None:
    """Check the password and open a browser session; returns the user and the cookie token,
    or None for a wrong address or password (the same answer for an unknown or deactivated
    user). Failures are recorded, to be committed, against the address and the client; enough
    of them make the next attempts wait (TooManyAttempts)."""
    now = utcnow()
    address = email.strip().lower()[:320]
    subjects = [(f"email:{address}", ADDRESS_THROTTLE), (f"client:{client[:64]}", CLIENT_THROTTLE)]
    _check_throttle(session, subjects=subjects, now=now)
    user = session.exec(select(User).where(User.email == address)).first()
    stored = session.get(Password, user.id) if user is not None else None
    try:
        _hasher().verify(stored.hash if stored else decoy_hash(), password[:1024])
        verified = stored is not None
    except (VerificationError, InvalidHashError):
        verified = False
    if user is None or stored is None or not verified or not user.active:
        for subject, _ in subjects:
            session.add(SignInFailure(subject=subject, at=now))
        return None
    if _hasher().check_needs_rehash(stored.hash):
        stored.hash = _hasher().hash(password)
        session.add(stored)
    session.execute(delete(SignInFailure).where(col(SignInFailure.subject) == subjects[0][0]))
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=now + timedelta(hours=settings.session_hours),
        )
    )
    return user, token


def signed_in(session: Session, *, token: str) -> tuple[WebSession, User] | None:
    """The live session behind a cookie and its user; None once it has expired or the user
    was deactivated (which ends it at once, whatever its expiry)."""
    row = session.exec(select(WebSession).where(WebSession.token_hash == _digest(token))).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or row.expires_at <= utcnow():
        return None
    return row, user


def sign_out(session: Session, *, token: str) -> None:
    """End the browser session behind this cookie."""
    session.execute(delete(WebSession).where(col(WebSession.token_hash) == _digest(token)))


def end_sessions(session: Session, *, user_id: int) -> None:
    """Sign the user out everywhere (a new password, a deactivation)."""
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id))


def set_flash(session: Session, *, web_session: WebSession, message: str) -> None:
    """A message for the next page this browser is shown."""
    web_session.flash = message[:500]
    session.add(web_session)


def take_flash(session: Session, *, web_session: WebSession) -> str | None:
    """The waiting message, once."""
    message, web_session.flash = web_session.flash, None
    if message is not None:
        session.add(web_session)
    return message


def invite(
    session: Session, *, user: User, invited_by: User | None, settings: Settings
) -> tuple[Invitation, str]:
    """Send the user a one-time link to set their password; earlier unused links stop working."""
    if not user.active:
        raise Conflict(f"{user.name} is deactivated: reactivate them before inviting them")
    assert user.id is not None
    now = utcnow()
    retire_invitations(session, user_id=user.id)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_digest(token),
        user_id=user.id,
        invited_by=invited_by.id if invited_by else None,
        expires_at=now + timedelta(hours=settings.invitation_hours),
    )
    session.add(invitation)
    session.flush()
    outbox.enqueue_account_mail(
        session,
        key=f"invitation:{invitation.id}",
        notification=Notification.INVITATION,
        to=user,
        name=user.name,
        invited_by=invited_by.name if invited_by else "An administrator",
        roles=", ".join(role.value.replace("_", " ") for role in users.roles_of(user)),
        invitation_url=f"{settings.base_url}/app/set-password?token={token}",
        expires_in_hours=settings.invitation_hours,
    )
    return invitation, token


def retire_invitations(session: Session, *, user_id: int) -> None:
    """Every link not yet used stops working (a newer invitation, a deactivation)."""
    session.execute(
        update(Invitation)
        .where(col(Invitation.user_id) == user_id, col(Invitation.used_at).is_(None))
        .values(used_at=utcnow())
    )


def invitation_for(session: Session, *, token: str) -> tuple[Invitation, User]:
    """The live invitation behind a link: refused once used, expired, or its user switched off."""
    row = session.exec(
        select(Invitation).where(Invitation.token_hash == _digest(token[:100]))
    ).first()
    if row is None:
        raise Invalid("This link is not valid. Ask an administrator for a new one", field="token")
    if row.used_at is not None:
        raise Invalid(
            "This link has already been used. Sign in, or ask an administrator for a new one",
            field="token",
        )
    if row.expires_at <= utcnow():
        raise Invalid("This link has expired. Ask an administrator for a new one", field="token")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Invalid("This link is not valid. Ask an administrator for a new one", field="token")
    return row, user


def accept_invitation(session: Session, *, token: str, password: str) -> User:
    """Set the password the invitation asked for; the link then stops working."""
    invitation, user = invitation_for(session, token=token)
    # The conditional update is the lock: of two uses of one link at once, one sets nothing.
    # It comes before the password is written, so the second use waits here and is refused,
    # rather than racing the first to insert the same password row (an error on PostgreSQL).
    claimed = session.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.used_at).is_(None))
        .values(used_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        raise Conflict(
            "This link has already been used. Sign in, or ask an administrator for a new one",
            field="token",
        )
    set_password(session, user=user, password=password)
    return user


def purge_expired(session: Session) -> int:
    """Remove what no longer signs anyone in or slows anyone down: expired browser sessions,
    failed sign-ins older than any throttle window, and invitations past their expiry."""
    now = utcnow()
    oldest_failure = now - max(ADDRESS_THROTTLE.window, CLIENT_THROTTLE.window)
    removed = 0
    for statement in (
        delete(WebSession).where(col(WebSession.expires_at) <= now),
        delete(SignInFailure).where(col(SignInFailure.at) < oldest_failure),
        delete(Invitation).where(col(Invitation.expires_at) <= now),
    ):
        removed += session.execute(statement).rowcount  # type: ignore[attr-defined]
    return removed
