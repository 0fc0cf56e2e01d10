"""Steady synthetic traffic against a model service, counting every answer by status and model version.

The demo runs it from the first promotion to the end, so "zero failed requests while a canary is promoted
and while one is aborted" is measured, not assumed. Requests are sent on a fixed schedule (open loop).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

__all__ = ["SteadyTraffic", "TrafficTally"]


@dataclass
class TrafficTally:
    """What the traffic saw: answers by HTTP status and by the model version that answered."""

    sent: int = 0
    failed: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_version: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class SteadyTraffic:
    """A background thread posting one scoring request every 1/rps seconds.

    Args:
        url: the service (splitter) URL; requests go to `url/invocations`.
        rows: feature rows to send, in MLflow's `dataframe_split` format (columns + rows).
        columns: the column names.
        rps: requests per second.
    """

    def __init__(self, url: str, columns: list[str], rows: list[list[float]], rps: float = 20.0) -> None:
        self.url = url.rstrip("/") + "/invocations"
        self.columns = columns
        self.rows = rows
        self.rps = rps
        self.tally = TrafficTally()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-traffic", daemon=True)

    def start(self) -> None:
        """Start sending."""
        self._thread.start()

    def stop(self) -> TrafficTally:
        """Stop and return the tally."""
        self._stop.set()
        self._thread.join(10)
        return self.tally

    def _run(self) -> None:
        period = 1.0 / self.rps
        next_at = time.monotonic()
        with httpx.Client(timeout=10) as client:
            i = 0
            while not self._stop.is_set():
                row = self.rows[i % len(self.rows)]
                i += 1
                self._one(client, row)
                next_at += period
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_at = time.monotonic()  # fell behind: do not burst to catch up

    def _one(self, client: httpx.Client, row: list[float]) -> None:
        t = self.tally
        t.sent += 1
        try:
            r = client.post(self.url, json={"dataframe_split": {"columns": self.columns, "data": [row]}})
        except httpx.HTTPError as e:
            t.failed += 1
            t.by_status[type(e).__name__] += 1
            if len(t.failures) < 20:
                t.failures.append(f"{type(e).__name__}: {e}")
            return
        t.by_status[str(r.status_code)] += 1
        t.by_version[r.headers.get("x-model-version", "?")] += 1
        if r.status_code >= 400:
            t.failed += 1
            if len(t.failures) < 20:
                t.failures.append(f"HTTP {r.status_code} from version {r.headers.get('x-model-version', '?')}")
