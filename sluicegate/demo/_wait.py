"""Waiting in the demo: poll a probe until it finds something (`run_push` waits on workflows and rollouts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sluicegate.errors import ServiceError

__all__ = ["TERMINAL", "wait_for"]

T = TypeVar("T")
TERMINAL = ("Succeeded", "Failed", "Error")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 1.0) -> T:
    """Call `probe` until it returns something not None; ServiceError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise ServiceError(
                f"timed out after {timeout:.0f}s waiting for {what}", fix="look at `sluice status` and the UI"
            )
        time.sleep(interval)
