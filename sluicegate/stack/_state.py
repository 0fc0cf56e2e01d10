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

__all__ = ["PidFile", "alive", "ensure_token", "rotate_token", "start_time", "write_private"]


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


def rotate_token(path: Path) -> str:
    """Write a new random API token to `path` (mode 0600); returns it."""
    token = secrets.token_urlsafe(32)
    write_private(path, token + "\n")
    return token


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (`/proc/PID/stat` field 22); None if it is gone.

    A pid and its start time together name one process: a recycled pid has another start time.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    if not fields or fields[0] == "Z":  # a zombie has exited
        return None
    return int(fields[19])


def alive(pid: int, started: int | None = None) -> bool:
    """Whether `pid` is the process we recorded: same start time when given, else a Sluicegate command line."""
    now = start_time(pid)
    if now is None:
        return False
    if started is not None:
        return now == started
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"sluice" in cmdline or b"mlflow" in cmdline or b"uvicorn" in cmdline


def _entry(raw: Any) -> tuple[int, int | None]:
    """A recorded process: `[pid, start time]` (or a bare pid, from older pid files)."""
    if isinstance(raw, list) and len(raw) == 2:
        return int(raw[0]), (None if raw[1] is None else int(raw[1]))
    return int(raw), None


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
        """Record the supervisor `pid` and service process `groups`, each with its start time."""
        data = {
            "pid": pid,
            "started": start_time(pid),
            "groups": [[g, start_time(g)] for g in groups],
        }
        write_private(self.path, json.dumps(data))

    def running(self) -> int | None:
        """The pid of a live supervisor recorded here, else None."""
        data = self.read()
        pid = int(data.get("pid", 0)) if data else 0
        started = data.get("started") if data else None
        return pid if pid and pid != os.getpid() and alive(pid, started) else None

    def groups(self) -> list[int]:
        """The recorded service process groups that still run."""
        data = self.read() or {}
        return [pid for pid, started in map(_entry, data.get("groups", [])) if alive(pid, started)]

    def clean_leftovers(self) -> list[int]:
        """After a crashed supervisor: SIGKILL the recorded service groups; remove the file. Returns them."""
        groups = self.groups()
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
            self.stop_steps()
            return False
        started = start_time(pid)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid, started) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                if os.getpgid(pid) == pid:
                    _kill_group(pid, signal.SIGKILL)
        self.clean_leftovers()
        self.stop_steps()
        return True

    def stop_steps(self) -> list[int]:
        """SIGKILL the steps still running under their shims; returns their process groups.

        A crashed stack leaves its steps running for the next one to adopt; `sluice down` means there will
        be none. Each container of a step records its shim: the main one in the node's folder, the others
        (containerSet containers, sidecars) in `containers/<name>/`.
        """
        stopped = []
        run = self.path.parent / "run"
        for shim in [*run.glob("*/*/*/shim"), *run.glob("*/*/*/containers/*/shim")]:
            try:
                pid_text, started = shim.read_text().split()
                pid = int(pid_text)
                if alive(pid, int(started)):
                    _kill_group(pid, signal.SIGKILL)
                    stopped.append(pid)
            except (OSError, ValueError):
                continue
        return stopped
