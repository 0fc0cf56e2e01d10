"""An ASGI app served by uvicorn in a daemon thread of the stack process, on a socket bound up front.

Used by the API server and the Slack sink: binding before the thread starts means a taken port is a clear
error at once (no race between picking a free port and binding it), and `start` returns only once the
server accepts connections. Every app is served behind the listener guard (`components.httpguard`: Host and
Origin checks, a body cap) with a header read deadline for slow clients.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from components.httpguard import Guard, guarded_http_protocol
from sluicegate.errors import ServiceError

__all__ = ["ThreadedServer"]


class ThreadedServer:
    """uvicorn in a thread.

    Args:
        app: the ASGI application.
        name: the thread's name and what errors name.
        max_body: the largest request body in bytes (larger ones get 413 before they are read).
        path_limits: smaller body limits by path prefix.
        **config: further `uvicorn.Config` options.
    """

    def __init__(
        self,
        app: Any,
        name: str,
        max_body: int = 1024 * 1024,
        path_limits: tuple[tuple[str, int], ...] = (),
        **config: Any,
    ) -> None:
        self.name = name
        guarded = Guard(app, max_body, path_limits)
        config.setdefault("http", guarded_http_protocol())
        self._config = uvicorn.Config(guarded, log_level="warning", access_log=False, **config)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        """Whether the server accepts connections."""
        return self._server is not None and self._server.started

    def start(self, host: str, port: int, fix: str = "stop what uses the port or pick another") -> int:
        """Bind `host:port` (0: any free port), serve, wait until accepting; returns the bound port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            sock.close()
            raise ServiceError(f"cannot bind {host}:{port}: {e.strerror}", where=self.name, fix=fix) from e
        sock.listen(128)
        bound = int(sock.getsockname()[1])
        self._server = uvicorn.Server(self._config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ServiceError(f"{self.name} did not start", where=f"{host}:{bound}", fix="see the stack log")
            time.sleep(0.02)
        return bound

    def stop(self) -> None:
        """Ask the server to exit and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None
