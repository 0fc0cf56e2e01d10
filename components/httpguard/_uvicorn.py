"""uvicorn HTTP protocols that drop a client which does not send a complete request head in time.

uvicorn has no header read timeout: a client that opens a connection and sends its head a byte at a time
holds the connection (and its buffers) for as long as it likes. These subclasses arm a timer when a
connection opens and after each response; if no new request head has arrived when it fires, the connection
is closed. Passed as `http=` to `uvicorn.Config`/`uvicorn.run` by every uvicorn listener.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from components.httpguard._rules import HEADER_TIMEOUT

__all__ = ["GuardedH11Protocol", "guarded_http_protocol"]


class _HeaderDeadline:
    """Mixin over a uvicorn HTTP protocol (which provides `loop`, `transport`, `cycle`)."""

    header_timeout = HEADER_TIMEOUT
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def _arm_header_deadline(self) -> None:
        armed_for = self.cycle

        def expire() -> None:
            if self.cycle is armed_for and not self.transport.is_closing():
                self.transport.close()  # still waiting for a request head: a slow or idle client

        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, expire)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        super().connection_lost(exc)  # type: ignore[misc]


class GuardedH11Protocol(_HeaderDeadline, H11Protocol):
    """h11 with a header read deadline."""


def guarded_http_protocol() -> type[Any]:
    """The fastest available protocol class with a header read deadline (httptools if installed, else h11)."""
    try:
        from components.httpguard._httptools import GuardedHttpToolsProtocol
    except ImportError:
        return GuardedH11Protocol
    return GuardedHttpToolsProtocol
