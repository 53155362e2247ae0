"""Quick retries when the Prefect server answers 503 because its database was busy.

A Prefect server on SQLite (the embedded default) takes one write at a time; a request whose
transaction meets another writer's is rolled back and answered 503, for the client to try
again. Prefect's client waits 2 s before that second try (then 4 s). Under a backlog about one
request in fifty met a busy database: each cost a stage slot 2 s, a fifth of the throughput,
and a person's decision behind the backlog waited 2 s for its next stage instead of a tenth of
one. So the executor's shared client tries a 503 again here first, a few times within a second,
and only a database still busy after that reaches Prefect's own slower retries, as before.

Repeating the request is what Prefect's client would do with it anyway: a write that met a busy
SQLite was rolled back before the answer. Where a 503 is less certain (a PostgreSQL connection
lost as it committed), the one write that is not safe to repeat, creating the flow run, carries
an idempotency key, so a resend returns the run already made (`flows/executor.py`). A 503 that
says when to come back (`Retry-After`, or Prefect's maintenance) is left to Prefect's client,
and a body that cannot be sent twice is not retried here."""

import asyncio
import logging
import random
from types import TracebackType

import httpx

log = logging.getLogger("procure.executor")

# About 0.8 s in all, each with jitter so two slots that met do not meet again.
DELAYS_SECONDS = (0.02, 0.05, 0.1, 0.2, 0.4)
BUSY = 503
# Headers (lower case, as httpx gives them) by which a 503 sets its own pace.
PREFECTS_OWN_PACE = {"retry-after", "prefect-maintenance"}


class RetryBusyQuickly(httpx.AsyncBaseTransport):
    """Wraps the transport to the Prefect server: a 503 is tried again after a short,
    jittered pause, up to len(DELAYS_SECONDS) times, and then handed back as it came."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.retried = 0  # requests answered busy and tried again here

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.ByteStream):
            return await self.inner.handle_async_request(request)
        for delay in DELAYS_SECONDS:
            response = await self.inner.handle_async_request(request)
            if response.status_code != BUSY or PREFECTS_OWN_PACE & set(response.headers):
                return response
            # Read to the end, so the connection goes back to the pool rather than closing.
            await response.aread()
            await response.aclose()
            self.retried += 1
            log.debug("Prefect busy (503) for %s %s; tried again", request.method, request.url)
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        response = await self.inner.handle_async_request(request)
        if response.status_code == BUSY:
            # Rare (about one request in fifty meets a busy database once, and each busy spell
            # measured so far passed within a try or two): when it happens, a run waits
            # seconds more, and this line says why (once for each of Prefect's tries).
            log.warning(
                "Prefect's database still busy after %d tries of %s %s; "
                "left to Prefect's client, which tries again after 2 s, then 4 s",
                len(DELAYS_SECONDS) + 1,
                request.method,
                request.url.path,
            )
        return response

    async def __aenter__(self) -> "RetryBusyQuickly":
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.inner.__aexit__(exc_type, exc_value, traceback)

    async def aclose(self) -> None:
        await self.inner.aclose()


def retry_busy_quickly(http: httpx.AsyncClient) -> RetryBusyQuickly | None:
    """Put `RetryBusyQuickly` in front of the transport `http` sends its API calls through,
    before the client is opened. httpx has no public way to wrap the transport it chose (with
    any proxy from the environment), so this replaces it where httpx keeps it, as Prefect's
    own client does to set its connection retries; if that is not where an httpx release
    keeps it, the client is left as it was (Prefect's retries only) and the log says so."""
    try:
        current = http._transport_for_url(http.base_url)
        if isinstance(current, RetryBusyQuickly):
            return current
        # httpx uses the first mount whose pattern matches (a proxy), or its own transport
        # when none does or that mount is None (no proxy for this address).
        for pattern, transport in http._mounts.items():
            if pattern.matches(http.base_url):
                if transport is not None:
                    wrapper = RetryBusyQuickly(transport)
                    http._mounts[pattern] = wrapper
                    return wrapper
                break
        wrapper = RetryBusyQuickly(http._transport)
        http._transport = wrapper
        return wrapper
    except AttributeError:
        pass
    log.warning("could not add quick retries to the Prefect client; Prefect's own apply")
    return None
