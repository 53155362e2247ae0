"""Each request is one unit of work: what a route changed is committed before its answer is
sent, so a commit that fails is an error answer and nothing of it is kept; a read's session
ends too, and every connection goes back to the pool (SQLite and PostgreSQL)."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func
from sqlmodel import Session, select

from lifecycle.models import Case, User


class CommitRefused(Exception):
    """The database refused the commit."""


def test_a_failed_commit_is_an_error_and_keeps_nothing(
    client: TestClient,
    engine: Engine,
    make_user: Callable[..., tuple[User, str]],
    helpers: Any,
) -> None:
    _, token = make_user("requester")

    def refuse(*_args: object) -> None:
        raise CommitRefused

    event.listen(engine, "commit", refuse)
    try:
        with pytest.raises(CommitRefused):
            client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    finally:
        event.remove(engine, "commit", refuse)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 0
    answer = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    assert answer.status_code == 201, answer.text
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 1


def test_every_request_gives_its_connection_back(
    client: TestClient,
    engine: Engine,
    make_user: Callable[..., tuple[User, str]],
    helpers: Any,
) -> None:
    _, token = make_user("requester")
    created = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    for path, status in ((f"/cases/{case_id}", 200), ("/cases/999999", 404), ("/cases", 200)):
        answer = client.get(path, headers=helpers.auth(token))
        assert answer.status_code == status, answer.text
    assert client.get("/cases", headers=helpers.auth("not-a-token")).status_code == 401
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
