"""Trigger `rateLimit` and trigger template `conditionsReset`, as the Argo Events sensor applies them.

Called by `_controller`. `rateLimit` (`unit` Second/Minute/Hour, default Second; `requestsPerUnit`) paces a
trigger with the leaky bucket Argo Events uses (go.uber.org/ratelimit: one permission every unit/N, up to
ten permissions of slack saved while idle); a trigger waits for its turn, it is never dropped.
`conditionsReset[].byTime` (`cron`, `timezone`) forgets the events a trigger's conditions collected before
the most recent time the cron expression names, so a partial AND match does not carry over that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from sluicegate.errors import ManifestError

__all__ = ["LeakyBucket", "drop_before_reset", "last_reset"]

_UNITS = {"": 1.0, "Second": 1.0, "Minute": 60.0, "Hour": 3600.0}
#: go.uber.org/ratelimit's default slack: this many permissions may be saved while the trigger is idle.
SLACK = 10


class LeakyBucket:
    """One permission every `per` seconds, with `SLACK` saved while idle (ratelimit's atomic limiter)."""

    def __init__(self, requests: int, unit: str, clock: Callable[[], float] = time.monotonic) -> None:
        if unit not in _UNITS:
            raise ManifestError(
                f"rateLimit.unit {unit!r} is not one of Second, Minute, Hour", where="rateLimit.unit", fix="use Second"
            )
        self.unit, self.requests = unit, requests
        self.per = _UNITS[unit] / requests if requests > 0 else 0.0
        self.slack = SLACK * self.per
        self.clock = clock
        self._next: float | None = None
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Take a permission; returns how long to wait before using it (0 when it is already due)."""
        with self._lock:
            now = self.clock()
            if self.per <= 0:
                return 0.0
            if self._next is None:
                self._next = now
            elif now - self._next > self.slack + self.per:
                self._next = now - self.slack
            else:
                self._next += self.per
            return max(self._next - now, 0.0)


def last_reset(criteria: list[dict[str, Any]], now: datetime | None = None) -> datetime | None:
    """The latest time before `now` named by any `byTime` criterion (None without one).

    Raises:
        ManifestError: a cron expression or time zone is invalid (names the field).
    """
    now = now or datetime.now(UTC)
    latest: datetime | None = None
    for i, criterion in enumerate(criteria):
        by_time = criterion.get("byTime") or {}
        expr, zone_name = str(by_time.get("cron") or ""), str(by_time.get("timezone") or "")
        if not expr:
            continue
        where = f"conditionsReset[{i}].byTime"
        try:
            zone: Any = ZoneInfo(zone_name) if zone_name else UTC
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ManifestError(
                f"unknown timezone {zone_name!r}", where=f"{where}.timezone", fix="use an IANA name"
            ) from e
        if not croniter.is_valid(expr) or len(expr.split()) != 5:
            raise ManifestError(
                f"{expr!r} is not a 5-field cron expression", where=f"{where}.cron", fix="e.g. 0 0 * * *"
            )
        prev: datetime = croniter(expr, now.astimezone(zone)).get_prev(datetime)
        latest = prev if latest is None or prev > latest else latest
    return latest


def _event_time(view: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(view["context"].get("time", "")).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None


def drop_before_reset(state: dict[str, dict[str, Any]], criteria: list[dict[str, Any]]) -> list[str]:
    """Remove from `state` the events received before the last reset; returns the dependencies dropped."""
    reset = last_reset(criteria)
    if reset is None:
        return []
    stale = [dep for dep, view in state.items() if (t := _event_time(view)) is not None and t < reset]
    for dep in stale:
        del state[dep]
    return stale
