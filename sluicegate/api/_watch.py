"""`GET /api/v1/workflow-events/{namespace}`: the Argo Server's workflow watch stream, from the store's change feed.

Called by `sluicegate.api._app`. Lines are NDJSON `{"result": {"type": ADDED|MODIFIED|DELETED, "object": Workflow}}`
as the Argo Server streams them (`argo watch` and the Argo UI read this). Without
`listOptions.resourceVersion` the stream starts with every matching workflow as ADDED, like a Kubernetes
watch; with it, only changes after that version are sent. `listOptions.fieldSelector` supports
`metadata.name=X` and `metadata.namespace=X`; `listOptions.labelSelector` and `listOptions.timeoutSeconds` too.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from sluicegate.api._selectors import label_matcher
from sluicegate.errors import ManifestError
from sluicegate.store import Store

__all__ = ["watch_workflows"]

Doc = dict[str, Any]
_WAIT = 0.5  # seconds a worker thread waits on the change feed per round


def _fields(selector: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for term in filter(None, (t.strip() for t in selector.split(","))):
        key, sep, value = term.partition("=")
        key = key.rstrip("=")
        if not sep or key not in ("metadata.name", "metadata.namespace"):
            raise ManifestError(
                f"unsupported field selector {term!r}",
                where="listOptions.fieldSelector",
                fix="use metadata.name=NAME and/or metadata.namespace=NS",
            )
        out[key] = value.lstrip("=")
    return out


@dataclass
class _Watch:
    store: Store
    namespace: str
    name: str
    labels: Callable[[Doc], bool]
    since: int

    def _wanted(self, namespace: str, name: str) -> bool:
        return (not self.namespace or namespace == self.namespace) and (not self.name or name == self.name)

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
        for change in self.store.wait(self.since, _WAIT, kinds=("Workflow",)):
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
    return orjson.dumps({"result": {"type": kind, "object": doc}}) + b"\n"


async def _stream(request: Request, watch: _Watch, initial: bool, timeout: float | None) -> AsyncIterator[bytes]:
    deadline = None if timeout is None else time.monotonic() + timeout
    if initial:
        for line in await run_in_threadpool(watch.initial):
            yield line
    while deadline is None or time.monotonic() < deadline:
        for line in await run_in_threadpool(watch.next):
            yield line
        if await request.is_disconnected():
            return


async def watch_workflows(request: Request) -> StreamingResponse:
    """`GET /api/v1/workflow-events/{namespace}` (empty namespace: all)."""
    q = request.query_params
    store: Store = request.app.state.store
    fields = _fields(q.get("listOptions.fieldSelector", ""))
    namespace = str(request.path_params.get("namespace") or fields.get("metadata.namespace", ""))
    rv = q.get("listOptions.resourceVersion", "")
    if rv and not rv.isdigit():
        raise ManifestError(f"{rv!r} is not a resourceVersion", where="listOptions.resourceVersion")
    raw_timeout = q.get("listOptions.timeoutSeconds", "")
    if raw_timeout and not raw_timeout.isdigit():
        raise ManifestError(f"{raw_timeout!r} is not a number of seconds", where="listOptions.timeoutSeconds")
    since = int(rv) if rv else await run_in_threadpool(store.head)
    watch = _Watch(
        store, namespace, fields.get("metadata.name", ""), label_matcher(q.get("listOptions.labelSelector")), since
    )
    timeout = float(raw_timeout) if raw_timeout else None
    return StreamingResponse(_stream(request, watch, not rv, timeout), media_type="application/json")
