"""Times as Kubernetes and Argo write them: RFC 3339 in UTC with a `Z`, to the second (`metav1.Time`).

Called by the store (`creationTimestamp`), the controllers (node and status times, cron schedules, analysis
measurements, `workflow.creationTimestamp` globals), the archive's field selectors and the CLI's log lines.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["TIME_FORMAT", "epoch", "format_time", "parse_time", "utc_now"]

#: the one wire form of a time: `2026-01-31T12:00:00Z`
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """The current time in the wire form."""
    return format_time(datetime.now(UTC))


def format_time(at: datetime) -> str:
    """`at` (aware, any zone) in the wire form."""
    return at.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """An aware UTC datetime of a wire-form time; ValueError for any other form."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def epoch(text: str | None) -> float:
    """Epoch seconds of a wire-form time, or of now when `text` is empty."""
    return parse_time(text).timestamp() if text else time.time()
