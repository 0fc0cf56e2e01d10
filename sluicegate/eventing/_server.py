"""One HTTP server per EventSource port (threads of the events Part), plus `GET /health` -> `OK`.

Called by the events Part. The servers only route: every request on a known endpoint goes to the shared
`Receiver`. Unknown paths get 404. The route table can be replaced while serving (EventSources change).
Before a body is read, the listener guard (`components.httpguard`) refuses a foreign Host or Origin (403) and
a body over the endpoint's limit (413); JSON nested deeper than the guard's limit is malformed (400).
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any

from components.httpguard import MAX_JSON_DEPTH, GuardedHandler, json_depth
from sluicegate.errors import ServiceError
from sluicegate.eventing._receive import Answer, Receiver
from sluicegate.eventing._sources import MAX_BODY, Endpoint

__all__ = ["PortServer"]


class _Handler(GuardedHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging (the journal records what matters)."""

    def _answer(self, answer: Answer, close: bool = False) -> None:
        self.send_text(answer.status, answer.text, close, newline=False)  # Argo Events writes the text alone

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        ep = self.server.routes.get(path)
        if self.refused(None) is not None:
            return  # a foreign Host or Origin: answered before anything else
        if path == "/health":
            self._answer(Answer(200, "OK"))
            return
        if ep is None:
            self._answer(Answer(404, f"no event source endpoint at {path}"), close=True)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        denied = self.server.receiver.bearer(ep, headers)  # before reading any body, as Argo Events
        if denied is not None:
            self._answer(denied, close=True)
            return
        if self.refused(min(ep.max_body, MAX_BODY)) is not None:
            return  # a body over the limit: 413 before reading it
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if json_depth(body) > MAX_JSON_DEPTH:
            self._answer(Answer(400, f"malformed body: JSON nested deeper than {MAX_JSON_DEPTH} levels"), close=True)
            return
        try:
            answer = self.server.receiver.handle(ep, self.command, headers, body)
        except RecursionError:  # a form payload hiding deep JSON: malformed, like any other bad body
            answer = Answer(400, f"malformed body: JSON nested deeper than {MAX_JSON_DEPTH} levels")
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
