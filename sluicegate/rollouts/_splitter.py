"""The traffic splitter of one Rollout: an asyncio HTTP/1.1 reverse proxy on 127.0.0.1 routing by weight.

Called by the rollout controller (`_controller`), which sets the route (`set_route`) and drains old backends
(`drain`) before stopping their processes. Each request reads the route once (a single immutable tuple
swapped atomically), so a weight change never splits a request. Connections to backends are pooled and kept
alive; a request on a pooled connection the backend had already closed is retried once on a new one. A scoring
request the canary answers with a 5xx is retried once on stable (as a mesh retry policy would), so users see
no failure while the canary's metrics still count the error. Every answer carries
`X-Sluice-Backend: stable|canary` (`stable; retried-from=canary` after such a retry).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from components.httpguard import HEADER_TIMEOUT, Refusal, check_head
from sluicegate.errors import ServiceError

__all__ = ["MAX_BODY", "Backend", "Splitter"]

_MAX_HEAD = 64 * 1024
#: Seconds a client gets to send a whole request body (up to MAX_BODY) once its head has arrived.
_BODY_TIMEOUT = 120.0
#: Largest request body routed (the model server's own limit); larger ones get 413 before they are read.
MAX_BODY = 16 * 1024 * 1024


@dataclass(eq=False)
class Backend:
    """A model server the splitter can route to."""

    host: str
    port: int
    in_flight: int = 0
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)


@dataclass(frozen=True)
class _Route:
    stable: Backend | None
    canary: Backend | None
    weight: int  # percent of requests to the canary


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _refusal(head: bytes, port: int) -> Refusal | None:
    """The listener guard's verdict on a request head (foreign Host/Origin: 403, declared body too big: 413)."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in _headers(head).items()}
    return check_head(headers, "127.0.0.1", port, MAX_BODY)


class Splitter:
    """The proxy; runs its own event loop in a daemon thread.

    Args:
        name: the Rollout (for messages).
        port: port to bind on 127.0.0.1 (0: any free one; a taken port falls back to a free one).
    """

    def __init__(self, name: str, port: int = 0) -> None:
        self.name = name
        self._route = _Route(None, None, 0)
        self._loop = asyncio.new_event_loop()
        self._sock = _bind(port)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._run, name=f"splitter-{name}", daemon=True)
        self._started = threading.Event()
        self._thread.start()
        if not self._started.wait(10):
            raise ServiceError("the traffic splitter did not start", where=f"Rollout {name}", fix="see the stack log")

    # -- control (any thread) -----------------------------------------------------------------------
    def set_route(self, stable: Backend | None, canary: Backend | None, weight: int) -> None:
        """Route `weight`% of new requests to `canary`, the rest to `stable` (one atomic swap)."""
        self._route = _Route(stable, canary, max(0, min(100, weight)) if canary is not None else 0)

    @property
    def weight(self) -> int:
        """The canary's current share in percent."""
        return self._route.weight

    def drain(self, backend: Backend, timeout: float = 30.0) -> None:
        """Wait until no request is in flight to `backend` (no longer routed to); then close its idle connections."""
        deadline = time.monotonic() + timeout
        while backend.in_flight > 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._loop.is_closed() or not self._loop.is_running():
            return  # the splitter is stopped: its connections went with it
        future = asyncio.run_coroutine_threadsafe(self._close_idle(backend), self._loop)
        try:
            future.result(5)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            future.cancel()

    def stop(self) -> None:
        """Stop listening and end the loop."""
        if self._loop.is_closed():
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    # -- loop ---------------------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._client, sock=self._sock, limit=_MAX_HEAD)
            self._started.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    async def _close_idle(self, backend: Backend) -> None:
        while backend.idle:
            _, writer = backend.idle.pop()
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEADER_TIMEOUT)
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return  # closed, or too slow to send a request head
                except asyncio.LimitOverrunError:
                    await _reply(writer, 431, b"request header too large")
                    return
                refusal = _refusal(head, self.port)
                if refusal is not None:
                    await _reply(writer, refusal.status, refusal.reason.encode())
                    return
                if b"\r\nexpect: 100-continue" in head.lower():
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                try:
                    body, keep = await asyncio.wait_for(_read_body(reader, head), _BODY_TIMEOUT)
                except _BadRequest as e:
                    await _reply(writer, e.status, str(e).encode())
                    return
                except TimeoutError:
                    await _reply(writer, 408, b"request body not received in time")
                    return
                route = self._route
                if route.canary is not None and random.random() * 100 < route.weight:
                    backend, role = route.canary, b"canary"
                elif route.stable is not None:
                    backend, role = route.stable, b"stable"
                elif route.canary is not None:
                    backend, role = route.canary, b"canary"
                else:
                    await _reply(writer, 503, f"Rollout {self.name} has no ready backend yet".encode())
                    continue
                answer = await self._forward(backend, head, body, role)
                if role == b"canary" and route.stable is not None and _server_error(answer) and _retryable(head):
                    # Scoring is a pure function of the request, so a canary's 5xx is retried once on stable:
                    # users see no failure, while the canary's own metrics keep the error for the analysis.
                    answer = await self._forward(route.stable, head, body, b"stable; retried-from=canary")
                writer.write(answer)
                await writer.drain()
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _forward(self, backend: Backend, head: bytes, body: bytes, role: bytes) -> bytes:
        backend.in_flight += 1
        try:
            for attempt in (0, 1):
                pooled = bool(backend.idle) and attempt == 0
                if pooled:
                    reader, writer = backend.idle.pop()
                else:
                    try:
                        reader, writer = await asyncio.open_connection(backend.host, backend.port, limit=_MAX_HEAD)
                    except OSError as e:
                        return _response(502, f"backend {backend.port} unreachable: {e}".encode())
                try:
                    # The backend is its own listener: it is addressed by its own Host (its guard checks it);
                    # the client's Origin was checked here and does not travel on.
                    host = b"host: %s:%d" % (backend.host.encode(), backend.port)
                    writer.write(_reframe(head, len(body), b"connection: keep-alive", host, drop=_TO_BACKEND) + body)
                    resp_head = await reader.readuntil(b"\r\n\r\n")
                    is_head = head.startswith(b"HEAD ")
                    resp_body, keep = await _read_body(reader, resp_head, response=True, head_request=is_head)
                except (ConnectionError, asyncio.IncompleteReadError, _BadRequest, asyncio.LimitOverrunError) as e:
                    writer.close()
                    if pooled:
                        continue  # the backend closed an idle connection: retry once on a fresh one
                    return _response(502, f"backend {backend.port} failed: {type(e).__name__}".encode())
                if keep:
                    backend.idle.append((reader, writer))
                else:
                    writer.close()
                length = len(resp_body) if not is_head else int(_headers(resp_head).get(b"content-length", b"0"))
                return _reframe(resp_head, length, b"x-sluice-backend: " + role) + resp_body
            return _response(502, b"backend closed the connection")
        finally:
            backend.in_flight -= 1


