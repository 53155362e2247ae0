"""Request bodies are bounded while they are read, before any route, authentication or
spooling sees them: a body declared too large is refused at once, and one that grows too large
as it streams in (chunked, with no Content-Length) is cut off at the limit. JSON bodies get a
small limit of their own; multipart forms (uploads) the largest file plus its envelope."""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_LIMIT_BYTES = 1024 * 1024  # the longest text field is 5,000 characters
FORM_OVERHEAD_BYTES = 64 * 1024  # the multipart envelope around the largest document


CLOSE = (b"connection", b"close")


class _TooLarge(Exception):
    """The body went past its limit while it was being read."""


def _header(scope: Scope, name: bytes) -> str:
    """One request header, decoded ('' when absent)."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _refuse(send: Send, limit: int) -> None:
    """413 in the API's error shape; the body read so far is dropped."""
    body = json.dumps({"detail": f"the request body is over {limit} bytes", "field": "body"})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                CLOSE,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


class BodyLimit:
    """ASGI middleware bounding every request body. Whatever the app makes of a body cut off
    mid-read (FastAPI turns it into a 400) is dropped, and the 413 sent instead."""

    def __init__(self, app: ASGIApp, *, upload_limit: Callable[[], int]) -> None:
        """Wrap `app`; `upload_limit` gives the largest document accepted, in bytes."""
        self.app = app
        self.upload_limit = upload_limit

    def limit_for(self, scope: Scope) -> int:
        """Multipart forms carry documents; everything else is small."""
        if _header(scope, b"content-type").startswith("multipart/form-data"):
            return self.upload_limit() + FORM_OVERHEAD_BYTES
        return JSON_LIMIT_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a receive that counts, and answer 413 past the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared.isascii() and declared.isdecimal() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        cut_off = False
        started = False
        body_done = not declared and not _header(scope, b"transfer-encoding")

        async def counted() -> Message:
            """The next piece of the body, refused once the total passes the limit."""
            nonlocal received, cut_off, body_done
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > limit:
                    cut_off = True
                    raise _TooLarge()
            return message

        async def guarded(message: Message) -> None:
            """The app's answer, unless the body was cut off (then ours stands instead). An
            answer given before the body was read (a refused token) closes the connection, so
            the server does not go on reading a body nobody wants."""
            nonlocal started
            if cut_off:
                return
            if message["type"] == "http.response.start":
                started = True
                if not body_done:
                    message = {**message, "headers": [*message["headers"], CLOSE]}
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            pass
        except Exception:
            if not cut_off:
                raise
        if cut_off and not started:
            await _refuse(send, limit)
