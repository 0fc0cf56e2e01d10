"""Durations as Argo writes them: Go's `time.ParseDuration` forms, or a bare number in a unit the field names.

Called by the workflow engine (`timeout`, `activeDeadlineSeconds`, suspend `duration`, retry `backoff`,
memoize `maxAge`), the Sensor model (trigger `retryStrategy.duration`) and the rollout controller (pause
`duration`, metric `interval`/`initialDelay`). The forms are one; what a bare number means is the field's:
Argo Workflows and Argo Rollouts read `10` as seconds, Argo Events' Int64OrString backoff as nanoseconds.
Each caller says so with `bare`, the unit of a bare number.
"""

from __future__ import annotations

import re
from typing import Any

from sluicegate.errors import ExprError

__all__ = ["parse_duration"]

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DAY = {"d": 86400.0}
#: how many of a bare number's unit make a second (dividing keeps `5e8` ns exactly 0.5 s)
_PER_SECOND = {"ns": 1e9, "us": 1e6, "µs": 1e6, "ms": 1e3, "s": 1.0}
_BARE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _parts(text: str, units: dict[str, float]) -> list[tuple[str, str]] | None:
    names = "|".join(sorted(map(re.escape, units), key=len, reverse=True))
    parts = re.findall(rf"(\d+(?:\.\d*)?|\.\d+)({names})", text)
    return parts if parts and "".join(n + u for n, u in parts) == text else None


def parse_duration(
    value: Any, *, bare: str, where: str = "duration", empty: float | None = None, days: bool = False
) -> float:
    """Seconds of `value`: a Go duration string (`500ms`, `2s`, `1m30s`, `1.5h`) or a bare number.

    Args:
        value: the field's value: a number, a numeric string, or a duration string.
        bare: the unit of a bare number: `"s"` (Argo Workflows, Argo Rollouts) or `"ns"` (Argo Events).
        where: the field, named in the error.
        empty: what an empty string means; None makes it an error.
        days: also accept `d` (86400 s), as the workflow engine always has.

    Raises:
        ExprError: not a number and not a duration.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) / _PER_SECOND[bare]
    raw = str(value).strip()
    if not raw and empty is not None:
        return empty
    if _BARE.fullmatch(raw):
        return float(raw) / _PER_SECOND[bare]
    parts = _parts(raw, {**_GO_UNITS, **_DAY} if days else _GO_UNITS)
    if parts is None:
        raise ExprError(f"{raw!r} is not a duration", where=where, fix='use e.g. "500ms", "30s", "5m", "1h30m"')
    return sum(float(n) * ({**_GO_UNITS, **_DAY}[u]) for n, u in parts)
