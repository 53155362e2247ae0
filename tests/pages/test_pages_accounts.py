"""Accounts through the pages: forms refused without their own CSRF token, Secure cookies over
HTTPS, a leaver's session ending at once, invitation links that expire and work once (even
used twice at the same moment), throttled sign-in that lifts after the wait, and a `next`
address that never leads off the site."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from lifecycle.db import transaction
from lifecycle.errors import DomainError
from lifecycle.models import Invitation, Password, SignInFailure, User, WebSession, utcnow
from lifecycle.services import accounts, users
from lifecycle.settings import Settings, get_settings
from tests.e2e.support import wait_until
from tests.pages.conftest import PASSWORD, Browser, csrf_of

WRONG = "The email address or password is not right"
REFUSED_FORM = "did not come from this page as you last saw it"


def invite(engine: Engine, settings: Settings, user: User) -> str:
    """An invitation for `user`; returns the token its link carries."""
    with transaction(engine) as session:
        return accounts.invite(session, user=user, invited_by=None, settings=settings)[1]


def link(token: str) -> str:
    """The set-password page an invitation links to."""
    return f"/app/set-password?token={token}"


def choose_password(person: Browser, token: str, password: str = PASSWORD) -> Any:
    """Open the invitation link and send the form."""
    fields = {"token": token, "password": password, "confirm": password}
    return person.submit(link(token), "/app/set-password", fields)


def sign_in(person: Browser, email: str, password: str = PASSWORD, **fields: str) -> Any:
    """Send the sign-in form."""
    return person.submit(
        "/app/sign-in", "/app/sign-in", {"email": email, "password": password, **fields}
    )


def is_signed_in(person: Browser) -> bool:
    """Whether the home page opens for this browser."""
    return person.get("/app/", follow_redirects=False).status_code == 200


def password_of(engine: Engine, user: User) -> Password | None:
    """The user's stored password, if any."""
    with Session(engine) as session:
        return session.get(Password, user.id)


def invitation_used(engine: Engine, user: User) -> bool:
    """Whether the user's invitation has been used."""
    with Session(engine) as session:
        row = session.exec(select(Invitation).where(Invitation.user_id == user.id)).one()
        return row.used_at is not None


def test_sign_out_without_its_own_token_is_refused_and_changes_nothing(signed_in: Any) -> None:
    rita, _, _ = signed_in("requester")
    lee, _, _ = signed_in("legal")
    lees_token = csrf_of(lee.get("/app/").text)

    for fields in ({}, {"csrf_token": ""}, {"csrf_token": lees_token}):
        answer = rita.client.post("/app/sign-out", data=fields, follow_redirects=False)
        assert answer.status_code == 403
        assert REFUSED_FORM in answer.text and "You cannot do this" in answer.text
        assert is_signed_in(rita) and is_signed_in(lee)

    assert rita.submit("/app/", "/app/sign-out", {}).status_code == 303
    assert not is_signed_in(rita) and is_signed_in(lee)


def test_set_password_without_its_own_token_is_refused_and_changes_nothing(
    engine: Engine, settings: Settings, make_user: Any, browser: Callable[[], Browser]
) -> None:
    user, _ = make_user("requester")
    token = invite(engine, settings, user)
    invitee, stranger = browser(), browser()
    assert invitee.get(link(token)).status_code == 200
    strangers_token = csrf_of(stranger.get(link(token)).text)
    fields = {"token": token, "password": PASSWORD, "confirm": PASSWORD}

    for extra in ({}, {"csrf_token": "forged"}, {"csrf_token": strangers_token}):
        answer = invitee.client.post(
            "/app/set-password", data={**fields, **extra}, follow_redirects=False
        )
        assert answer.status_code == 403 and REFUSED_FORM in answer.text
        assert password_of(engine, user) is None and not invitation_used(engine, user)

    assert invitee.get(link(token)).status_code == 200
    assert choose_password(invitee, token).status_code == 303
    assert password_of(engine, user) is not None and invitation_used(engine, user)


