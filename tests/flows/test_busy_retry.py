"""A 503 from the Prefect server (its database was busy) is tried again within a second by the
executor's shared client, before Prefect's own retries (2 s, then 4 s) would: the transport
alone against a scripted one, then a stage run on a real Prefect server whose first answers to
creating the run are 503."""

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import anyio
import httpx
import pytest
from prefect.client import base as prefect_client_base
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from sqlalchemy import Engine

from flows import busy_retry
from flows.busy_retry import DELAYS_SECONDS, RetryBusyQuickly, retry_busy_quickly
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


class Body(httpx.AsyncByteStream):
    """A response body that records being read to the end and closed."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.events.append("read")
        yield b'{"exception_message": "Service Unavailable"}'

    async def aclose(self) -> None:
        self.events.append("closed")


class Scripted(httpx.AsyncBaseTransport):
    """Answers with each status in turn (the last one from then on), recording each body as
    it came over the wire, and what became of each response."""

    def __init__(self, statuses: list[int], headers: dict[str, str] | None = None) -> None:
        self.statuses, self.headers = statuses, headers or {}
        self.seen: list[bytes] = []
        self.responses: list[list[str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        self.seen.append(b"".join([chunk async for chunk in request.stream]))
        events: list[str] = []
        self.responses.append(events)
        status = self.statuses[min(len(self.seen), len(self.statuses)) - 1]
        return httpx.Response(status, headers=self.headers, stream=Body(events))


def send(transport: httpx.AsyncBaseTransport, **kwargs: Any) -> httpx.Response:
    """One POST through `transport`."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://prefect") as client:
            return await client.post("/api/flow_runs/", **kwargs)

    return asyncio.run(go())


def test_a_busy_answer_is_tried_again_with_the_same_body(no_pauses: list[float]) -> None:
    server = Scripted([503, 503, 201])
    transport = RetryBusyQuickly(server)
    assert send(transport, json={"name": "PR-2026-0001"}).status_code == 201
    assert [json.loads(body) for body in server.seen] == [{"name": "PR-2026-0001"}] * 3
    assert transport.retried == 2 and len(no_pauses) == 2
    # Each busy answer read to its end before it was closed: the connection can be used again.
    assert server.responses[:2] == [["read", "closed"]] * 2


