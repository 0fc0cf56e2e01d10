"""Where a reconcile pass takes synchronization locks: before the workflow runs, and before a template does.

Called by `_operate` (`Operation.operate` for the workflow's `spec.synchronization`, `Operation.execute` for a
template's `synchronization`). The lock model, queue and index are in `_sync`; this module applies Argo's
outcomes to the workflow: a workflow without its locks stays `Pending` with the waiting message, a template
without them gets a `Pending` node with that message and `synchronizationStatus.waiting`, and an invalid
lock fails the workflow ("Failed to acquire the synchronization lock. ...") or errors the node.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sluicegate.engine import _sync
from sluicegate.errors import SluiceError
from sluicegate.lang import utc_now

if TYPE_CHECKING:
    from sluicegate.engine._pass import WorkflowPass

__all__ = ["template_lock", "workflow_lock"]

Node = dict[str, Any]
#: How often a waiter looks again besides being woken when a holder lets go (a ConfigMap limit may grow).
RECHECK_SECONDS = 5.0


def _request(op: WorkflowPass, holder: str) -> _sync.Request:
    created = str(op.wf["metadata"].get("creationTimestamp") or "")
    return _sync.Request(holder, (-int(op.spec.get("priority") or 0), created, holder))


def workflow_lock(op: WorkflowPass) -> bool:
    """Take the workflow's own locks and mark it Running; False while it must wait (or has just failed)."""
    sync = op.spec.get("synchronization")
    if sync:
        where = f"Workflow {op.name!r} spec.synchronization"
        key = f"{op.namespace}/{op.name}"
        try:
            locks = _sync.lock_items(sync, op.namespace, where)
            ok, message, _ = _sync.try_acquire(
                op.status, op.lock_index(), op.store, (op.namespace, op.name), _request(op, key), locks, where
            )
        except SluiceError as e:
            op.finish("Failed", f"Failed to acquire the synchronization lock. {e.message}")
            return False
        if not ok:
            if op.spec.get("shutdown"):
                op.finish("Failed", f"Stopped with strategy '{op.spec['shutdown']}'")
                return False
            op.status["phase"] = "Pending"
            op.status["message"] = message
            op.wake(time.time() + RECHECK_SECONDS)
            return False
        if op.status.get("phase") in (None, "", "Pending"):
            op.status.pop("message", None)
    if op.status.get("phase") in (None, "", "Pending"):
        op.status["phase"] = "Running"
    op.status.setdefault("startedAt", utc_now())
    return True


def template_lock(
    op: WorkflowPass, name: str, display: str, tmpl: dict[str, Any], boundary: str, holder: dict[str, Any]
) -> Node | None:
    """Take a template's locks for node `name`: None when it may run, else the node that waits (or errored)."""
    node_id = op.nodes.id(name)
    where = f"template {tmpl.get('name')!r} synchronization"
    try:
        locks = _sync.lock_items(tmpl["synchronization"], op.namespace, where)
        request = _request(op, f"{op.namespace}/{op.name}/{node_id}")
        ok, message, lock = _sync.try_acquire(
            op.status, op.lock_index(), op.store, (op.namespace, op.name), request, locks, where
        )
    except SluiceError as e:
        return op.error_node(name, display, boundary, holder, e.message)
    node = op.nodes.get(name)
    if ok:
        if node is not None and (node.get("synchronizationStatus") or {}).get("waiting"):
            del op.nodes.map[node_id]  # the placeholder gives way to the node the template creates
        return None
    if node is None:
        kind = "Steps" if "steps" in tmpl else "DAG" if "dag" in tmpl else "Pod"
        node = op.new_node(name, display, kind, tmpl, boundary, "Pending")
    node["message"] = message
    node["synchronizationStatus"] = {"waiting": lock}
    op.wake(time.time() + RECHECK_SECONDS)
    return node
