"""The whole register as JSON is streamed in batches, as the CSV is: every match once, in the
order and with the fields of the paged answer, whatever the batch size, the sort or the
offset, with the total in X-Total-Count; on SQLite and PostgreSQL."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.routers import register as register_router
from tests.api.test_api_register_filters import publish


def paged(client: TestClient, query: str) -> list[dict[str, Any]]:
    """Every entry, read a page of three at a time."""
    found: list[dict[str, Any]] = []
    while True:
        answer = client.get(f"/register?limit=3&offset={len(found)}&{query}")
        assert answer.status_code == 200, answer.text
        found += answer.json()
        if len(answer.json()) < 3:
            return found


@pytest.mark.parametrize("batch", [1, 2, 5, 2_000])
def test_the_streamed_register_is_the_paged_one_in_one_answer(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    publish(
        engine,
        *(
            {"supplier_name": supplier, "value_pence": 6_000_00 + number % 3}
            for number, supplier in enumerate(["Beta Ltd", "alpha Ltd", "Beta Ltd"] * 3)
        ),
        {"status": "submitted", "supplier_name": "Alpha Ltd"},
    )
    monkeypatch.setattr(register_router, "BATCH", batch)
    for query in ("", "sort=supplier", "sort=value&order=desc", "supplier=beta"):
        whole = client.get(f"/register?{query}")
        assert whole.status_code == 200, whole.text
        assert "content-length" not in whole.headers  # sent as it is read
        expected = paged(client, query)
        assert whole.json() == expected
        assert whole.headers["x-total-count"] == str(len(expected))
        skipped = client.get(f"/register?offset=4&{query}")
        assert skipped.json() == expected[4:]
        assert skipped.headers["x-total-count"] == str(len(expected))


def test_an_empty_register_streams_an_empty_list(client: TestClient) -> None:
    answer = client.get("/register")
    assert answer.status_code == 200
    assert answer.json() == []
    assert answer.headers["x-total-count"] == "0"
