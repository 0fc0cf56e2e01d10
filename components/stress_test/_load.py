"""An open-loop HTTP load generator: requests leave on a fixed clock, whatever the server is doing.

Called by `components.stress_test.stress_test`. Request *i* is scheduled at `start + i / rate` and sent
then even if earlier requests have not answered (no coordinated omission). Its latency is measured from
its *scheduled* time, so a generator that falls behind, or a server that queues, shows up as latency
instead of silently lowering the load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = ["Sample", "run_load"]


@dataclass(frozen=True)
class Sample:
    """One request: when it was due, how late it left, how long it took, and how it ended."""

    scheduled: float  # seconds after the start of the run
    send_lag: float  # seconds between the scheduled time and the actual send
    latency: float  # seconds from the scheduled time to the response (or the failure)
    status: int | None  # HTTP status, None when no response arrived
    error: str = ""  # exception type for transport failures, e.g. ReadTimeout
    version: str = ""  # the `X-Model-Version` answer header (components.serve sets it), when present

    @property
    def ok(self) -> bool:
        """2xx response."""
        return self.status is not None and 200 <= self.status < 300


async def _fire(client: httpx.AsyncClient, url: str, body: bytes, due: float, start: float, out: list[Sample]) -> None:
    import httpx

    loop = asyncio.get_running_loop()
    lag = loop.time() - due
    status: int | None = None
    error = version = ""
    try:
        response = await client.post(url, content=body, headers={"content-type": "application/json"})
        await response.aread()
        status = response.status_code
        version = response.headers.get("x-model-version", "")
    except httpx.HTTPError as e:
        error = type(e).__name__
    out.append(Sample(due - start, max(0.0, lag), loop.time() - due, status, error, version))


async def _run(
    url: str, rate: float, duration: float, bodies: Sequence[bytes], timeout: float, conns: int
) -> tuple[list[Sample], float]:
    import httpx  # here, so that a CLI rejecting its input does not pay for the import

    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    samples: list[Sample] = []
    total = max(1, round(rate * duration))
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), limits=limits) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.01
        tasks: list[asyncio.Task[None]] = []
        for i in range(total):
            due = start + i / rate
            delay = due - loop.time()
            # behind schedule, still yield once per request so the ones already due get sent
            await asyncio.sleep(max(0.0, delay))
            tasks.append(asyncio.create_task(_fire(client, url, bodies[i % len(bodies)], due, start, samples)))
        await asyncio.gather(*tasks)
        wall = loop.time() - start
    return samples, wall


def run_load(
    url: str,
    rate: float,
    duration: float,
    bodies: Sequence[bytes],
    timeout: float = 5.0,
    max_connections: int = 256,
) -> tuple[list[Sample], float]:
    """POST `bodies` (cycled) to `url` at `rate` requests/s for `duration` seconds.

    Returns:
        The samples (in completion order) and the wall time from the first due time to the last answer.
    """
    return asyncio.run(_run(url, rate, duration, bodies, timeout, max_connections))
