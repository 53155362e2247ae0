"""Searching the lessons log finds what was typed, character for character: `%` and `_` are not
wildcards (`q=%` matched every lesson)."""

from typing import Any

from fastapi.testclient import TestClient


def test_percent_and_underscore_are_searched_for_themselves(
    client: TestClient, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("requester")
    for text in ("Ask for 10% retention", "Name files case_ref_title", "Plain lesson"):
        response = client.post("/lessons", json={"text": text}, headers=helpers.auth(token))
        assert response.status_code == 201, response.text

    def found(query: str) -> list[str]:
        """The texts a search for `query` finds."""
        response = client.get("/lessons", params={"q": query}, headers=helpers.auth(token))
        assert response.status_code == 200, response.text
        return sorted(lesson["text"] for lesson in response.json())

    assert found("%") == ["Ask for 10% retention"]
    assert found("_") == ["Name files case_ref_title"]
    assert found("10%") == ["Ask for 10% retention"]
    assert found("lesson") == ["Plain lesson"]


def test_a_search_holding_a_control_character_is_refused_not_a_server_error(
    client: TestClient, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("requester")
    for path in ("/lessons", "/register", "/register.csv"):
        response = client.get(path, params={"q": "abc\x00def"}, headers=helpers.auth(token))
        assert response.status_code == 422, (path, response.text)
        assert response.json()["field"] == "q"
