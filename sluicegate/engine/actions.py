"""Workflow actions the API calls, written through the store as Argo does.

Workflow actions the API calls (Argo Server's stop/terminate/suspend/resume/retry/resubmit), written
through the store the way Argo does: `spec.shutdown`, `spec.suspend`, node phases; the controller reacts to
the change.

Called by the Argo-Server-compatible API and the CLI. Each returns the updated (or new) Workflow document.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from sluicegate.documents import override_parameters
from sluicegate.engine._nodes import FULFILLED
from sluicegate.errors import ConflictError, ManifestError
from sluicegate.lang import utc_now
from sluicegate.store import Store

__all__ = [
    "is_suspended",
    "resubmission",
    "resubmit",
    "resume",
    "retried",
    "retry",
    "set_node",
    "stop",
    "suspend",
    "terminate",
]

Doc = dict[str, Any]
_DONE = ("Succeeded", "Failed", "Error")


def _shutdown(store: Store, namespace: str, name: str, strategy: str, message: str | None) -> Doc:
    def fn(doc: Doc) -> Doc:
        if (doc.get("status") or {}).get("phase") in _DONE:
            raise ConflictError(f"cannot {strategy.lower()} a completed workflow", where=f"Workflow {name}")
        doc.setdefault("spec", {})["shutdown"] = strategy
        if message:
            doc["status"]["message"] = message
        return doc

    return store.mutate("Workflow", namespace, name, fn)


def stop(
    store: Store, namespace: str, name: str, message: str | None = None, node_field_selector: str | None = None
) -> Doc:
    """Stop: kill running steps, skip the rest, but run exit handlers.

    With `node_field_selector`, as Argo's StopWorkflow: only the matching suspend nodes fail (with `message`),
    the workflow runs on (a rejected approval gate).
    """
    if node_field_selector:
        return set_node(store, namespace, name, node_field_selector, phase="Failed", message=message or "")
    return _shutdown(store, namespace, name, "Stop", message)


def terminate(store: Store, namespace: str, name: str) -> Doc:
    """Terminate: kill running steps; no exit handlers."""
    return _shutdown(store, namespace, name, "Terminate", None)


def suspend(store: Store, namespace: str, name: str) -> Doc:
    """Suspend: start no new steps until resumed; a completed workflow is refused, as Argo refuses it."""

    def fn(doc: Doc) -> Doc:
        if (doc.get("status") or {}).get("phase") in _DONE:
            raise ConflictError("cannot suspend completed workflows", where=f"Workflow {name}")
        doc.setdefault("spec", {})["suspend"] = True
        return doc

    return store.mutate("Workflow", namespace, name, fn)


def is_suspended(doc: Doc) -> bool:
    """Whether a Workflow is suspended (`spec.suspend`) or waits at a suspend step (a running Suspend node)."""
    if (doc.get("spec") or {}).get("suspend"):
        return True
    nodes = ((doc.get("status") or {}).get("nodes") or {}).values()
    return any(n.get("type") == "Suspend" and n.get("phase") == "Running" for n in nodes)


def _matches(node: Doc, selector: str | None) -> bool:
    """Argo's nodeFieldSelector subset: `displayName=x`, `templateName=y`, `id=...` (comma = and, `!=` negates)."""
    if not selector:
        return True
    for req in selector.split(","):
        m = re.match(r"\s*([\w.]+)\s*(!=|==|=)\s*(.*?)\s*$", req)
        if not m:
            continue
        field, op, value = m.group(1), m.group(2), m.group(3)
        field = field.removeprefix("inputs.parameters.")
        have = str(node.get(field, ""))
        if (have == value) != (op != "!="):
            return False
    return True


def resume(store: Store, namespace: str, name: str, node_field_selector: str | None = None) -> Doc:
    """Resume, as Argo's two paths do.

    Without a selector: clear `spec.suspend` and complete every running suspend node. With one: complete
    only the suspend nodes it matches (a suspended workflow stays suspended), and a selector that matches
    none is refused, as `argo node set` is.
    """
    if node_field_selector:
        return set_node(store, namespace, name, node_field_selector, phase="Succeeded")

    def fn(doc: Doc) -> Doc:
        doc.setdefault("spec", {}).pop("suspend", None)
        for node in ((doc.get("status") or {}).get("nodes") or {}).values():
            if node.get("type") == "Suspend" and node.get("phase") not in FULFILLED:
                node["phase"] = "Succeeded"
                node["finishedAt"] = utc_now()
        return doc

    return store.mutate("Workflow", namespace, name, fn)


def set_node(
    store: Store,
    namespace: str,
    name: str,
    node_field_selector: str,
    *,
    phase: str = "",
    message: str = "",
    output_parameters: dict[str, str] | None = None,
) -> Doc:
    """Set a running suspend node's phase, message and supplied output parameters (`argo node set`, `.../set`)."""
    if not node_field_selector:
        raise ManifestError(
            "'set' currently only targets suspend nodes, use a node field selector to target them",
            where="nodeFieldSelector",
            fix="pass e.g. nodeFieldSelector=displayName=approve",
        )
    if phase not in ("", "Succeeded", "Failed", "Error"):
        raise ManifestError(
            f"{phase} is an invalid phase to set to", where="phase", fix="use Succeeded, Failed or Error"
        )

    def fn(doc: Doc) -> Doc:
        updated = False
        for node in ((doc.get("status") or {}).get("nodes") or {}).values():
            if node.get("type") != "Suspend" or node.get("phase") != "Running":
                continue
            if not _matches(node, node_field_selector):
                continue
            if phase:
                node["phase"] = phase
                node["finishedAt"] = utc_now()
                updated = True
            if message:
                node["message"] = message
                updated = True
            for param_name, value in (output_parameters or {}).items():
                _supply(node, param_name, value)
                updated = True
        if not updated:
            raise ManifestError(
                "currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: "
                + node_field_selector,
                where=f"Workflow {name}",
                fix="select a running suspend step, e.g. displayName=<step name>",
            )
        return doc

    return store.mutate("Workflow", namespace, name, fn)


