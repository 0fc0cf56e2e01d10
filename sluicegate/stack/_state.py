"""Files a running stack keeps in SLUICE_HOME: the API token, the pid file, `endpoints.json`.

Called by the supervisor (writes them) and by `sluice down`/`sluice status` (read them). The pid file
records the supervisor and the process groups of the services it started, so that after a `kill -9` of the
supervisor the next `sluice up` or `sluice down` can stop what was left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import time
from pathlib import Path
from typing import Any

__all__ = ["PidFile", "alive", "ensure_token", "write_private"]


def write_private(path: Path, text: str) -> None:
    """Write `text` atomically with file mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def ensure_token(path: Path) -> str:
    """The API token in `path`, created (random, mode 0600) on first start."""
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    write_private(path, token + "\n")
    return token


def alive(pid: int) -> bool:
    """Whether `pid` runs and is a Sluicegate process (guards against a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return False
    return b"sluice" in cmdline or b"mlflow" in cmdline or b"uvicorn" in cmdline


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class PidFile:
    """`SLUICE_HOME/stack.pid`: `{"pid": supervisor, "groups": [process groups of started services]}`.

    Args:
        path: the pid file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any] | None:
        """The recorded content, or None when there is no (readable) pid file."""
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write(self, pid: int, groups: list[int]) -> None:
        """Record the supervisor `pid` and service process `groups`."""
        write_private(self.path, json.dumps({"pid": pid, "groups": groups}))

    def running(self) -> int | None:
        """The pid of a live supervisor recorded here, else None."""
        data = self.read()
        pid = int(data.get("pid", 0)) if data else 0
        return pid if pid and pid != os.getpid() and alive(pid) else None

    def clean_leftovers(self) -> list[int]:
        """After a crashed supervisor: SIGKILL the recorded service groups; remove the file. Returns them."""
        data = self.read() or {}
        groups = [int(g) for g in data.get("groups", []) if alive(int(g))]
        for pgid in groups:
            _kill_group(pgid, signal.SIGKILL)
        self.path.unlink(missing_ok=True)
        return groups

    def stop(self, timeout: float = 60.0) -> bool:
        """SIGTERM the recorded supervisor and wait; SIGKILL it (and its group) after `timeout`.

        Returns True when a supervisor was running.
        """
        pid = self.running()
        if pid is None:
            self.clean_leftovers()
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                if os.getpgid(pid) == pid:
                    _kill_group(pid, signal.SIGKILL)
        self.clean_leftovers()
        return True
