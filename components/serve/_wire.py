"""One send per answer: a response's head leaves together with its body (one write, one TCP segment).

Called by `components.serve.__main__`, which gives uvicorn `JoinedHttpProtocol` (the guarded protocol of
`components.httpguard`, nothing else changed). uvicorn writes the status line and headers when the app
sends `http.response.start` and the body on `http.response.body`: two system calls and two segments per
answer, and the client is woken twice. Here the connection's transport holds a write until the next one
joins it; whatever is still held when the event loop's current callback ends goes out then, so a head
without body (HEAD, 204, an error uvicorn writes alone) is never delayed past the callback that wrote it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from components.httpguard import guarded_http_protocol

__all__ = ["JoinedHttpProtocol", "JoinedWrites"]


class JoinedWrites:
    """A transport whose writes are paired: the first is held, the next goes out joined with it.

    Args:
        transport: the connection's real transport (everything but writing and closing is passed on).
        loop: the event loop that flushes a write left alone at the end of its callback.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Hold `data`, or send it joined with the held write."""
        if self._held is None:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        held, self._held = self._held, None
        self._transport.write(held + bytes(data))

    def writelines(self, chunks: Any) -> None:
        """Write every chunk as one."""
        self.write(b"".join(chunks))

    def flush(self) -> None:
        """Send a held write now (nothing when none is held or the connection is closing)."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        """Send what is held, then close (the transport still sends its buffer before closing)."""
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        """Drop what is held and close at once."""
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        """Bytes written but not sent yet, the held ones included."""
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


_Guarded: Any = guarded_http_protocol()


class JoinedHttpProtocol(_Guarded):  # type: ignore[misc]
    """The guarded uvicorn HTTP protocol writing each response's head and body in one send."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.transport = JoinedWrites(transport, self.loop)  # type: ignore[arg-type]
