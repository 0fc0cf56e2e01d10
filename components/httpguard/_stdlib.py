"""`GuardedHandler`: a `http.server` request handler base class applying the listener rules.

Used by the EventSources' servers (`sluicegate.eventing._server`) and the MLflow relay
(`components.relay._relay`). Each socket read has a deadline (`HEADER_TIMEOUT`), so a slow client is dropped;
`refused()` checks Host, Origin and the declared body size before the body is read.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from components.httpguard._rules import HEADER_TIMEOUT, Refusal, check_head

__all__ = ["GuardedHandler"]


class GuardedHandler(BaseHTTPRequestHandler):
    """A handler whose subclasses call `refused(max_body)` first in every `do_*` method."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    timeout = HEADER_TIMEOUT  # a deadline on every read: a client that stalls is disconnected

    def send_text(self, status: int, text: str, close: bool = False) -> None:
        """A `text/plain` answer; `close` ends the connection after it."""
        data = (text + "\n").encode()
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
