"""Fixtures for the pages: a person signed in through the real sign-in form, and the CSRF
token a page gave them, read back from its HTML as a browser would post it."""

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.deps import get_session, sessions_on
from lifecycle.db import transaction
from lifecycle.models import User
from lifecycle.services import accounts
from lifecycle.settings import Settings, get_settings

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page put in its forms."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """One person's browser: a cookie jar over the app, with form posts that carry the token
    of the page they were shown on."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        """GET a page."""
        return self.client.get(url, **kwargs)

    def submit(self, page_url: str, action: str, fields: dict[str, Any], **kwargs: Any) -> Any:
        """Open `page_url`, then post `fields` to `action` with that page's CSRF token."""
        token = csrf_of(self.client.get(page_url).text)
        return self.client.post(
            action, data={"csrf_token": token, **fields}, follow_redirects=False, **kwargs
        )


@pytest.fixture
def page_app(engine: Engine, settings: Settings) -> Any:
    """The app over the test database."""
    app = create_app()

    app.dependency_overrides[get_session] = partial(sessions_on, engine)
    app.dependency_overrides[get_settings] = lambda: settings
    return app


@pytest.fixture
def browser(page_app: Any) -> Callable[[], Browser]:
    """A new browser (its own cookies), not signed in."""
    clients: list[TestClient] = []

    def open_browser() -> Browser:
        client = TestClient(page_app)
        clients.append(client)
        return Browser(client)

    yield open_browser  # type: ignore[misc]
    for client in clients:
        client.close()


@pytest.fixture
def signed_in(
    engine: Engine, make_user: Any, browser: Callable[[], Browser]
) -> Callable[..., tuple[Browser, User, str]]:
    """A new user with `roles` and a password, signed in through the form; returns their
    browser, the user and their API token."""

    def sign_in(*roles: str, name: str | None = None) -> tuple[Browser, User, str]:
        user, token = make_user(*roles, name=name)
        with transaction(engine) as session:
            accounts.set_password(session, user=user, password=PASSWORD)
        person = browser()
        answer = person.submit(
            "/app/sign-in", "/app/sign-in", {"email": user.email, "password": PASSWORD}
        )
        assert answer.status_code == 303, answer.text
        return person, user, token

    return sign_in
