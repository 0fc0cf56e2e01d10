"""Workflow logs in the Argo Server's streaming format: NDJSON lines `{"result": {"content", "podName"}}`.

Called for `GET /api/v1/workflows/{namespace}/{name}/log` (and the deprecated `/{podName}/log`). Step logs
are the files the workflow controller writes, `SLUICE_HOME/logs/<namespace>/<workflow>/<nodeId>.log`.
Pod names are formed as Argo v2 names them: `<workflow>-<templateName>-<hash of the node ID>`; a `podName`
query matches either that name or the node ID. With `logOptions.follow=true` the stream stays open until
the workflow has finished and every file is drained; `logOptions.tailLines` starts each pod's log at its last
lines and `logOptions.limitBytes` ends it after that many bytes, as Kubernetes' pod log options do. Options
it cannot honour (`timestamps`, `sinceSeconds`, `sinceTime`, `previous`) are refused with a 400.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from sluicegate.api._resources import workflow_name
from sluicegate.api._selectors import whole_number
from sluicegate.errors import ManifestError
from sluicegate.facts import pod_name
from sluicegate.store import Store

__all__ = ["grep_pattern", "pod_name", "workflow_logs"]

_DONE = {"Succeeded", "Failed", "Error"}
_POLL = 0.2
_GREP_MAX = 256
#: A quantified group that itself contains a quantifier (`(a+)+`, `(a|a*)*`): exponential in a backtracking
#: engine such as Python's (Argo's Go regexp is linear-time and has no such case).
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*?}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def grep_pattern(grep: str) -> re.Pattern[str]:
    """The `grep` query as a regular expression that matches in time linear in the line (ManifestError if not).

    Argo's server compiles `grep` with Go's linear-time regexp. Python's engine backtracks, so patterns that can
    take exponential time (nested quantifiers, backreferences) and very long patterns are refused with 400.
    """
    why = ""
    if len(grep) > _GREP_MAX:
        why = f"it is {len(grep)} characters long (the limit is {_GREP_MAX})"
    elif _NESTED_QUANTIFIER.search(grep) or _BACKREFERENCE.search(grep):
        why = "it nests quantifiers or uses a backreference, which can take exponential time"
    if why:
        raise ManifestError(
            f"grep {grep!r} is refused: {why}", where="grep", fix="use a plain word or a simpler pattern"
        )
    try:
        return re.compile(grep)
    except re.error as e:
        raise ManifestError(f"{grep!r} is not a regular expression: {e}", where="grep", fix="fix the pattern") from e


@dataclass
class _Tail:
    path: Path
    pod: str
    offset: int = 0
    partial: bytes = field(default=b"")

    def read(self, final: bool) -> list[str]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        data = self.partial + chunk
        lines = data.split(b"\n")
        self.partial = lines.pop()
        if final and self.partial:
            lines.append(self.partial)
            self.partial = b""
        return [line.decode(errors="replace") for line in lines]


def _pods(doc: dict[str, Any], logs: Path, container: str = "main") -> dict[str, _Tail]:
    """Log files of the workflow's nodes for one container, keyed by node ID, ordered by start time.

    A sidecar's log is `containers/<nodeId>/<name>.log` beside the main containers' `<nodeId>.log`.
    """
    wf = doc["metadata"]["name"]
    nodes: dict[str, Any] = (doc.get("status") or {}).get("nodes") or {}
    order = sorted(nodes.values(), key=lambda n: (n.get("startedAt") or "", n.get("id", "")))
    out: dict[str, _Tail] = {}
    for node in order:
        nid = str(node.get("id", ""))
        path = logs / f"{nid}.log" if container == "main" else logs / "containers" / nid / f"{container}.log"
        if path.exists():
            out[nid] = _Tail(path, pod_name(wf, nid, str(node.get("templateName") or "")))
    for path in sorted(logs.glob("*.log")) if logs.is_dir() and container == "main" else []:
        if path.stem not in out:  # a file the status does not (yet) list
            out[path.stem] = _Tail(path, path.stem)
    return out


def _wanted(pod: str | None, node_id: str, tail: _Tail) -> bool:
    return not pod or pod in (node_id, tail.pod)


@dataclass
class _Follower:
    """The state of one log request: which files it reads and how far it got."""

    store: Store
    ns: str
    name: str
    logs: Path
    pod: str | None
    follow: bool
    container: str
    pattern: re.Pattern[str] | None
    tail_lines: int | None = None
    limit_bytes: int | None = None
    tails: dict[str, _Tail] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)

    def poll(self) -> tuple[bool, list[bytes]]:
        """New NDJSON lines since the last poll, and whether the stream is complete (blocking: run in a thread)."""
        doc = self.store.try_get("Workflow", self.ns, self.name)
        finished = doc is None or (doc.get("status") or {}).get("phase") in _DONE or not self.follow
        if doc is not None:
            for nid, tail in _pods(doc, self.logs, self.container).items():
                self.tails.setdefault(nid, tail)
        out: list[bytes] = []
        for nid, tail in self.tails.items():
            if not _wanted(self.pod, nid, tail):
                continue
            lines = tail.read(final=finished)
            if self.tail_lines is not None and nid not in self.sent:
                lines = lines[-self.tail_lines :] if self.tail_lines else []  # the last lines there were, then new ones
            for line in lines:
                if self.pattern is not None and not self.pattern.search(line):
                    continue
                if self.limit_bytes is not None and self.sent.get(nid, 0) + len(line) + 1 > self.limit_bytes:
                    self.sent[nid] = self.limit_bytes + 1  # as Kubernetes: a pod's log stops at limitBytes
                    break
                self.sent[nid] = self.sent.get(nid, 0) + len(line) + 1
                out.append(orjson.dumps({"result": {"content": line, "podName": tail.pod}}) + b"\n")
            self.sent.setdefault(nid, 0)
        return finished, out


async def _stream(request: Request, follower: _Follower) -> AsyncIterator[bytes]:
    while True:
        finished, lines = await run_in_threadpool(follower.poll)
        for line in lines:
            yield line
        if finished or await request.is_disconnected():
            return
        await asyncio.sleep(_POLL)


#: Pod log options Kubernetes has and the local stack cannot honour: a step's output reaches its log file as the
#: process writes it, with no time per line and no earlier container to show.
_UNSUPPORTED = {
    "logOptions.timestamps": "step logs carry no time per line",
    "logOptions.sinceSeconds": "step logs carry no time per line; use logOptions.tailLines",
    "logOptions.sinceTime.seconds": "step logs carry no time per line; use logOptions.tailLines",
    "logOptions.previous": "a step's container is not restarted, so there is no previous one",
}


def _refuse_unsupported(query: Any) -> None:
    """A 400 naming the option, instead of a stream that silently ignores what was asked."""
    for key, why in _UNSUPPORTED.items():
        value = str(query.get(key) or "").lower()
        if value not in ("", "false", "0"):
            raise ManifestError(
                f"{key}={query.get(key)} is not supported on the local stack: {why}",
                where=key,
                fix=f"leave {key} out (see docs/compatibility.md, Logs)",
            )


async def workflow_logs(request: Request) -> StreamingResponse:
    """`GET /api/v1/workflows/{namespace}/{name}/log`: the workflow's step logs as NDJSON."""
    _refuse_unsupported(request.query_params)
    store: Store = request.app.state.store
    ns = request.path_params["namespace"]
    name = await run_in_threadpool(workflow_name, store, ns, request.path_params["name"])
    await run_in_threadpool(store.get, "Workflow", ns, name)  # 404 and 400 before streaming starts
    grep = request.query_params.get("grep")
    pattern = grep_pattern(grep) if grep else None
    q = request.query_params
    follower = _Follower(
        store,
        ns,
        name,
        Path(request.app.state.home) / "logs" / ns / name,
        pod=request.path_params.get("podName") or q.get("podName"),
        follow=q.get("logOptions.follow", "").lower() == "true",
        container=q.get("logOptions.container") or "main",
        pattern=pattern,
        tail_lines=whole_number(q, "logOptions.tailLines"),
        limit_bytes=whole_number(q, "logOptions.limitBytes"),
    )
    return StreamingResponse(_stream(request, follower), media_type="application/json")