def _supply(node: Doc, param_name: str, value: str) -> None:
    params = (node.get("outputs") or {}).get("parameters")
    if params is None:
        raise ManifestError(
            "cannot set output parameters because node is not expecting any raw parameters",
            where=f"node {node.get('displayName')!r}",
            fix="declare the output parameter with valueFrom.supplied: {} in the suspend template",
        )
    param = next((p for p in params if p.get("name") == param_name), None)
    if param is None:
        raise ManifestError(
            f"node is not expecting output parameter '{param_name}'",
            where=f"node {node.get('displayName')!r}",
            fix="use one of: " + ", ".join(str(p.get("name")) for p in params),
        )
    if "supplied" not in (param.get("valueFrom") or {}):
        raise ManifestError(
            f"cannot set output parameter '{param_name}' because it does not use valueFrom.raw or it was already set",
            where=f"node {node.get('displayName')!r}",
        )
    param["value"] = value
    param.pop("valueFrom")


def retried(
    doc: Doc,
    restart_successful: bool = False,
    node_field_selector: str | None = None,
    parameters: dict[str, str] | None = None,
) -> Doc:
    """`doc` (a Failed or Error workflow, changed in place) made ready to run again, as `argo retry` does.

    Failed nodes and the nodes containing them are dropped; with `restart_successful`, succeeded pod nodes
    matching `node_field_selector` are dropped too. `parameters` override the workflow's arguments as Argo's
    `overrideParameters` does (`argo retry -p`): the steps that run again see them.
    """
    name = (doc.get("metadata") or {}).get("name")
    status = doc.setdefault("status", {})
    if status.get("phase") not in ("Failed", "Error"):
        raise ConflictError(
            f"workflow must be Failed/Error to retry (it is {status.get('phase') or 'Pending'})",
            where=f"Workflow {name}",
        )
    nodes: dict[str, Doc] = status.get("nodes") or {}
    reset: set[str] = set()
    for nid, node in nodes.items():
        phase = node.get("phase")
        failed = phase in ("Failed", "Error", "Omitted") or phase not in FULFILLED
        chosen = restart_successful and node.get("type") == "Pod" and _matches(node, node_field_selector)
        if failed or chosen:
            reset.add(nid)
    # containers of a reset node are reset too, so they are re-evaluated
    changed = True
    while changed:
        changed = False
        for nid, node in nodes.items():
            if nid in reset:
                continue
            kids = set(node.get("children") or [])
            inside = {n for n in reset if nodes.get(n, {}).get("boundaryID") == nid}
            if node.get("type") == "Container":  # a containerSet's container goes with its pod
                hit = node.get("boundaryID") in reset
            else:
                hit = node.get("type") != "Pod" and bool(kids & reset or inside)
            if hit:
                reset.add(nid)
                changed = True
    for nid in reset:
        nodes.pop(nid, None)
    for node in nodes.values():
        if node.get("children"):
            node["children"] = [c for c in node["children"] if c not in reset]
        if node.get("outboundNodes"):
            node["outboundNodes"] = [c for c in node["outboundNodes"] if c not in reset]
    status["phase"] = "Running"
    for key in ("message", "finishedAt"):
        status.pop(key, None)
    spec = doc.setdefault("spec", {})
    spec.pop("shutdown", None)
    spec.pop("activeDeadlineSeconds", None) if spec.get("activeDeadlineSeconds") == 0 else None
    override_parameters(spec, parameters)
    return doc


def retry(
    store: Store,
    namespace: str,
    name: str,
    restart_successful: bool = False,
    node_field_selector: str | None = None,
    parameters: dict[str, str] | None = None,
) -> Doc:
    """Retry a finished workflow in the store (see `retried`)."""
    return store.mutate(
        "Workflow", namespace, name, lambda doc: retried(doc, restart_successful, node_field_selector, parameters)
    )


def resubmission(old: Doc, parameters: dict[str, str] | None = None) -> Doc:
    """A new Workflow with `old`'s spec (`generateName` from the old name), like `argo resubmit`.

    `parameters` override the workflow's arguments as Argo's `overrideParameters` does (`argo resubmit -p`).
    """
    meta = old.get("metadata") or {}
    name, namespace = str(meta.get("name", "")), str(meta.get("namespace", ""))
    spec = copy.deepcopy(old.get("spec") or {})
    spec.pop("shutdown", None)
    spec.pop("suspend", None)
    override_parameters(spec, parameters)
    dropped = ("workflows.argoproj.io/completed", "workflows.argoproj.io/workflow-archiving-status")
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in dropped}
    labels["workflows.argoproj.io/resubmitted-from-workflow"] = name
    prefix = meta.get("generateName") or f"{name}-"
    doc: Doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": prefix, "namespace": namespace, "labels": labels},
        "spec": spec,
        "status": {"phase": "Running", "startedAt": utc_now()},
    }
    if meta.get("annotations"):
        doc["metadata"]["annotations"] = copy.deepcopy(meta["annotations"])
    return doc


def resubmit(store: Store, namespace: str, name: str, parameters: dict[str, str] | None = None) -> Doc:
    """Store a resubmission (see `resubmission`) of a workflow in the store."""
    return store.create(resubmission(store.get("Workflow", namespace, name), parameters))
