"""uvicorn HTTP protocols that drop a client which does not send a complete request head in time.

uvicorn has no header read timeout: a client that opens a connection and sends its head a byte at a time
holds the connection (and its buffers) for as long as it likes. These subclasses arm a timer when a
connection opens and after each response; if no new request head has arrived when it fires, the connection
is closed. Passed as `http=` to `uvicorn.Config`/`uvicorn.run` by every uvicorn listener.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from components.httpguard._deadline import HeaderDeadline

__all__ = ["GuardedH11Protocol", "guarded_http_protocol"]


class GuardedH11Protocol(HeaderDeadline, H11Protocol):
    """h11 with a header read deadline."""


def guarded_http_protocol() -> type[Any]:
    """The fastest available protocol class with a header read deadline (httptools if installed, else h11)."""
    try:
        from components.httpguard._httptools import GuardedHttpToolsProtocol
    except ImportError:
        return GuardedH11Protocol
    return GuardedHttpToolsProtocol