def test_sign_in_without_its_token_is_refused(
    engine: Engine, make_user: Any, browser: Callable[[], Browser]
) -> None:
    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    person = browser()
    person.get("/app/sign-in")
    answer = person.client.post(
        "/app/sign-in",
        data={"email": user.email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "procure_session" not in answer.headers.get(
        "set-cookie", ""
    )
    assert not is_signed_in(person)


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("https://procure.council.example", True), ("", False)],
)
def test_cookies_are_secure_when_the_public_address_is_https(
    public_url: str,
    secure: bool,
    page_app: Any,
    settings: Settings,
    engine: Engine,
    make_user: Any,
) -> None:
    """The app sees plain HTTP (TLS ends at the council's proxy): the public address decides."""
    served = settings.model_copy(update={"public_url": public_url})
    page_app.dependency_overrides[get_settings] = lambda: served
    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    with TestClient(page_app) as client:
        form = client.get("/app/sign-in")
        # The proxy's browser would send the cookie back over HTTPS; here it is sent by hand.
        answer = client.post(
            "/app/sign-in",
            data={"csrf_token": csrf_of(form.text), "email": user.email, "password": PASSWORD},
            headers={"cookie": f"procure_csrf={form.cookies['procure_csrf']}"},
            follow_redirects=False,
        )
    assert answer.status_code == 303
    csrf_cookie = form.headers["set-cookie"]
    session_cookie = next(
        cookie
        for cookie in answer.headers.get_list("set-cookie")
        if cookie.startswith("procure_session=")
    )
    assert csrf_cookie.startswith("procure_csrf=")
    for cookie in (csrf_cookie, session_cookie):
        assert ("; secure" in cookie.lower()) is secure, cookie
        assert "; httponly" in cookie.lower(), cookie


