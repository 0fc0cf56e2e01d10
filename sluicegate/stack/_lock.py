"""The home's lock and permissions: one stack per SLUICE_HOME, readable by its owner only.

Called by the supervisor when a stack starts: `private_home` makes SLUICE_HOME mode 0700 (the store, logs,
token and secrets inside are then out of reach of other users whatever their own modes), and `HomeLock`
holds an exclusive `flock` on `SLUICE_HOME/stack.lock` for the stack's lifetime, so two `sluice up` racing on
one home cannot both pass the pid-file check; the loser gets a clear error. The kernel drops the lock when
the process dies, so a crashed stack never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sluicegate.errors import ServiceError

__all__ = ["HomeLock", "private_home"]


def private_home(home: Path) -> None:
    """Create `home` if needed and make it mode 0700."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(home, 0o700)


class HomeLock:
    """An exclusive, non-blocking lock on `home/stack.lock`.

    Args:
        home: the SLUICE_HOME to lock.
    """

    def __init__(self, home: Path) -> None:
        self.path = home / "stack.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock; ServiceError when another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ServiceError(
                "another `sluice up` is starting or running on this home",
                where=str(self.path.parent),
                fix="wait for it (`sluice status`), or stop it with `sluice down`",
            ) from None
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
