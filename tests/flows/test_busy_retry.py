"""A 503 from the Prefect server (its database was busy) is tried again within a second by the
executor's shared client, before Prefect's own retries (2 s, then 4 s) would: the transport
alone against a scripted one, then a stage run on a real Prefect server whose first answers to
creating the run are 503."""

import asyncio
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from prefect.client import base as prefect_client_base
from prefect.client.orchestration import get_client
from sqlalchemy import Engine

from flows import busy_retry
from flows.busy_retry import DELAYS_SECONDS, RetryBusyQuickly
from flows.executor import Executor, shared_prefect_clients
from lifecycle.settings import Settings
from tests.flows.test_executor import drain, requests_of
from tests.flows.test_stage_flows import raise_case


def recording(pauses: list[float]) -> SimpleNamespace:
    """Stands for a module's `asyncio` or `anyio`: its pauses recorded, not slept."""

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    return SimpleNamespace(sleep=sleep)


@pytest.fixture
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The pauses between quick tries, recorded and not slept."""
    pauses: list[float] = []
    monkeypatch.setattr(busy_retry, "asyncio", recording(pauses))
    yield pauses


def scripted(statuses: list[int], seen: list[bytes]) -> httpx.MockTransport:
    """Answers with each status in turn (the last one from then on), recording each body."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(statuses[min(len(seen), len(statuses)) - 1])

    return httpx.MockTransport(answer)


def send(transport: httpx.AsyncBaseTransport, **kwargs: Any) -> httpx.Response:
    """One POST through `transport`."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://prefect") as client:
            return await client.post("/api/flow_runs/", **kwargs)

    return asyncio.run(go())


def test_a_busy_answer_is_tried_again_with_the_same_body(no_pauses: list[float]) -> None:
    seen: list[bytes] = []
    transport = RetryBusyQuickly(scripted([503, 503, 201], seen))
    assert send(transport, json={"name": "PR-2026-0001"}).status_code == 201
    assert [json.loads(body) for body in seen] == [{"name": "PR-2026-0001"}] * 3
    assert transport.retried == 2
    # Short and jittered: half to one and a half times each step.
    assert [0.5 * d <= p <= 1.5 * d for p, d in zip(no_pauses, DELAYS_SECONDS, strict=False)] == [
        True,
        True,
    ]


def test_still_busy_after_the_quick_tries_is_handed_back(no_pauses: list[float]) -> None:
    seen: list[bytes] = []
    transport = RetryBusyQuickly(scripted([503], seen))
    # Prefect's own retries take it from here.
    assert send(transport, json={}).status_code == 503
    assert len(seen) == len(DELAYS_SECONDS) + 1
    assert sum(no_pauses) <= 1.5 * sum(DELAYS_SECONDS) < 1.5


@pytest.mark.parametrize("status", [200, 404, 409, 500, 502])
def test_other_answers_come_back_at_once(status: int, no_pauses: list[float]) -> None:
    seen: list[bytes] = []
    assert send(RetryBusyQuickly(scripted([status, 201], seen)), json={}).status_code == status
    assert len(seen) == 1 and no_pauses == []


def test_a_body_that_cannot_be_sent_twice_is_not_retried(no_pauses: list[float]) -> None:
    seen: list[bytes] = []

    async def streamed() -> Any:
        yield b"{}"

    assert send(RetryBusyQuickly(scripted([503, 201], seen)), content=streamed()).status_code == 503
    assert len(seen) == 1 and no_pauses == []


@pytest.mark.prefect
def test_a_stage_run_goes_on_at_once_when_prefect_answers_busy(
    prefect: str,
    product_database: Engine,
    make_user: Any,
    settings: Settings,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requester, _ = make_user("requester")
    case_id, _ = raise_case(product_database, requester, settings)
    executor = Executor(settings, product_database)
    # Prefect's own retry pauses, which must not be reached.
    prefect_pauses: list[float] = []
    monkeypatch.setattr(prefect_client_base, "anyio", recording(prefect_pauses))
    busy_answers: list[str] = []

    async def execute() -> RetryBusyQuickly:
        async with shared_prefect_clients():
            transport = get_client()._client._transport
            assert isinstance(transport, RetryBusyQuickly)
            real = transport.inner

            class BusyAtFirst(httpx.AsyncBaseTransport):
                """The real server, but creating a flow run is answered busy twice first."""

                async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                    creating = request.method == "POST" and request.url.path.endswith("/flow_runs/")
                    if creating and len(busy_answers) < 2:
                        busy_answers.append(request.url.path)
                        return httpx.Response(503, json={"exception_message": "busy"})
                    return await real.handle_async_request(request)

            transport.inner = BusyAtFirst()
            await drain(executor)
            return transport

    transport = run(execute())
    # The purchase request's run, then the legal consultation's: neither ever put back to wait.
    rows = requests_of(product_database, case_id)
    assert [(row.status, row.attempts) for row in rows] == [("completed", 0)] * 2
    assert len(busy_answers) == 2 and transport.retried == 2
    assert prefect_pauses == []
