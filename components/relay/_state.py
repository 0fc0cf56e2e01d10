"""The relay's persisted state: the finished-runs watermark and the recently seen webhook deliveries.

Called by the relay. Written atomically (temp file + rename) after every change, so a restart neither
announces a run twice nor misses one, and a replayed delivery is refused even after a restart.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["RelayState"]


class RelayState:
    """Watermark (`end_time` in ms), runs announced at or after `watermark - lookback`, seen deliveries.

    Args:
        path: the JSON state file (created with its folder).
        lookback_ms: how far before the watermark runs are re-checked (late-arriving end times).
        delivery_ttl: seconds a delivery id is remembered.
        initial_watermark: the watermark (ms) of a new state file, so a first start announces only runs that
            finished after it (plus the lookback) rather than the whole history of the MLflow server.
    """

    def __init__(
        self, path: Path, lookback_ms: int = 60_000, delivery_ttl: float = 3600.0, initial_watermark: int = 0
    ) -> None:
        self.path = path
        self.lookback_ms = lookback_ms
        self.delivery_ttl = delivery_ttl
        self._lock = threading.Lock()
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"watermark": initial_watermark}
        self.watermark: int = int(data.get("watermark", 0))
        #: runs that finished before the first start are never announced
        self.origin: int = int(data.get("origin", self.watermark))
        self.announced: dict[str, int] = {str(k): int(v) for k, v in (data.get("announced") or {}).items()}
        self.deliveries: dict[str, float] = {str(k): float(v) for k, v in (data.get("deliveries") or {}).items()}

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {
            "origin": self.origin,
            "watermark": self.watermark,
            "announced": self.announced,
            "deliveries": self.deliveries,
        }
        with tmp.open("w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def since(self) -> int:
        """The smallest end_time (ms) the next poll must look at."""
        return max(self.origin, self.watermark - self.lookback_ms)

    def is_new_run(self, run_id: str) -> bool:
        """Whether a finished run has not been announced yet."""
        return run_id not in self.announced

    def mark_run(self, run_id: str, end_time: int) -> None:
        """Record an announced run and move the watermark; forget runs older than the lookback."""
        with self._lock:
            self.announced[run_id] = end_time
            self.watermark = max(self.watermark, end_time)
            floor = self.watermark - self.lookback_ms
            self.announced = {k: v for k, v in self.announced.items() if v >= floor}
            self._save()

    def seen_delivery(self, delivery_id: str) -> bool:
        """Whether a webhook delivery id was already processed."""
        return delivery_id in self.deliveries

    def mark_delivery(self, delivery_id: str, now: float) -> None:
        """Remember a processed delivery (and forget expired ones)."""
        with self._lock:
            self.deliveries[delivery_id] = now
            self.deliveries = {k: v for k, v in self.deliveries.items() if now - v < self.delivery_ttl}
            self._save()
