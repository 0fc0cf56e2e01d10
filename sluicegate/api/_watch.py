"""`GET /api/v1/workflow-events/{namespace}`: the Argo Server's workflow watch stream, from the store's change feed.

Called by `sluicegate.api._app`. Lines are NDJSON `{"result": {"type": ADDED|MODIFIED|DELETED, "object": Workflow}}`
as the Argo Server streams them (`argo watch` and the Argo UI read this). Without
`listOptions.resourceVersion` the stream starts with every matching workflow as ADDED, like a Kubernetes
watch; with it, only changes after that version are sent. `listOptions.fieldSelector` (`metadata.name`,
`metadata.namespace`, as lists take it), `listOptions.labelSelector` and `listOptions.timeoutSeconds` too.

A resourceVersion older than the store's change history (`sluicegate.store._history`) is answered 410 Gone;
a watcher that falls that far behind mid-stream gets Kubernetes' ERROR event (a Status with code 410,
reason Expired) as its last line. Either way the client lists again and watches from the list's version.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from sluicegate.api._selectors import field_matcher, label_matcher
from sluicegate.errors import ManifestError
from sluicegate.store import ExpiredError, Store, json_bytes

__all__ = ["watch_workflows"]

Doc = dict[str, Any]
_WAIT = 0.5  # seconds a worker thread waits on the change feed per round


@dataclass
class _Watch:
    store: Store
    namespace: str
    fields: Callable[[Doc], bool]
    labels: Callable[[Doc], bool]
    since: int
    expired: bool = False

    def _wanted(self, namespace: str, name: str) -> bool:
        in_namespace = not self.namespace or namespace == self.namespace
        return in_namespace and self.fields({"metadata": {"namespace": namespace, "name": name}})

    def initial(self) -> list[bytes]:
        """Every matching workflow as ADDED (blocking)."""
        docs = self.store.list("Workflow", self.namespace or None)
        return [
            _line("ADDED", d)
            for d in docs
            if self._wanted(d["metadata"]["namespace"], d["metadata"]["name"]) and self.labels(d)
        ]

    def next(self) -> list[bytes]:
        """Events after `since`, waiting up to half a second for some (blocking)."""
        out: list[bytes] = []
        try:
            changes = self.store.wait(self.since, _WAIT, kinds=("Workflow",), relisting=False)
        except ExpiredError as e:
            self.expired = True
            return [_expired_line(e)]
        for change in changes:
            self.since = max(self.since, change.seq)
            if not self._wanted(change.namespace, change.name):
                continue
            if change.type == "DELETED":
                meta = {"name": change.name, "namespace": change.namespace}
                out.append(_line("DELETED", {"metadata": meta, "spec": {}}))
                continue
            doc = self.store.try_get("Workflow", change.namespace, change.name)
            if doc is not None and self.labels(doc):
                out.append(_line(change.type, doc))
        return out


def _line(kind: str, doc: Doc) -> bytes:
    return json_bytes({"result": {"type": kind, "object": doc}}) + b"\n"


def _expired_line(error: ExpiredError) -> bytes:
    """The ERROR event a Kubernetes watch ends with when its resourceVersion was compacted."""
    status = {"status": "Failure", "message": error.message, "reason": "Expired", "code": 410}
    return _line("ERROR", {"kind": "Status", "apiVersion": "v1", "metadata": {}, **status})


async def _stream(request: Request, watch: _Watch, initial: bool, timeout: float | None) -> AsyncIterator[bytes]:
    deadline = None if timeout is None else time.monotonic() + timeout
    if initial:
        for line in await run_in_threadpool(watch.initial):
            yield line
    while deadline is None or time.monotonic() < deadline:
        for line in await run_in_threadpool(watch.next):
            yield line
        if watch.expired or await request.is_disconnected():
            return


async def watch_workflows(request: Request) -> StreamingResponse:
    """`GET /api/v1/workflow-events/{namespace}` (empty namespace: all)."""
    q = request.query_params
    store: Store = request.app.state.store
    fields = field_matcher(q.get("listOptions.fieldSelector"))
    namespace = str(request.path_params.get("namespace") or "")
    rv = q.get("listOptions.resourceVersion", "")
    if rv and not rv.isdigit():
        raise ManifestError(f"{rv!r} is not a resourceVersion", where="listOptions.resourceVersion")
    raw_timeout = q.get("listOptions.timeoutSeconds", "")
    if raw_timeout and not raw_timeout.isdigit():
        raise ManifestError(f"{raw_timeout!r} is not a number of seconds", where="listOptions.timeoutSeconds")
    if rv:  # 410 before the stream starts when the changes after it are gone already
        await run_in_threadpool(store.changes, int(rv), ("Workflow",))
    since = int(rv) if rv else await run_in_threadpool(store.head)
    watch = _Watch(store, namespace, fields, label_matcher(q.get("listOptions.labelSelector")), since)
    timeout = float(raw_timeout) if raw_timeout else None
    return StreamingResponse(_stream(request, watch, not rv, timeout), media_type="application/json")
