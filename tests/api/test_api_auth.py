"""Authentication over the API: every case endpoint wants a valid bearer token; the health
check and the public contract register do not."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from lifecycle.models import AuditEvent, Case, FlowRequest


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Token abc"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic-auth"),
        pytest.param({"Authorization": "Bearer"}, id="bearer-without-token"),
        pytest.param({"Authorization": "abc"}, id="bare-token"),
        pytest.param({"Authorization": "Bearer not-a-real-token"}, id="wrong-token"),
    ],
)
def test_cases_need_a_valid_bearer_token(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    headers: dict[str, str],
) -> None:
    make_user("requester")  # a real user exists, so a wrong token is wrong, not just unknown
    response = client.get("/cases", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"

    response = client.post("/cases", json=helpers.purchase_request(), headers=headers)
    assert response.status_code == 401, response.text
    with Session(engine) as session:
        for table in (Case, AuditEvent, FlowRequest):
            assert session.exec(select(func.count()).select_from(table)).one() == 0


def test_a_valid_token_is_accepted(client: TestClient, make_user: Any, helpers: Any) -> None:
    user, token = make_user("requester")
    assert client.get("/cases", headers=helpers.auth(token)).json() == []
    assert client.get("/me", headers=helpers.auth(token)).json()["id"] == user.id


@pytest.mark.parametrize("path", ["/health", "/register", "/register.csv"])
def test_public_endpoints_need_no_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    if path == "/register.csv":
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text.startswith("Reference,OCID,Title")
    elif path == "/register":
        assert response.json() == []
    else:
        assert response.json() == {"status": "ok"}
