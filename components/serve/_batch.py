"""Adaptive micro-batching: requests that arrive while the model is busy are scored in one predict call.

Called by `components.serve._model` (generic pyfunc models). One thread owns the model (user code need not
be thread-safe); the event loop keeps accepting requests meanwhile. When the thread is free it takes every
waiting job (up to `max_rows` rows), so batches grow with the load and a lone request waits for nothing.
Clients that send their next request only once answered arrive just after a batch: when fewer jobs wait
than the most requests recently in the server at once, the thread waits for them a little (at most half
the last batch's time and `max_wait`; as Triton's queue delay, but adaptive), so one closed-loop client
is never delayed and many are scored in full batches instead of alternating small ones.

A job is either stackable rows (`components.serve._frames.Rows`; stacked with jobs of the same key) or a
call to run alone. `run_rows(jobs)` scores a stack and answers each job; when the stacked call fails or its
output cannot be cut back into per-request answers, each job is run alone, so every request gets exactly
the answer (or the error) it would get by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Batcher", "Job"]


@dataclass
class Job:
    """One request's work: `rows` (stackable, with `key`) or `call` (run alone); `result` or `error` after."""

    rows: list[list[Any]] | None = None
    key: tuple[Any, ...] = ()
    call: Callable[[], Any] | None = None
    result: Any = None
    error: BaseException | None = None
    future: asyncio.Future[Any] | None = field(default=None, repr=False)


class Batcher:
    """Runs jobs on one model thread, stacking waiting row jobs with the same key.

    Args:
        run_rows: scores a list of row jobs with the same key, setting each job's `result`/`error`.
        max_rows: most rows in one stacked call (1: every job alone).
        max_wait: longest wait (seconds) for more jobs before a stacked call.
    """

    def __init__(self, run_rows: Callable[[list[Job]], None], max_rows: int = 256, max_wait: float = 0.02) -> None:
        self._run_rows = run_rows
        self.max_rows = max(1, max_rows)
        self.max_wait = max(0.0, max_wait)
        self._queue: asyncio.Queue[Job] | None = None
        self._task: asyncio.Task[None] | None = None
        self._arrived: asyncio.Event | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self._inflight = 0  # jobs submitted and not answered yet
        self._peak = 0  # most jobs in flight at once during the previous second
        self._window_peak = 0
        self._window_start = 0.0
        self._last = 0.0  # seconds the last stacked call took
        self.batches = 0
        self.largest = 0

    async def submit(self, job: Job) -> Any:
        """Queue `job` and wait for its result (raises the job's error)."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._arrived = asyncio.Event()
            self._task = loop.create_task(self._consume(self._queue))
        job.future = loop.create_future()
        self._inflight += 1
        now = loop.time()
        if now - self._window_start > 1.0:
            self._peak, self._window_peak, self._window_start = self._window_peak, 0, now
        self._window_peak = max(self._window_peak, self._inflight)
        self._queue.put_nowait(job)
        if self._arrived is not None:
            self._arrived.set()
        try:
            return await job.future
        finally:
            self._inflight -= 1

    def close(self) -> None:
        """Stop the model thread once the jobs it holds are done."""
        if self._task is not None:
            self._task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _consume(self, queue: asyncio.Queue[Job]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await queue.get()]
            rows = self._take(queue, jobs, len(jobs[0].rows or ()))
            if jobs[0].rows is not None and self.max_rows > 1:
                rows = await self._fill(queue, jobs, rows)
            began = time.perf_counter()
            await loop.run_in_executor(self._pool, self._work, jobs)
            self._last = time.perf_counter() - began
            for job in jobs:
                if job.future is None or job.future.done():
                    continue
                if job.error is not None:
                    job.future.set_exception(job.error)
                else:
                    job.future.set_result(job.result)

    def _take(self, queue: asyncio.Queue[Job], jobs: list[Job], rows: int) -> int:
        while not queue.empty() and rows < self.max_rows:
            job = queue.get_nowait()
            jobs.append(job)
            rows += len(job.rows or ())
        return rows

    async def _fill(self, queue: asyncio.Queue[Job], jobs: list[Job], rows: int) -> int:
        """Wait briefly for the jobs recent load says are coming (never when one client sends alone)."""
        arrived = self._arrived
        if arrived is None:
            return rows
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(self.max_wait, self._last / 2)
        while len(jobs) < max(self._peak, self._window_peak) and rows < self.max_rows:
            left = deadline - loop.time()
            if left <= 0:
                break
            arrived.clear()
            try:
                await asyncio.wait_for(arrived.wait(), left)
            except asyncio.TimeoutError:  # noqa: UP041 (not the builtin before Python 3.11, a model env's Python)
                break
            rows = self._take(queue, jobs, rows)
        return rows

    def _work(self, jobs: list[Job]) -> None:
        groups: dict[tuple[Any, ...], list[Job]] = {}
        for job in jobs:
            if job.call is not None:
                _call(job)
            else:
                groups.setdefault(job.key, []).append(job)
        for group in groups.values():
            self.batches += 1
            self.largest = max(self.largest, len(group))
            try:
                self._run_rows(group)
            except BaseException as e:  # the thread must answer every job whatever happens
                for job in group:
                    if job.result is None and job.error is None:
                        job.error = e


def _call(job: Job) -> None:
    try:
        job.result = job.call() if job.call is not None else None
    except BaseException as e:
        job.error = e
