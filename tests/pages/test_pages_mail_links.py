"""Links in email open the case page, after sign-in when the reader is signed out."""

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.db import transaction
from lifecycle.models import Mail
from lifecycle.services import accounts
from lifecycle.settings import get_settings
from tests.pages.conftest import PASSWORD


def test_gate_email_opens_the_case_page_after_sign_in(
    client: Any, engine: Engine, make_user: Any, run_flows: Any, helpers: Any, browser: Any
) -> None:
    """The legal officer's email links to /app/cases/{id}; signed out, the link asks them to
    sign in and then lands on that case."""
    _, requester_token = make_user("requester")
    legal, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=legal, password=PASSWORD)
    created = client.post(
        "/cases", json=helpers.purchase_request(), headers=helpers.auth(requester_token)
    )
    case_id = created.json()["id"]
    run_flows()
    with Session(engine) as session:
        mail = session.exec(select(Mail).where(Mail.notification == "gate_opened")).one()
    link = f"{get_settings().base_url}/app/cases/{case_id}"
    assert legal.email in mail.recipients
    assert f"Open the case: {link}" in mail.text_body
    assert f'href="{link}"' in mail.html_body

    reader = browser()
    path = urlsplit(link).path
    asked = reader.get(path, follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/app/sign-in?next={path}"
    signed = reader.submit(
        asked.headers["location"],
        "/app/sign-in",
        {"email": legal.email, "password": PASSWORD, "next": path},
    )
    assert signed.status_code == 303 and signed.headers["location"] == path


def test_links_elsewhere_are_not_followed_after_sign_in(
    engine: Engine, make_user: Any, browser: Any
) -> None:
    """A `next` that leaves the product lands on the home page instead."""
    user, _ = make_user("legal")
    with transaction(engine) as session:
        accounts.set_password(session, user=user, password=PASSWORD)
    for hostile in ("//evil.example/", "https://evil.example/", "/app//evil.example"):
        answer = browser().submit(
            "/app/sign-in",
            "/app/sign-in",
            {"email": user.email, "password": PASSWORD, "next": hostile},
        )
        assert answer.headers["location"] == "/app/"
