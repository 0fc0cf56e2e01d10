"""`GuardedHandler`: a `http.server` request handler base class applying the listener rules.

Used by the EventSources' servers (`sluicegate.eventing._server`) and the MLflow relay
(`components.relay._relay`). The request head (request line and headers) must arrive in full within
`HEADER_TIMEOUT` of the first wait for it, however it is dribbled (a client sending one byte a second is cut
off, not only one that stalls); each body read has the same deadline per read. `refused()` checks Host,
Origin and the declared body size before the body is read.
"""

from __future__ import annotations

import io
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from components.httpguard._rules import HEADER_TIMEOUT, Refusal, check_head

__all__ = ["GuardedHandler"]


class _DeadlineSocketIO(io.RawIOBase):
    """The socket's reading side, where every read is bounded by `timeout` and, while set, by `deadline`."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self.timeout = timeout
        self.deadline: float | None = None  # time.monotonic() by which the request head must be complete

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wait = self.timeout
        if self.deadline is not None:
            wait = min(wait, self.deadline - time.monotonic())
            if wait <= 0:
                raise TimeoutError("the request head did not arrive in time")
        self._sock.settimeout(wait)
        return self._sock.recv_into(buffer)


class GuardedHandler(BaseHTTPRequestHandler):
    """A handler whose subclasses call `refused(max_body)` first in every `do_*` method."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    timeout = HEADER_TIMEOUT  # the head's total deadline, and each later read's
    _reader: _DeadlineSocketIO

    def setup(self) -> None:
        """Read through `_DeadlineSocketIO`, so the request head has a total deadline."""
        super().setup()
        self.rfile.close()  # the plain file `setup` made: it would keep the socket open after the request
        self._reader = _DeadlineSocketIO(self.connection, float(self.timeout or HEADER_TIMEOUT))
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        """Serve one request; its head (also the wait for it on a kept-alive connection) has one deadline."""
        self._reader.deadline = time.monotonic() + self._reader.timeout
        try:
            super().handle_one_request()
        finally:
            self._reader.deadline = None

    def parse_request(self) -> bool:
        """Parse the head as `http.server` does; the body that follows has only the per-read deadline."""
        ok = super().parse_request()
        self._reader.deadline = None
        self.connection.settimeout(self._reader.timeout)  # the answer's writes get the whole per-read time
        return ok

    def send_text(self, status: int, text: str, close: bool = False, newline: bool = True) -> None:
        """A `text/plain` answer, `text` plus a newline unless `newline` is False; `close` ends the connection."""
        data = (text + "\n" if newline else text).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def refused(self, max_body: int | None) -> Refusal | None:
        """Answer and return the refusal if the request breaks a rule; None when it may be served.

        A chunked body is refused (411): these listeners read bodies by their declared length only. With
        `max_body` None the size is not checked (for answers that never read the body).
        """
        headers = {k.lower(): v for k, v in self.headers.items()}
        bound: Any = self.server.server_address
        refusal = check_head(headers, str(bound[0]), int(bound[1]), max_body)
        if refusal is None and "chunked" in headers.get("transfer-encoding", "").lower():
            refusal = Refusal(411, "chunked bodies are not accepted: send Content-Length")
        if refusal is not None:
            self.send_text(refusal.status, refusal.reason, close=True)
        return refusal
