"""Caps the native thread pools (OpenMP, BLAS) that scikit-learn uses while fitting and scoring.

Called by train and evaluate around `fit`/`predict`. On the small bundled datasets one thread is fastest,
and on a shared or CPU-limited machine OpenMP's default (one spinning thread per visible core) is
disastrous: HistGradientBoosting on digits took 33 s instead of 0.8 s on a busy 2-core host.
`OMP_NUM_THREADS`, when set, wins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["native_threads"]


@contextmanager
def native_threads() -> Iterator[int]:
    """Limit native thread pools to `OMP_NUM_THREADS` (default 1) inside the block; yields the limit."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    raw = os.environ.get("OMP_NUM_THREADS", "")
    limit = int(raw) if raw.isdigit() and int(raw) > 0 else 1
    with threadpool_limits(limits=limit):
        yield limit
