"""One HTTP server per EventSource port (threads of the events Part), plus `GET /health` -> `OK`.

Called by the events Part. The servers only route: every request on a known endpoint goes to the shared
`Receiver`. Unknown paths get 404. The route table can be replaced while serving (EventSources change).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sluicegate.errors import ServiceError
from sluicegate.eventing._receive import Answer, Receiver
from sluicegate.eventing._sources import MAX_BODY, Endpoint

__all__ = ["PortServer"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging (the journal records what matters)."""

    def _answer(self, answer: Answer, close: bool = False) -> None:
        data = (answer.text + "\n").encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._answer(Answer(200, "OK"))
            return
        ep = self.server.routes.get(path)
        if ep is None:
            self._answer(Answer(404, f"no event source endpoint at {path}"), close=True)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        denied = self.server.receiver.bearer(ep, headers)  # before reading any body, as Argo Events
        if denied is not None:
            self._answer(denied, close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._answer(Answer(400, "bad Content-Length"), close=True)
            return
        if length > min(ep.max_body, MAX_BODY) or length < 0:
            self._answer(Answer(413, f"request too large: {length} bytes, the limit is {ep.max_body}"), close=True)
            return
        body = self.rfile.read(length) if length else b""
        try:
            answer = self.server.receiver.handle(ep, self.command, headers, body)
        except Exception as e:  # the journal failed: say so, never claim success (Argo's 500)
            answer = Answer(500, f"failed to record event: {type(e).__name__}: {e}")
        self._answer(answer)

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _route


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    routes: dict[str, Endpoint]
    receiver: Receiver


class PortServer:
    """An HTTP server on one port serving some EventSource endpoints.

    Args:
        host: interface to bind.
        port: TCP port.
        receiver: the shared request processor.
    """

    def __init__(self, host: str, port: int, receiver: Receiver) -> None:
        try:
            self._srv = _Server((host, port), _Handler)
        except OSError as e:
            raise ServiceError(
                f"cannot listen on {host}:{port}: {e.strerror}",
                where=f"EventSource port {port}",
                fix="stop what uses the port, or change the EventSource's port",
            ) from e
        self._srv.routes = {}
        self._srv.receiver = receiver
        self.port = port
        self.host = host
        self._thread = threading.Thread(
            target=self._srv.serve_forever, kwargs={"poll_interval": 0.1}, name=f"eventsource-{port}", daemon=True
        )

    def set_routes(self, endpoints: list[Endpoint]) -> None:
        """Replace the route table (path -> endpoint)."""
        self._srv.routes = {ep.path: ep for ep in endpoints}

    @property
    def routes(self) -> dict[str, Endpoint]:
        """The current route table."""
        return self._srv.routes

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._srv.shutdown()
        self._srv.server_close()
        self._thread.join(5)
