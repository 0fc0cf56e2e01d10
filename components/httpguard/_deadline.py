"""The header read deadline shared by the guarded uvicorn protocols (h11 in `_uvicorn`, httptools in `_httptools`).

A mixin placed before a uvicorn HTTP protocol class: it arms a timer when a connection opens and after each
response, and closes the connection if no new request head has arrived when the timer fires.
"""

from __future__ import annotations

import asyncio
from typing import Any

from components.httpguard._rules import HEADER_TIMEOUT

__all__ = ["HeaderDeadline"]


class HeaderDeadline:
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
