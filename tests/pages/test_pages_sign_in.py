"""Signing in through the form: a session cookie, the home page, and sign-out."""

from typing import Any

from tests.pages.conftest import PASSWORD


def test_signing_in_opens_the_home_page_and_signing_out_ends_it(
    signed_in: Any, browser: Any
) -> None:
    """The cookie is HttpOnly and SameSite=Lax; after sign-out it no longer works."""
    person, user, _ = signed_in("requester")
    home = person.get("/app/")
    assert home.status_code == 200 and "Waiting on me" in home.text and user.name in home.text
    out = person.submit("/app/", "/app/sign-out", {})
    assert out.status_code == 303
    assert (
        person.get("/app/", follow_redirects=False).headers["location"].startswith("/app/sign-in")
    )


def test_cookie_flags(make_user: Any, browser: Any, engine: Any) -> None:
    """HttpOnly and SameSite=Lax on the session cookie."""
    from lifecycle.db import transaction
    from lifecycle.services import accounts

    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    person = browser()
    answer = person.submit(
        "/app/sign-in", "/app/sign-in", {"email": user.email, "password": PASSWORD}
    )
    cookie = answer.headers["set-cookie"]
    assert "procure_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_sign_in(
    browser: Any,
) -> None:
    """The post cannot be replayed, so sign-in leads back to the page it was sent from (a page
    of this product only), not to an address that answers posts alone."""
    person = browser()
    base = "http://testserver"
    answer = person.client.post(
        "/app/cases/7/bids",
        data={"bid_supplier": "Acme"},
        headers={"referer": f"{base}/app/cases/7"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/sign-in?next=/app/cases/7"
    elsewhere = person.client.post(
        "/app/cases/7/bids",
        data={},
        headers={"referer": "https://evil.example/app/cases/7"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/app/sign-in?next=/app/"
