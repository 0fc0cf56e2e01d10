"""`Watchdog`: restarts a stack's child process that died, and says so in `sluice status` and the stack log.

Used by the parts that run processes (`sluicegate.stack._mlflow.MlflowPart` for MLflow,
`sluicegate.eventing._part.EventsPart` for the MLflow relay). Every `interval` seconds it looks at each
process it was given; one that has exited (killed, crashed) is started again with the same command, so it
binds the same port and the stack's URLs stay valid. `report()` gives `restarts` and the last exit code per
process, which the parts merge into their status.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sluicegate.services._process import ManagedProcess

__all__ = ["Watchdog"]

log = logging.getLogger("sluicegate.stack")


class Watchdog:
    """Restart the named processes when they exit, until `stop`.

    Args:
        part: the owning part's name (for the log).
        interval: seconds between looks.
    """

    def __init__(self, part: str, interval: float = 1.0) -> None:
        self.part = part
        self.interval = interval
        self.restarts: dict[str, int] = {}
        self.last_exit: dict[str, int] = {}
        self._watched: dict[str, Callable[[], ManagedProcess | None]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, name: str, process: Callable[[], ManagedProcess | None]) -> None:
        """Look after the process `process()` returns (None: nothing to look after now); starts the thread."""
        with self._lock:
            self._watched[name] = process
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"{self.part}-watchdog", daemon=True)
            self._thread.start()

    def check(self) -> list[str]:
        """Restart every watched process that has exited now; the names restarted."""
        done = []
        with self._lock:
            for name, get in self._watched.items():
                proc = get()
                if proc is None or self._stop.is_set():
                    continue
                code = proc.restart()
                if code is None:
                    continue
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.last_exit[name] = code
                done.append(name)
                log.warning(
                    "%s: %s exited with code %s; restarted it (pid %s, restart %d)",
                    self.part, name, code, proc.pid, self.restarts[name],
                )  # fmt: skip
        return done

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # keep watching the others
                log.exception("%s: watchdog", self.part)

    def report(self) -> dict[str, Any]:
        """`{"restarts": {name: n}, "lastExitCode": {name: code}}` once something was restarted, else `{}`."""
        if not self.restarts:
            return {}
        return {"restarts": dict(self.restarts), "lastExitCode": dict(self.last_exit)}

    def stop(self) -> None:
        """Stop watching (call before stopping the processes, so they are not started again)."""
        self._stop.set()
        with self._lock:
            self._watched.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
