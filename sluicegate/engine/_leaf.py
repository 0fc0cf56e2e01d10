"""Runs a leaf template (container, script, containerSet, resource, http, data): its node and its `Job`.

Called by `_operate.Operation.dispatch`. A leaf node is created only when the pass may start new work and
the `parallelism` limits allow it (else a transient Pending node stands in for it this pass); a
`memoize` cache hit makes it Succeeded at once with the cached outputs; otherwise it becomes Running and
its `Job` (with its volumes, deadline and grace period, `_grace`) is queued on the pass for the controller
to launch once the status is committed. A containerSet step's Pod node gets its `Container` nodes (`_containernodes`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

from sluicegate.engine import _memo as memo
from sluicegate.engine._containernodes import add_container_nodes
from sluicegate.engine._grace import grace_period
from sluicegate.engine._jobs import Job
from sluicegate.engine._podenv import NODE_NAME, POD_IP, workflow_pod_metadata
from sluicegate.engine._probes import WAITING_FOR_READINESS, readiness_probe, unsupported
from sluicegate.engine._template import substitute
from sluicegate.errors import SluiceError
from sluicegate.lang import ExprError, parse_duration

if TYPE_CHECKING:
    from sluicegate.engine._nodes import Nodes
    from sluicegate.store import Store

__all__ = ["LeafPass", "execute_leaf"]

Node = dict[str, Any]


class LeafPass(Protocol):
    """What running a leaf needs from the reconcile pass (`_operate.Operation`)."""

    wf: dict[str, Any]
    name: str
    namespace: str
    spec: dict[str, Any]
    store: Store
    nodes: Nodes
    block_new: bool
    launches: list[Job]
    cache_writes: list[tuple[str, str, str, dict[str, Any]]]

    def scope(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The workflow's global scope plus `extra`."""
        ...

    def parallelism_allows(self, boundary: str) -> bool:
        """Whether one more pod may start inside `boundary`."""
        ...

    def new_node(self, name: str, display: str, type_: str, tmpl: dict[str, Any], boundary: str, phase: str) -> Node:
        """Create the node of a template (with its inputs)."""
        ...

    def error_node(self, name: str, display: str, boundary: str, holder: dict[str, Any], message: str) -> Node:
        """The node `name` marked Error with `message`."""
        ...


def execute_leaf(
    op: LeafPass, name: str, display: str, tmpl: dict[str, Any], boundary: str, holder: dict[str, Any]
) -> Node:
    """Run (or look up) the leaf node `name` of a resolved and processed template `tmpl`."""
    node = op.nodes.get(name)
    if node is not None:
        return node
    if op.block_new or not op.parallelism_allows(boundary):
        return {"id": op.nodes.id(name), "name": name, "phase": "Pending", "type": "Pod", "transient": True}
    local = {"pod.name": op.nodes.id(name)}
    try:
        tmpl = dict(substitute(tmpl, op.scope(local), strict=True, skip=("outputs", "metrics", "from")))
    except ExprError as e:
        return op.error_node(name, display, boundary, holder, str(e))
    memoize = tmpl.get("memoize")
    if memoize:
        status = {"hit": False, "key": str(memoize.get("key", "")), "cacheName": memo.cache_name(memoize)}
        pending = [w for w in op.cache_writes if (w[0], w[1]) == (status["cacheName"], status["key"])]
        entry = {"outputs": pending[-1][3]} if pending else memo.lookup(op.store, op.namespace, memoize)
        if entry is not None:
            node = op.new_node(name, display, "Pod", tmpl, boundary, "Succeeded")
            node["memoizationStatus"] = {**status, "hit": True}
            if entry.get("outputs"):
                node["outputs"] = entry["outputs"]
            return node
    kind = next((k for k in ("resource", "http", "data") if k in tmpl), "pod")
    try:
        shared_patch = substitute(op.spec.get("podSpecPatch"), op.scope({**local, **_inputs(tmpl)}))
        grace = (
            grace_period(shared_patch, tmpl.get("podSpecPatch"), str(tmpl.get("name", ""))) if kind == "pod" else None
        )
    except SluiceError as e:
        return op.error_node(name, display, boundary, holder, e.message)
    node = op.new_node(name, display, "HTTP" if kind == "http" else "Pod", tmpl, boundary, "Running")
    if memoize:
        node["memoizationStatus"] = status
    if kind == "pod":
        if "containerSet" in tmpl:
            add_container_nodes(op.nodes, node, tmpl)
        node["hostNodeName"] = NODE_NAME
        node["podIP"] = POD_IP  # steps share the host's network
        if tmpl.get("daemon"):
            probe = readiness_probe(tmpl)
            why = unsupported(probe) if probe else None
            # with a readiness probe the controller's Prober sets it once the daemon is ready
            node["daemoned"] = probe is None or why is not None
            if probe is not None:
                node["message"] = why or WAITING_FOR_READINESS
    deadline = _leaf_deadline(tmpl)
    uid = str(op.wf["metadata"].get("uid", ""))
    job = Job(op.namespace, op.name, uid, node["id"], name, tmpl, kind, deadline, grace=grace)
    job.pod_metadata = workflow_pod_metadata(op.wf, op.scope)
    job.volumes = _volumes(op, tmpl)
    op.launches.append(job)
    return node


def _inputs(tmpl: dict[str, Any]) -> dict[str, Any]:
    """The template's input parameters as tags (`inputs.parameters.x`): Argo substitutes them in `podSpecPatch`."""
    params = (tmpl.get("inputs") or {}).get("parameters") or []
    return {f"inputs.parameters.{p['name']}": p["value"] for p in params if "name" in p and "value" in p}


def _volumes(op: LeafPass, tmpl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The volumes a leaf may mount: the workflow's, the template's, its claims; ConfigMaps read from the store."""
    volumes: dict[str, dict[str, Any]] = {}
    for vol in [*(op.spec.get("volumes") or []), *(tmpl.get("volumes") or [])]:
        volumes[str(vol.get("name"))] = dict(vol)
    for claim in op.spec.get("volumeClaimTemplates") or []:
        claim_name = str((claim.get("metadata") or {}).get("name", ""))
        volumes[claim_name] = {"name": claim_name, "workflowClaim": claim_name}
    for vol in volumes.values():
        ref = vol.get("configMap")
        if ref and op.store is not None:
            doc = op.store.try_get("ConfigMap", op.namespace, str(ref.get("name", "")))
            vol["configMapData"] = dict((doc or {}).get("data") or {})
    return volumes


def _leaf_deadline(tmpl: dict[str, Any]) -> float | None:
    """When the leaf must have ended (`activeDeadlineSeconds`, `timeout`), as epoch time."""
    limits = []
    now = time.time()
    if tmpl.get("activeDeadlineSeconds") is not None:
        limits.append(
            now
            + parse_duration(
                tmpl["activeDeadlineSeconds"], bare="s", where="activeDeadlineSeconds", empty=0.0, days=True
            )
        )
    if tmpl.get("timeout"):
        limits.append(now + parse_duration(tmpl["timeout"], bare="s", where="timeout", empty=0.0, days=True))
    return min(limits) if limits else None