def test_a_deactivated_users_session_ends_at_once(signed_in: Any, engine: Engine) -> None:
    person, user, _ = signed_in("requester")
    assert is_signed_in(person)
    with transaction(engine) as session:
        users.deactivate(session, email=user.email)
    answer = person.get("/app/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/sign-in?next=/app/"
    with Session(engine) as session:
        assert not session.exec(select(WebSession).where(WebSession.user_id == user.id)).all()
    refused = sign_in(person, user.email)
    assert refused.status_code == 200 and WRONG in refused.text


def test_an_invitation_link_expires(
    engine: Engine,
    settings: Settings,
    make_user: Any,
    browser: Callable[[], Browser],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The link works until its hours are up (72 by default), and not from then on."""
    user, _ = make_user("requester")
    sent = utcnow()
    token = invite(engine, settings, user)
    person = browser()
    hours = timedelta(hours=settings.invitation_hours)

    monkeypatch.setattr(accounts, "utcnow", lambda: sent + hours - timedelta(minutes=1))
    assert person.get(link(token)).status_code == 200

    monkeypatch.setattr(accounts, "utcnow", lambda: sent + hours + timedelta(seconds=1))
    opened = person.get(link(token))
    assert opened.status_code == 410 and "This link has expired" in opened.text
    fields = {"token": token, "password": PASSWORD, "confirm": PASSWORD}
    answer = person.submit("/app/sign-in", "/app/set-password", fields)
    assert answer.status_code == 410 and "This link has expired" in answer.text
    assert password_of(engine, user) is None and not invitation_used(engine, user)


def test_an_invitation_link_works_once(
    engine: Engine, settings: Settings, make_user: Any, browser: Callable[[], Browser]
) -> None:
    user, _ = make_user("requester")
    token = invite(engine, settings, user)
    person = browser()
    first = choose_password(person, token)
    assert first.status_code == 303
    assert first.headers["location"] == "/app/sign-in?password_set=1"
    stored = password_of(engine, user)
    assert stored is not None

    again = person.get(link(token))
    assert again.status_code == 410 and "already been used" in again.text
    answer = person.client.post(
        "/app/set-password",
        data={
            "csrf_token": csrf_of(person.get("/app/sign-in").text),
            "token": token,
            "password": "a different password",
            "confirm": "a different password",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 410 and "already been used" in answer.text
    assert password_of(engine, user) == stored
    assert sign_in(person, user.email).status_code == 303


def test_a_newer_invitation_retires_the_older_link(
    engine: Engine, settings: Settings, make_user: Any, browser: Callable[[], Browser]
) -> None:
    user, _ = make_user("requester")
    older = invite(engine, settings, user)
    newer = invite(engine, settings, user)
    person = browser()
    assert person.get(link(older)).status_code == 410
    assert choose_password(person, newer).status_code == 303


def test_two_uses_of_one_link_at_the_same_moment_one_wins(
    engine: Engine, settings: Settings, make_user: Any, browser: Callable[[], Browser]
) -> None:
    """Two browsers send the form at once: one password is set, the other is refused in words
    (never an error), and only the winner's password signs in."""
    user, _ = make_user("requester")
    token = invite(engine, settings, user)
    people = {"first password": browser(), "second password": browser()}
    pages = {password: person.get(link(token)).text for password, person in people.items()}
    together = threading.Barrier(2)

    def send(password: str) -> int:
        person = people[password]
        fields = {"csrf_token": csrf_of(pages[password]), "token": token}
        together.wait(timeout=30)
        return person.client.post(
            "/app/set-password",
            data={**fields, "password": password, "confirm": password},
            follow_redirects=False,
        ).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcome = dict(zip(people, pool.map(send, people), strict=True))
    assert sorted(outcome.values()) == [303, 410]
    winner = next(password for password, status in outcome.items() if status == 303)
    loser = next(password for password in outcome if password != winner)
    check = browser()
    assert WRONG in sign_in(check, user.email, loser).text
    assert sign_in(check, user.email, winner).status_code == 303


def lock_waiters(engine: Engine) -> int:
    """PostgreSQL sessions of this database waiting for a lock another holds."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def test_a_use_that_waits_on_another_is_refused_once_that_one_commits(
    engine: Engine, settings: Settings, make_user: Any
) -> None:
    """The race without luck: the first use holds its transaction open until the second is
    waiting on it (on PostgreSQL, seen as a lock wait), then commits; the second is refused
    with the link's own words, not a database error."""
    user, _ = make_user("requester")
    token = invite(engine, settings, user)

    def second_use() -> str:
        try:
            with transaction(engine) as session:
                accounts.accept_invitation(session, token=token, password="second password")
        except DomainError as refusal:
            return refusal.message
        return "accepted"

    with Session(engine, expire_on_commit=False) as first:
        accounts.accept_invitation(first, token=token, password="first password")
        with ThreadPoolExecutor(max_workers=1) as pool:
            outcome = pool.submit(second_use)
            if engine.dialect.name == "postgresql":
                wait_until(lambda: lock_waiters(engine), timeout=30, what="the second use")
            first.commit()
            assert "already been used" in outcome.result(timeout=60)
    with transaction(engine) as session:
        assert accounts.sign_in(
            session, email=user.email, password="first password", client="t", settings=settings
        )


def move_failures_back(engine: Engine, seconds: int) -> None:
    """Time passes for the throttle: every recorded failure happened `seconds` earlier."""
    with transaction(engine) as session:
        for failure in session.exec(select(SignInFailure)):
            failure.at = failure.at - timedelta(seconds=seconds)
            session.add(failure)


def test_repeated_failures_are_throttled_until_the_wait_is_over(
    engine: Engine, make_user: Any, browser: Callable[[], Browser]
) -> None:
    """Five failures: 30 seconds; one more after that: 60; the right password meanwhile gets
    429, and signs in once the wait is over."""
    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    person = browser()
    for attempt in range(5):
        answer = sign_in(person, user.email, f"wrong password {attempt}")
        assert answer.status_code == 200 and WRONG in answer.text

    waiting = sign_in(person, user.email)
    assert waiting.status_code == 429
    assert "too many attempts" in waiting.text.lower() and "Wait 1 minute" in waiting.text
    assert "procure_session" not in waiting.headers.get("set-cookie", "")

    move_failures_back(engine, 31)
    assert WRONG in sign_in(person, user.email, "wrong password again").text
    assert sign_in(person, user.email).status_code == 429
    move_failures_back(engine, 31)
    assert sign_in(person, user.email).status_code == 429  # 60 seconds now, 31 gone
    move_failures_back(engine, 30)
    assert sign_in(person, user.email).status_code == 303
    with Session(engine) as session:
        left = session.exec(select(SignInFailure.subject)).all()
    assert f"email:{user.email}" not in left


def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(
    engine: Engine, make_user: Any, browser: Callable[[], Browser]
) -> None:
    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    person = browser()
    wrong = sign_in(person, user.email, "not the password")
    unknown = sign_in(person, "nobody@council.example", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert WRONG in wrong.text and WRONG in unknown.text
    assert "nobody@council.example" in unknown.text and "not the password" not in unknown.text


OFF_SITE = [
    "//evil.example",
    "https://evil.example",
    "/app//evil.example",
    "/\\evil.example",
    "http:/app/evil.example",
    "/app/\r\nLocation: https://evil.example",
]


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_next_never_leads_off_the_site(
    next_url: str, engine: Engine, make_user: Any, browser: Callable[[], Browser]
) -> None:
    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    person = browser()
    form = person.get("/app/sign-in", params={"next": next_url})
    assert 'name="next" value="/app/"' in form.text
    answer = sign_in(person, user.email, next=next_url)
    assert answer.status_code == 303 and answer.headers["location"] == "/app/"
    again = person.get("/app/sign-in", params={"next": next_url}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/app/"


def test_next_leads_to_the_page_asked_for(
    engine: Engine, make_user: Any, browser: Callable[[], Browser]
) -> None:
    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    person = browser()
    asked = person.get("/app/?page=2", follow_redirects=False)
    assert asked.headers["location"] == "/app/sign-in?next=/app/%3Fpage%3D2"
    form = person.get(asked.headers["location"])
    assert 'name="next" value="/app/?page=2"' in form.text
    answer = sign_in(person, user.email, next="/app/?page=2")
    assert answer.headers["location"] == "/app/?page=2"


def test_a_refused_password_is_said_beside_the_field_and_keeps_the_link(
    engine: Engine, settings: Settings, make_user: Any, browser: Callable[[], Browser]
) -> None:
    """A password the rules refuse changes nothing: the same link then sets a good one."""
    user, _ = make_user("requester")
    token = invite(engine, settings, user)
    person = browser()
    for password, problem in (
        ("too short", "must be at least 12 characters"),
        (user.email, "must not be your email address"),
    ):
        answer = choose_password(person, token, password)
        assert answer.status_code == 422
        assert problem in answer.text and 'href="#password"' in answer.text
        assert password_of(engine, user) is None and not invitation_used(engine, user)
    different = person.submit(
        link(token),
        "/app/set-password",
        {"token": token, "password": PASSWORD, "confirm": PASSWORD + "!"},
    )
    assert different.status_code == 422 and "The two passwords are not the same" in different.text
    assert choose_password(person, token).status_code == 303
    assert invitation_used(engine, user)


def test_one_persons_failures_do_not_lock_out_others_on_the_same_client(
    engine: Engine, make_user: Any, browser: Callable[[], Browser]
) -> None:
    """An office behind one proxy shares a client address: five failures for one address do
    not stop a colleague signing in from it, but a sweep of many addresses from one client is
    slowed down."""
    careless, _ = make_user("legal")
    colleague, _ = make_user("procurement")
    with transaction(engine) as session:
        accounts.set_password(session, user=careless, password=PASSWORD)
        accounts.set_password(session, user=colleague, password=PASSWORD)
    person = browser()
    for attempt in range(6):
        sign_in(person, careless.email, f"wrong password {attempt}")
    assert sign_in(browser(), colleague.email).status_code == 303

    for attempt in range(accounts.CLIENT_THROTTLE.free):
        sign_in(person, f"nobody{attempt}@council.example", "guess number one")
    assert sign_in(browser(), colleague.email).status_code == 429


def test_deactivation_retires_an_unused_invitation(
    engine: Engine, settings: Settings, make_user: Any, browser: Callable[[], Browser]
) -> None:
    """A leaver's unused link stays dead even if they are switched back on later."""
    user, _ = make_user("requester")
    token = invite(engine, settings, user)
    with transaction(engine) as session:
        users.deactivate(session, email=user.email)
    with transaction(engine) as session:
        back = session.get_one(User, user.id)
        back.active = True
        session.add(back)
    answer = browser().get(link(token))
    assert answer.status_code == 410 and "already been used" in answer.text
    assert password_of(engine, user) is None


def test_the_sweep_removes_expired_sign_in_records_only(
    engine: Engine, settings: Settings, make_user: Any, signed_in: Any
) -> None:
    """Expired sessions, stale failures and expired invitations go; live ones stay."""
    person, user, _ = signed_in("legal")
    invite(engine, settings, user)
    stale = utcnow() - timedelta(days=2)
    with transaction(engine) as session:
        session.add(SignInFailure(subject="email:old@council.example", at=stale))
        session.add(SignInFailure(subject="email:new@council.example", at=utcnow()))
        session.add(
            WebSession(token_hash="x" * 64, user_id=user.id, csrf_token="t", expires_at=stale)
        )
        session.add(Invitation(token_hash="y" * 64, user_id=user.id, expires_at=stale))
    with transaction(engine) as session:
        assert accounts.purge_expired(session) == 3
    with Session(engine) as session:
        assert session.exec(select(SignInFailure.subject)).all() == ["email:new@council.example"]
        assert len(session.exec(select(Invitation)).all()) == 1
    assert is_signed_in(person)
