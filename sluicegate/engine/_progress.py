"""`status.progress` and each node's `progress`, counted the way Argo's progress updater counts them.

Called by `_operate.Operation` at the end of every reconcile pass (Argo updates progress each time it
persists a workflow). Progress is `N/M`: M units of work, N of them done. Only "executable" nodes (Pod,
Container, HTTP, Suspend, Plugin) carry work of their own: one unit each, done once the node Succeeded,
was Skipped or Omitted; a Failed or Errored node stays `0/1`. Every other node (Steps, StepGroup, DAG,
TaskGroup, Retry, and the `Skipped` nodes of `when`-skipped steps, omitted tasks and errors) sums the
executable nodes reachable through its `children`, and the workflow sums all executable nodes, so each
attempt of a retried step counts, and a containerSet step counts its pod and each of its containers.
Steps cannot report a progress of their own here (`ARGO_PROGRESS_FILE`, see docs/compatibility.md).
"""

from __future__ import annotations

from typing import Any

__all__ = ["update_progress"]

#: Node types whose progress is their own (Argo's `executable`); the others sum their children.
_EXECUTABLE = frozenset({"Pod", "Container", "HTTP", "Suspend", "Plugin"})
_COMPLETE = frozenset({"Succeeded", "Skipped", "Omitted"})
_DEFAULT = (0, 1)


def _parse(text: Any) -> tuple[int, int] | None:
    """`N/M` as numbers when it is a valid progress (0 <= N <= M, M > 0), else None."""
    done, _, total = str(text or "").partition("/")
    try:
        n, m = int(done), int(total)
    except ValueError:
        return None
    return (n, m) if 0 <= n <= m and m > 0 else None


def _format(progress: tuple[int, int]) -> str:
    return f"{progress[0]}/{progress[1]}"


def update_progress(status: dict[str, Any]) -> None:
    """Set `progress` on the executable nodes, their ancestors and the workflow in `status`."""
    nodes: dict[str, dict[str, Any]] = status.get("nodes") or {}
    own: dict[str, tuple[int, int]] = {}
    done = total = 0
    for nid, node in nodes.items():
        if node.get("type") not in _EXECUTABLE:
            continue
        if not node.get("progress"):
            node["progress"] = _format(_DEFAULT)
        progress = _parse(node["progress"])
        if progress is None:  # a corrupt value is left alone and not counted, as Argo does
            continue
        if node.get("phase") in _COMPLETE:
            progress = (progress[1], progress[1])
            node["progress"] = _format(progress)
        own[nid] = progress
        done, total = done + progress[0], total + progress[1]
    status["progress"] = f"{done}/{total}"
    for node in nodes.values():
        if node.get("type") in _EXECUTABLE:
            continue
        summed = _sum_children(nodes, own, node)
        if summed[1] > 0:  # nothing executable below: the node keeps what it had (Argo: "0/0" is invalid)
            node["progress"] = _format(summed)


def _sum_children(
    nodes: dict[str, dict[str, Any]], own: dict[str, tuple[int, int]], node: dict[str, Any]
) -> tuple[int, int]:
    """The progress of the executable nodes reachable from `node` through `children`, each counted once."""
    done = total = 0
    visited: set[str] = set()
    stack = list(reversed(node.get("children") or []))
    while stack:
        nid = stack.pop()
        if nid in visited:
            continue
        visited.add(nid)
        child = nodes.get(nid)
        if child is None:
            continue
        if nid in own:
            done, total = done + own[nid][0], total + own[nid][1]
        stack.extend(reversed(child.get("children") or []))
    return done, total
