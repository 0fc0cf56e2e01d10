"""Summarises load samples into the stress-test report and checks it against the gates.

Called by `components.stress_test.stress_test`. Percentiles use the nearest-rank method over every
request, failed ones included (a request that timed out after 5 s was at least that slow).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from components.stress_test._load import Sample

__all__ = ["gate_failures", "percentile", "summarize"]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0..100) of already sorted values; 0.0 for no values."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(samples: Sequence[Sample], target_rps: float, duration: float, wall: float) -> dict[str, Any]:
    """The report: rates, latency percentiles (ms), error rate, status counts, generator lag, versions."""
    latencies = sorted(s.latency * 1000.0 for s in samples)
    errors = sum(1 for s in samples if not s.ok)
    outcomes = Counter(str(s.status) if s.status is not None else s.error or "error" for s in samples)
    n = len(samples)
    return {
        "target_rps": target_rps,
        "duration_s": duration,
        "requests": n,
        "errors": errors,
        "error_rate": errors / n if n else 0.0,
        "achieved_rps": n / wall if wall > 0 else 0.0,
        "ok_rps": (n - errors) / wall if wall > 0 else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else 0.0,
        "max_send_lag_ms": max((s.send_lag for s in samples), default=0.0) * 1000.0,
        "outcomes": dict(sorted(outcomes.items())),
        # during a canary, which model versions answered (from the X-Model-Version header)
        "answered_by": dict(sorted(Counter(s.version for s in samples if s.version).items())),
    }


def gate_failures(report: dict[str, Any], p99_latency_ms: float, max_error_rate: float) -> list[str]:
    """Human-readable descriptions of the missed gates (empty when all pass)."""
    failures = []
    if report["p99_ms"] > p99_latency_ms:
        failures.append(f"p99 latency {report['p99_ms']:.1f} ms > {p99_latency_ms:g} ms")
    if report["error_rate"] > max_error_rate:
        failures.append(f"error rate {report['error_rate']:.3f} > {max_error_rate:g}")
    return failures
