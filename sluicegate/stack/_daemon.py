"""Running the stack in the foreground (with a live view) or detached, and stopping it.

Called by `sluicegate.cli._stack`: `run_foreground` serves until Ctrl-C or SIGTERM; `detach` starts
`python -m sluicegate up --no-view ...` in its own session (log in SLUICE_HOME/stack.log) and returns once
that child has written `endpoints.json` and its API answers; `down` stops a running stack via its pid file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from sluicegate.config import Settings
from sluicegate.errors import ServiceError
from sluicegate.stack._state import PidFile
from sluicegate.stack._supervisor import Stack, check_ports

__all__ = ["detach", "down", "run_foreground"]


def run_foreground(stack: Stack, on_tick: Callable[[Stack], None] | None = None, tick: float = 1.0) -> None:
    """Start `stack`, call `on_tick` every `tick` seconds until Ctrl-C or SIGTERM, then stop it.

    Once the stack has started, Ctrl-C only asks the loop to stop, as SIGTERM does: a KeyboardInterrupt raised
    inside `on_tick` could be swallowed by whatever the tick was doing (a health check, a redraw) and the stack
    would keep running. While it starts, Ctrl-C interrupts the start.
    """
    stop = threading.Event()
    started = threading.Event()

    def _term(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if signum == signal.SIGINT and not started.is_set():
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, _term) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        stack.start()
        started.set()
        while not stop.is_set():
            if on_tick is not None:
                on_tick(stack)
            stop.wait(tick)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(lines[-5:])


def detach(settings: Settings, args: list[str], timeout: float = 180.0) -> dict[str, Any]:
    """Start the stack as a background process; return its endpoints once every part is healthy.

    Args:
        settings: the settings the child uses (its SLUICE_HOME must be the same).
        args: options for `sluice up` in the child (ports, manifests, tracking URI).
        timeout: seconds to wait for the child to become healthy.
    """
    running = PidFile(settings.home / "stack.pid").running()
    if running is not None:
        raise ServiceError(
            f"a stack is already running here (pid {running})", where=str(settings.home), fix="run `sluice down` first"
        )
    check_ports(settings, {"api", "mlflow"})  # both required: a taken port fails here, not after the child's start
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.endpoints_file.unlink(missing_ok=True)
    log = settings.home / "stack.log"
    with log.open("ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "sluicegate", "up", "--no-view", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ServiceError(
                f"the stack exited with code {child.returncode} while starting: {_tail(log)}",
                where=str(log),
                fix=f"read {log}",
            )
        endpoints = _ready(settings, child.pid)
        if endpoints is not None:
            return endpoints
        time.sleep(0.2)
    child.terminate()
    raise ServiceError(f"the stack was not healthy after {timeout:.0f}s", where=str(log), fix=f"read {log}")


def _ready(settings: Settings, pid: int) -> dict[str, Any] | None:
    try:
        endpoints: dict[str, Any] = json.loads(settings.endpoints_file.read_text())
    except (OSError, ValueError):
        return None
    if endpoints.get("pid") != pid:
        return None
    import httpx  # only `sluice up --detach` waits on the API here: `sluice down` skips importing httpx

    try:
        ok = httpx.get(f"{endpoints['api']}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return None
    return endpoints if ok else None


def down(settings: Settings, timeout: float = 60.0) -> bool:
    """Stop the stack running on `settings.home`; True when one was running."""
    stopped = PidFile(settings.home / "stack.pid").stop(timeout)
    settings.endpoints_file.unlink(missing_ok=True)
    return stopped
