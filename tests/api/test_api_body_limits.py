"""JSON bodies have a small limit of their own, refused before authentication."""

from typing import Any

from fastapi.testclient import TestClient

from api.limits import JSON_LIMIT_BYTES


def test_an_oversized_json_body_is_refused_before_the_token_is_looked_at(
    client: TestClient, make_user: Any, helpers: Any
) -> None:
    """Over the limit: 413 naming the body, with or without a token, never echoing it."""
    body = '{"title": "' + "A" * JSON_LIMIT_BYTES + '"}'
    _, token = make_user("requester")
    for headers in ({}, helpers.auth(token)):
        response = client.post(
            "/cases", content=body, headers={"content-type": "application/json", **headers}
        )
        assert response.status_code == 413
        assert response.json()["field"] == "body" and "AAAA" not in response.text


def test_a_body_under_the_limit_reaches_the_route(client: TestClient, helpers: Any) -> None:
    """Just under the limit the usual answer comes (here: no token)."""
    body = '{"title": "' + "A" * (JSON_LIMIT_BYTES - 100) + '"}'
    response = client.post("/cases", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (401, 422)
