"""`Guard`: raw ASGI middleware applying the listener rules before the application sees a request.

Wraps the API and UI app, the Slack sink and the model server. It refuses a foreign Host or Origin (403) and a
declared body over the limit (413) before anything is read, and counts a streamed (chunked) body as the app
reads it: past the limit it answers 413 itself and the app sees a disconnect, so no listener ever buffers more
than its limit. Other ASGI scopes (lifespan) pass through untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from components.httpguard._rules import Refusal, check_head

__all__ = ["Guard"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """The middleware.

    Args:
        app: the wrapped ASGI application.
        max_body: the largest request body, in bytes.
        path_limits: smaller limits for path prefixes, e.g. `(("/ui/", 64 * 1024),)`.
    """

    def __init__(self, app: App, max_body: int, path_limits: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.path_limits = tuple(path_limits)

    def _limit(self, path: str) -> int:
        for prefix, limit in self.path_limits:
            if path.startswith(prefix):
                return limit
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        limit = self._limit(str(scope.get("path", "")))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        address, port = scope.get("server") or ("127.0.0.1", 0)
        refusal = check_head(headers, str(address), int(port or 0), limit)
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _refuse(send, refusal)
            return
        await _Guarded(self.app, limit)(scope, receive, send)


class _Guarded:
    """One request's receive/send pair that counts the body and answers 413 when it overflows."""

    def __init__(self, app: App, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.seen = 0
        self.started = False
        self.refused = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and not self.refused:
                self.seen += len(message.get("body", b""))
                if self.seen > self.limit:
                    self.refused = True
                    if not self.started:
                        self.started = True
                        await _refuse(send, Refusal(413, f"request body is over this listener's {self.limit} bytes"))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if self.refused:
                return  # the 413 is the answer; whatever the app says after the disconnect is dropped
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not self.refused:
                raise  # the app's own failure; after a 413 the app's reaction to the disconnect is moot


async def _refuse(send: Send, refusal: Refusal) -> None:
    body = (refusal.reason + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