def _server_error(answer: bytes) -> bool:
    """Whether a framed response has a 5xx status."""
    return answer[9:10] == b"5"  # b"HTTP/1.1 5xx ..."


def _retryable(head: bytes) -> bool:
    """Requests safe to send twice: scoring (`POST /invocations`) and reads."""
    method, _, rest = head.partition(b" ")
    path = rest.split(b" ", 1)[0].split(b"?", 1)[0]
    return method in (b"GET", b"HEAD") or (method == b"POST" and path == b"/invocations")


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    sock.setblocking(False)
    return sock


def _headers(head: bytes) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


async def _read_body(
    reader: asyncio.StreamReader, head: bytes, response: bool = False, head_request: bool = False
) -> tuple[bytes, bool]:
    """The body after `head` (de-chunked) and whether the connection stays open."""
    headers = _headers(head)
    first = head.split(b"\r\n", 1)[0]
    keep = headers.get(b"connection", b"").lower() != b"close"
    if not response and first.endswith(b"HTTP/1.0"):
        keep = False
    status = first.split(b" ")[1] if response and len(first.split(b" ")) > 1 else b""
    if head_request or status in (b"204", b"304") or status.startswith(b"1"):
        return b"", keep
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        return await _read_chunked(reader, None if response else MAX_BODY), keep
    length = headers.get(b"content-length")
    if length is None:
        return (await reader.read(), False) if response else (b"", keep)
    try:
        n = int(length)
    except ValueError as e:
        raise _BadRequest("bad Content-Length") from e
    return (await reader.readexactly(n) if n else b""), keep


async def _read_chunked(reader: asyncio.StreamReader, limit: int | None) -> bytes:
    """De-chunk into a plain body (the caller re-frames it with Content-Length); 413 past `limit` bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError as e:
            raise _BadRequest("bad chunk size") from e
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(chunks)
        total += size
        if limit is not None and total > limit:
            raise _BadRequest(f"request body is over this listener's {limit} bytes", 413)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


_HOP = (b"connection:", b"transfer-encoding:", b"keep-alive:", b"content-length:", b"expect:")
_TO_BACKEND = (b"host:", b"origin:")


def _reframe(head: bytes, body_length: int, *extra: bytes, drop: tuple[bytes, ...] = ()) -> bytes:
    """`head` with hop-by-hop framing replaced: a Content-Length for the (de-chunked) body, keep-alive."""
    lines = [line for line in head[:-4].split(b"\r\n") if not line.lower().startswith(_HOP + drop)]
    return b"\r\n".join([*lines, b"content-length: %d" % body_length, *extra]) + b"\r\n\r\n"


def _response(status: int, body: bytes) -> bytes:
    reason = {400: b"Bad Request", 403: b"Forbidden", 408: b"Request Timeout", 413: b"Content Too Large"}
    reason |= {431: b"Too Large", 502: b"Bad Gateway", 503: b"Service Unavailable"}
    close = b"connection: close\r\n" if status in (400, 403, 408, 413, 431) else b""
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n%s\r\n"
        % (status, reason.get(status, b"Error"), len(body), close)
        + body
    )


async def _reply(writer: Any, status: int, body: bytes) -> None:
    writer.write(_response(status, body))
    await writer.drain()
