"""A child process in its own process group, with its log kept in a file and a health check."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from sluicegate.errors import ServiceError
from sluicegate.services._port_owner import listening_pids

__all__ = ["ManagedProcess", "PortTakenError", "free_port", "on_process_start", "wait_http"]

_listeners: list[Callable[[int], None]] = []


def on_process_start(listener: Callable[[int], None]) -> Callable[[], None]:
    """Call `listener(pid)` whenever a ManagedProcess starts.

    The stack records every process it starts, model servers started long after `sluice up` too, so that
    `sluice down` and a restart after a crash stop them. Returns a function that removes the listener.
    """
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether `pid` is `ancestor`, in its process group, or started (transitively) by it."""
    try:
        if os.getpgid(pid) == ancestor:
            return True
    except ProcessLookupError:
        return False
    for _ in range(64):
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


class PortTakenError(ServiceError):
    """Another process answers on the port a started server was given."""


def _check_owner(url: str, proc: subprocess.Popen[bytes]) -> None:
    """PortTakenError unless the process listening on `url`'s port is `proc` or one of its group."""
    port = httpx.URL(url).port
    owners = listening_pids(port) if port else None
    if not owners:  # cannot tell (no /proc) or a socket we may not read: trust the answer
        return
    if not any(_descends_from(pid, proc.pid) for pid in owners):
        raise PortTakenError(
            f"port {port} is answered by another process (pid {', '.join(map(str, sorted(owners)))})",
            where=url,
            fix="start it on another port (0 picks a free one)",
        )


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    """Poll `url` until it answers 2xx; ServiceError naming the URL (and the log) when it does not.

    With `proc`, the answer must come from that process (or its process group): PortTakenError when
    another process holds the port, as when two starters drew the same free port.
    """
    deadline = time.monotonic() + timeout
    last = ""
    # one client for every poll: each `httpx.get` builds a TLS context (~55 ms of CPU), five times a second
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
                raise ServiceError(
                    f"exited with code {proc.returncode} before it was healthy: {tail.strip().splitlines()[-1:] or ''}",
                    where=url,
                    fix=f"read {log}" if log else "run it by hand to see why",
                )
            try:
                r = client.get(url)
                if r.status_code < 300:
                    if proc is not None:
                        _check_owner(url, proc)
                    return
                last = f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                last = type(e).__name__
            time.sleep(0.2)
    raise ServiceError(f"not healthy after {timeout:.0f}s (last: {last})", where=url, fix=f"read {log}" if log else "")


class ManagedProcess:
    """A started child process; `stop()` ends its whole process group (SIGTERM, then SIGKILL).

    Args:
        argv: the command.
        log: file receiving stdout and stderr.
        env: extra environment variables.
        cwd: working directory.
    """

    def __init__(self, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.argv = argv
        self.log = log
        self._env, self._cwd = env, cwd
        self._spawn()

    def _spawn(self) -> None:
        argv, log, env, cwd = self.argv, self.log, self._env, self._cwd
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
            )
        for listener in list(_listeners):
            try:
                listener(self.proc.pid)
            except Exception:  # recording must never stop a process from starting
                continue

    @property
    def pid(self) -> int:
        """The child's pid (also its process group id)."""
        return self.proc.pid

    def alive(self) -> bool:
        """Whether the child still runs."""
        return self.proc.poll() is None

    def restart(self) -> int | None:
        """Start the command again (same argv, environment, folder and log) if it has exited; its exit code."""
        code = self.proc.poll()
        if code is None:
            return None
        self._spawn()
        return code

    def stop(self, grace: float = 10.0, launcher: bool = False) -> None:
        """SIGTERM the process group, wait up to `grace` seconds, then SIGKILL.

        With `launcher`, the child is a command whose only work is the server processes it started (as
        `mlflow server` runs uvicorn): once they have exited it is killed instead of waited for, as it would
        spend seconds in the final garbage collection of everything it imported.
        """
        if not self.alive():
            return
        started = _children(self.proc.pid) if launcher else []
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while started and any(map(_running, started)) and time.monotonic() < deadline:
            time.sleep(0.02)
        if started and self.alive() and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        try:
            self.proc.wait(max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            self.proc.wait(5)


def _children(pid: int) -> list[int]:
    """The processes `pid` started that still run (Linux `/proc`; none where it cannot be read)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(child) for child in task.read_text().split()]
    return found


def _running(pid: int) -> bool:
    """Whether `pid` runs (a zombie has exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
