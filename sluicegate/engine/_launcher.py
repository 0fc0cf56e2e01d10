"""The executor's link to the zygote (`_zygote`), the process that starts every container of a step.

Called by `_executor.Executor`: `spawn()` starts a zygote and a thread reading its events (a container
`started` with its pid, or `exited` with its code), each handed to `on_event`; `send(request)` writes one
launch request (built by `_launchrequest`) and starts a new zygote once if the old one has died. When a
zygote goes away, `on_died(generation)` tells the executor which steps it had started.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sluicegate.errors import SluiceError

__all__ = ["Launcher"]

_WARM = ("json", "pathlib", "subprocess", "argparse", "random", "time")


class Launcher:
    """Starts the zygote, sends it launch requests and passes its events on.

    Args:
        on_event: called (from the reader thread) with every event the zygote sends.
        on_died: called with the zygote's generation when it went away while the executor was not stopping.
        stopping: set when the executor stops (a closed zygote is then no surprise).
    """

    def __init__(
        self, on_event: Callable[[dict[str, Any]], None], on_died: Callable[[int], None], stopping: threading.Event
    ) -> None:
        self._on_event = on_event
        self._on_died = on_died
        self._stopping = stopping
        self._sock: socket.socket | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._send_lock = threading.Lock()
        self._generation = 0

    def spawn(self) -> None:
        """Start a zygote (the next generation) and the thread reading its events."""
        parent, child = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("_zygote.py")), str(child.fileno()), *_WARM],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self._sock = parent
        self._generation += 1
        args = (parent, self._generation)
        threading.Thread(target=self._read, args=args, name="sluice-zygote", daemon=True).start()

    def send(self, request: dict[str, Any]) -> int:
        """Send one launch request; restarts the zygote once if it has died. Returns the zygote's generation."""
        data = json.dumps(request).encode() + b"\n"
        with self._send_lock:
            for attempt in (1, 2):
                if self._sock is None:
                    raise SluiceError("the step launcher is not running", fix="restart the stack")
                try:
                    self._sock.sendall(data)
                    return self._generation
                except OSError:
                    if attempt == 2 or self._stopping.is_set():
                        raise
                    self._sock.close()
                    self.spawn()
        raise SluiceError("the step launcher is not running", fix="restart the stack")

    def close(self) -> None:
        """Close the link and wait for the zygote to exit (kill it after 5 seconds)."""
        if self._sock is not None:
            # shutdown, not only close: the reader thread blocked in recv() keeps the socket open past close(),
            # and the zygote, which exits on end of file, would wait out the 5 seconds below.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def _read(self, sock: socket.socket, generation: int) -> None:
        buf = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                if not self._stopping.is_set():
                    self._on_died(generation)
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._on_event(json.loads(line))
