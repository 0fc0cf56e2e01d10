"""Live pages: a server-sent-event stream of the store's changes, which the pages' script turns into updates.

Called by `_pages` for `GET /ui/live?kinds=Workflow,Rollout&since=N` (N: the store version the page was
rendered at, so a change between the page and its stream is not lost). It reads the same change feed the API's watch
stream (`/api/v1/workflow-events/`) reads, with the page's cookie instead of the bearer token (a page's
script never sees the token). Each change is one `change` event naming kind, namespace and name; the page
then fetches itself and swaps its live part, so the browser does no full reload and no polling. Waiting on
the feed runs in a worker thread, half a second at a time, so a closed tab ends its stream within a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sluicegate.store import Store

__all__ = ["LIVE_KINDS", "changes", "start_version"]

#: The kinds a page may follow.
LIVE_KINDS = frozenset({"Workflow", "Rollout", "AnalysisRun", "Event", "EventSource", "Sensor"})
_WAIT = 0.5
#: A stream ends after this long; the browser's EventSource reconnects by itself.
_LIFETIME = 600.0
#: A comment line now and then keeps idle connections open through proxies.
_KEEPALIVE = 15.0


def start_version(request: Request, head: int) -> int:
    """Where a stream starts: after the store version the page was rendered at, so no change is missed.

    The browser's `Last-Event-ID` (sent when it reconnects: the last `id` it got) wins over the page's
    `?since=`; a missing, malformed or future version starts at `head` (the changes from now on).
    """
    for raw in (request.headers.get("last-event-id"), request.query_params.get("since")):
        if raw is not None and raw.isdigit() and len(raw) < 19:
            return min(int(raw), head)
    return head


async def changes(request: Request, store: Store, kinds: tuple[str, ...]) -> AsyncIterator[bytes]:
    """`retry`, then one `change` event per change of `kinds`, until the client goes or the lifetime ends.

    Each event carries its store version as `id`, so a reconnecting browser resumes after the last one.
    """
    since = start_version(request, await run_in_threadpool(store.head))
    yield b"retry: 2000\n: live\n\n"
    started = last = time.monotonic()
    while time.monotonic() - started < _LIFETIME:
        found = await run_in_threadpool(store.wait, since, _WAIT, kinds)
        if found:
            since = max(c.seq for c in found)
            seen = {(c.kind, c.namespace, c.name, c.type) for c in found}
            for kind, ns, name, typ in sorted(seen):
                body = json.dumps({"kind": kind, "namespace": ns, "name": name, "type": typ})
                yield f"id: {since}\nevent: change\ndata: {body}\n\n".encode()
            last = time.monotonic()
        elif time.monotonic() - last > _KEEPALIVE:
            yield b": keepalive\n\n"
            last = time.monotonic()
        if await request.is_disconnected():
            return
