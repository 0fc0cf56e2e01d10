"""Prometheus metrics of the model server, shared by all its worker processes.

Called by the ASGI app on every request (`observe`) and by `GET /metrics` (`render`). Each worker keeps its
counters in its own small memory-mapped file under one directory; `render` sums every file, so whichever
worker answers the scrape reports the whole server. Counters survive a worker's exit, so they only grow.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BUCKETS", "CODES", "Metrics"]

#: Status codes counted by name; anything else is counted as "other".
CODES = (200, 400, 404, 405, 413, 415, 422, 500, 503)
#: Latency histogram bucket upper bounds, in seconds (+Inf is implicit).
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_MAX_CLASSES = 64
_PREFIX = "sluicegate_model"


class Metrics:
    """Counters of one worker, backed by `<directory>/w-<pid>.bin`.

    Args:
        directory: shared by all workers of one server.
        labels: constant labels (model name, version) added to every series.
        classes: class labels of a classifier (prediction distribution); empty for regressors.
    """

    def __init__(self, directory: Path, labels: dict[str, str], classes: list[Any]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.labels = labels
        self.classes = [str(c) for c in classes[:_MAX_CLASSES]]
        self._class_index = {c: i for i, c in enumerate(classes[:_MAX_CLASSES])}
        self._code_index = {c: i for i, c in enumerate(CODES)}
        # layout: codes(+other) | buckets(+inf) | sum, count | in_flight | classes(+other)
        self._o_bucket = len(CODES) + 1
        self._o_sum = self._o_bucket + len(BUCKETS) + 1
        self._o_flight = self._o_sum + 2
        self._o_class = self._o_flight + 1
        self.size = self._o_class + _MAX_CLASSES + 1
        path = directory / f"w-{os.getpid()}.bin"
        self._map = np.memmap(path, dtype=np.float64, mode="w+", shape=(self.size,))
        # The same memory as a plain array: indexing a memmap goes through Python code on every request.
        self._arr: np.ndarray = self._map.view(np.ndarray)

    def start(self) -> None:
        """A request began (in-flight gauge)."""
        self._arr[self._o_flight] += 1

    def observe(self, code: int, seconds: float, predictions: list[Any] | None = None) -> None:
        """A request ended with `code` after `seconds`; count its predictions when given."""
        arr = self._arr
        arr[self._o_flight] -= 1
        arr[self._code_index.get(code, len(CODES))] += 1
        arr[self._o_bucket + bisect_left(BUCKETS, seconds)] += 1
        arr[self._o_sum] += seconds
        arr[self._o_sum + 1] += 1
        if predictions:
            index = self._class_index
            other = self._o_class + _MAX_CLASSES
            for p in predictions:
                i = index.get(p)
                arr[other if i is None else self._o_class + i] += 1

    def render(self) -> bytes:
        """The Prometheus text exposition of all workers' counters summed."""
        total = np.zeros(self.size)
        for path in self.directory.glob("w-*.bin"):
            try:
                data = np.fromfile(path, dtype=np.float64)
            except OSError:
                continue
            if data.shape == (self.size,):
                total += data
        base = ",".join(f'{k}="{_esc(v)}"' for k, v in self.labels.items())
        lines = [
            f"# HELP {_PREFIX}_info The model this server answers with.",
            f"# TYPE {_PREFIX}_info gauge",
            f"{_PREFIX}_info{{{base}}} 1",
            f"# HELP {_PREFIX}_requests_total Scoring requests by HTTP status code.",
            f"# TYPE {_PREFIX}_requests_total counter",
        ]
        for i, code in enumerate((*CODES, "other")):
            lines.append(f'{_PREFIX}_requests_total{{{base},code="{code}"}} {total[i]:.0f}')
        lines += [
            f"# HELP {_PREFIX}_request_duration_seconds Scoring request latency.",
            f"# TYPE {_PREFIX}_request_duration_seconds histogram",
        ]
        cumulative = 0.0
        for i, le in enumerate((*BUCKETS, "+Inf")):
            cumulative += total[self._o_bucket + i]
            lines.append(f'{_PREFIX}_request_duration_seconds_bucket{{{base},le="{le}"}} {cumulative:.0f}')
        lines += [
            f"{_PREFIX}_request_duration_seconds_sum{{{base}}} {total[self._o_sum]:.6f}",
            f"{_PREFIX}_request_duration_seconds_count{{{base}}} {total[self._o_sum + 1]:.0f}",
            f"# HELP {_PREFIX}_requests_in_flight Scoring requests being answered now.",
            f"# TYPE {_PREFIX}_requests_in_flight gauge",
            f"{_PREFIX}_requests_in_flight{{{base}}} {max(total[self._o_flight], 0):.0f}",
            f"# HELP {_PREFIX}_predictions_total Predictions by predicted class (prediction distribution).",
            f"# TYPE {_PREFIX}_predictions_total counter",
        ]
        for i, cls in enumerate(self.classes):
            lines.append(f'{_PREFIX}_predictions_total{{{base},class="{_esc(cls)}"}} {total[self._o_class + i]:.0f}')
        other = total[self._o_class + _MAX_CLASSES]
        lines.append(f'{_PREFIX}_predictions_total{{{base},class="other"}} {other:.0f}')
        return ("\n".join(lines) + "\n").encode()


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