def test_the_pauses_are_short_and_jittered(
    no_pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    for bound, factor in ((min, 0.5), (max, 1.5)):
        no_pauses.clear()
        monkeypatch.setattr(busy_retry, "random", SimpleNamespace(uniform=bound))
        assert send(RetryBusyQuickly(Scripted([503])), json={}).status_code == 503
        assert no_pauses == [factor * delay for delay in DELAYS_SECONDS]


def test_still_busy_after_the_quick_tries_is_handed_back_and_said(
    no_pauses: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    server = Scripted([503])
    transport = RetryBusyQuickly(server)
    # Prefect's own retries take it from here; the log says why the run waits longer.
    with caplog.at_level(logging.WARNING, logger="procure.executor"):
        assert send(transport, json={}).status_code == 503
    assert len(server.seen) == len(DELAYS_SECONDS) + 1
    assert transport.retried == len(DELAYS_SECONDS) == len(no_pauses)
    assert [r.getMessage() for r in caplog.records] == [
        f"Prefect's database still busy after {len(DELAYS_SECONDS) + 1} tries of "
        "POST /api/flow_runs/; left to Prefect's client, which tries again after 2 s, then 4 s"
    ]


def test_busy_then_answered_says_nothing(
    no_pauses: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="procure.executor"):
        assert send(RetryBusyQuickly(Scripted([503] * 5 + [201])), json={}).status_code == 201
    assert caplog.records == []


@pytest.mark.parametrize("status", [200, 404, 409, 429, 500, 502])
def test_other_answers_come_back_at_once(status: int, no_pauses: list[float]) -> None:
    server = Scripted([status, 201])
    assert send(RetryBusyQuickly(server), json={}).status_code == status
    assert len(server.seen) == 1 and no_pauses == []


@pytest.mark.parametrize("header", ["Retry-After", "Prefect-Maintenance"])
def test_a_busy_answer_that_sets_its_own_pace_is_left_to_prefect(
    header: str, no_pauses: list[float]
) -> None:
    server = Scripted([503, 201], headers={header: "true" if "Maint" in header else "3"})
    assert send(RetryBusyQuickly(server), json={}).status_code == 503
    assert len(server.seen) == 1 and no_pauses == []


def test_a_body_that_cannot_be_sent_twice_is_not_retried(no_pauses: list[float]) -> None:
    async def streamed() -> Any:
        yield b"{}"

    server = Scripted([503, 201])
    assert send(RetryBusyQuickly(server), content=streamed()).status_code == 503
    assert len(server.seen) == 1 and no_pauses == []


def test_put_in_front_of_the_transport_the_client_uses_for_prefect() -> None:
    # trust_env=False: a proxy in this machine's environment would be a mount of its own.
    # No proxy: the client's own transport, once however often it is asked.
    direct = httpx.AsyncClient(base_url="http://127.0.0.1:4200/api", trust_env=False)
    wrapper = retry_busy_quickly(direct)
    assert wrapper is not None and direct._transport is wrapper
    assert retry_busy_quickly(direct) is wrapper and wrapper.inner is not wrapper
    # Through a proxy (a mount, as httpx makes from HTTP_PROXY): that mount, not a broader one.
    proxy, other = httpx.AsyncHTTPTransport(), httpx.AsyncHTTPTransport()
    proxied = httpx.AsyncClient(
        base_url="http://prefect:4200/api",
        mounts={"all://": other, "http://prefect": proxy},
        trust_env=False,
    )
    wrapper = retry_busy_quickly(proxied)
    assert wrapper is not None and wrapper.inner is proxy
    assert proxied._transport_for_url(proxied.base_url) is wrapper
    # A mount of None (NO_PROXY for this address) before a broader proxy: the client's own.
    exempt = httpx.AsyncClient(
        base_url="http://prefect/api",
        mounts={"all://": other, "all://prefect": None},
        trust_env=False,
    )
    wrapper = retry_busy_quickly(exempt)
    assert wrapper is not None and exempt._transport is wrapper
    assert exempt._transport_for_url(exempt.base_url) is wrapper


def test_a_client_it_cannot_wrap_is_left_as_it_was(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="procure.executor"):
        assert retry_busy_quickly(SimpleNamespace()) is None  # type: ignore[arg-type]
    assert "Prefect's own apply" in caplog.text


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
    # Prefect's own retry pauses in this thread, the executor's, which must not be reached;
    # Prefect's log shipping pauses in a thread and client of its own, and really sleeps.
    prefect_pauses: list[float] = []
    this_thread = threading.get_ident()

    async def sleep(seconds: float) -> None:
        if threading.get_ident() == this_thread:
            prefect_pauses.append(seconds)
        else:
            await anyio.sleep(seconds)

    monkeypatch.setattr(
        prefect_client_base, "anyio", SimpleNamespace(sleep=sleep, CancelScope=anyio.CancelScope)
    )
    busy_answers: list[str] = []
    genuinely_busy: list[str] = []  # 503s from the real server, which are retried as well

    async def execute() -> tuple[RetryBusyQuickly, int]:
        async with shared_prefect_clients():
            client = get_client()
            transport = client._client._transport_for_url(client.api_url)
            assert isinstance(transport, RetryBusyQuickly)
            real = transport.inner

            class BusyAtFirst(httpx.AsyncBaseTransport):
                """The real server, but the first flow run created is answered busy although
                it was made (a connection lost as it committed), and the next try busy too."""

                async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                    creating = request.method == "POST" and request.url.path.endswith("/flow_runs/")
                    if creating and len(busy_answers) == 1:
                        busy_answers.append("not made")
                        return httpx.Response(503, json={"exception_message": "busy"})
                    answer = await real.handle_async_request(request)
                    if answer.status_code == 503:
                        genuinely_busy.append(request.url.path)
                    elif creating and not busy_answers:
                        await answer.aread()
                        busy_answers.append(f"made, answered {answer.status_code}")
                        return httpx.Response(503, json={"exception_message": "busy"})
                    return answer

            # The Prefect server outlives a test: another test's case may have this reference.
            reference = requests_of(product_database, case_id)[0].parameters["reference"]
            tagged = FlowRunFilter(tags=FlowRunFilterTags(all_=[reference]))
            before = await client.count_flow_runs(flow_run_filter=tagged)
            transport.inner = BusyAtFirst()
            await drain(executor)
            return transport, await client.count_flow_runs(flow_run_filter=tagged) - before

    transport, made = run(execute())
    assert busy_answers == ["made, answered 201", "not made"]
    assert transport.retried == 2 + len(genuinely_busy)
    assert prefect_pauses == []
    # The purchase request's run, then the legal consultation's: neither ever put back to wait,
    # and the run made before its busy answer is the one that ran, not a second beside it.
    rows = requests_of(product_database, case_id)
    assert [(row.status, row.attempts) for row in rows] == [("completed", 0)] * 2
    assert made == 2
