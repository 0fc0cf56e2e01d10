"""Removes the root folders of sandboxed steps that have ended, off the path that records their outcome.

Called by `_executor.Executor`: `discard(folder)` when a step's outcome is queued, `start()`/`stop()` with
the executor. A step's root folder (`<run>/fs`: its mount points and whatever it wrote outside its volumes)
is moved into `SLUICE_HOME/run/.trash` at once (one rename) and deleted by a thread of its own, which waits
while steps run (removal waits on the disk for every folder, about a millisecond each, and would compete
with the next step's start) unless `_MAX_WAITING` folders or `_MAX_AGE` seconds have piled up, so the
disk a long-running stack holds stays bounded. What a stopped or crashed stack left in the trash is deleted
when the next one starts.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["Reaper"]

_MAX_WAITING = 64  # folders waiting for an idle moment before they are removed anyway
_MAX_AGE = 10.0  # seconds a folder waits at most
_IDLE_POLL = 0.2  # seconds between looks at whether steps still run


class Reaper:
    """Deletes discarded folders in the background, preferably while no step runs.

    Args:
        trash: the folder discarded folders are moved into (on the same file system as them).
        busy: whether steps are running now.
    """

    def __init__(self, trash: Path, busy: Callable[[], bool]) -> None:
        self.trash = trash
        self._busy = busy
        self._waiting: list[tuple[float, Path]] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._names = itertools.count()

    def start(self) -> None:
        """Queue what an earlier stack left in the trash and start removing."""
        self.trash.mkdir(parents=True, exist_ok=True)
        left = [self.trash / name for name in os.listdir(self.trash)]
        with self._cond:
            self._waiting.extend((0.0, p) for p in left)  # old: removed without waiting for an idle moment
        self._thread = threading.Thread(target=self._loop, name="sluice-reaper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Remove what is queued now and end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def discard(self, folder: Path) -> None:
        """Move `folder` (if it exists) to the trash; it is deleted later. Removed at once if it cannot move."""
        dest = self.trash / f"{os.getpid()}-{next(self._names)}-{folder.parent.name}"
        try:
            os.rename(folder, dest)
        except FileNotFoundError:
            return
        except OSError:  # e.g. another file system: remove it here, as before
            shutil.rmtree(folder, ignore_errors=True)
            return
        with self._cond:
            self._waiting.append((time.monotonic(), dest))
            self._cond.notify_all()

    def pending(self) -> int:
        """How many folders wait to be removed."""
        with self._cond:
            return len(self._waiting)

    def _due(self) -> list[Path]:
        """Folders to remove now (called with the lock held)."""
        if not self._waiting:
            return []
        oldest = self._waiting[0][0]
        if (
            self._stopping
            or len(self._waiting) >= _MAX_WAITING
            or time.monotonic() - oldest >= _MAX_AGE
            or not self._busy()
        ):
            due = [p for _, p in self._waiting]
        else:
            return []
        self._waiting.clear()
        return due

    def _loop(self) -> None:
        while True:
            with self._cond:
                due = self._due()
                if not due:
                    if self._stopping:
                        return
                    # nothing queued: sleep until discard() or stop() notifies, instead of polling
                    self._cond.wait(_IDLE_POLL if self._waiting else None)
                    continue
            for path in due:
                shutil.rmtree(path, ignore_errors=True)
