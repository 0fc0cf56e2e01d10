"""A containerSet's containers as nodes of the workflow: one `Container` node per container, as Argo records them.

Called by `_leaf` (the nodes are made with the step's Pod node), by `_operate` (it folds in the containers'
states the executor reports, and settles the nodes of a Pod node that ended without them) and by
`actions.retried` (a reset Pod node takes its containers with it).
As Argo's controller does: a container's node is `<pod node name>.<container>`, `type: Container`, with the
container's name as `displayName`, the Pod node as `boundaryID` and the pod's template; it starts Pending
(its `startedAt` is when the pod was made) and takes the phase of the container's status. The Pod node is
the parent of the containers without `dependencies`, a container the parent of those that depend on it,
and the Pod node's outbound nodes are the containers no other depends on (`_nodes.Nodes.outbound`), so the
steps after it hang below them. When the Pod node ends first (stopped, deadline), a container still
pending or running is Failed with Argo's "Pod Failed whilst container running"; when its pod is gone
(the controller restarted without it) it is Error "container deleted".
"""

from __future__ import annotations

from typing import Any

from sluicegate.engine._containers import POD_FAILED
from sluicegate.engine._nodes import FULFILLED, Nodes

__all__ = ["add_container_nodes", "fold_container_states", "settle_container_nodes"]

Node = dict[str, Any]
_DELETED = "container deleted"


def add_container_nodes(nodes: Nodes, pod: Node, tmpl: dict[str, Any]) -> None:
    """Create the `Container` nodes of the containerSet step whose (new) Pod node is `pod`."""
    containers = (tmpl.get("containerSet") or {}).get("containers") or []
    extra: dict[str, Any] = {k: pod[k] for k in ("templateRef", "nodeFlag") if k in pod}
    for spec in containers:
        name = str(spec.get("name", ""))
        nodes.create(
            f"{pod['name']}.{name}",
            "Container",
            "Pending",
            display=name,
            template=pod.get("templateName"),
            boundary=pod["id"],
            extra=dict(extra),
        )
    for spec in containers:
        child = f"{pod['name']}.{spec.get('name', '')}"
        deps = [str(d) for d in spec.get("dependencies") or []]
        for parent in [f"{pod['name']}.{d}" for d in deps] or [str(pod["name"])]:
            nodes.add_child(parent, child)


def fold_container_states(nodes: Nodes, pod: Node, states: dict[str, dict[str, str]]) -> None:
    """Set the `Container` nodes of `pod` from its containers' states; a node that has ended stays as it is."""
    for name, state in states.items():
        node = nodes.get(f"{pod['name']}.{name}")
        if node is None or node.get("type") != "Container" or node.get("phase") in FULFILLED:
            continue
        phase = state["phase"]
        if phase == node.get("phase"):
            continue
        nodes.mark(node, phase, state.get("message", ""))
        if phase in FULFILLED and state.get("finishedAt"):
            node["finishedAt"] = state["finishedAt"]


def settle_container_nodes(nodes: Nodes) -> None:
    """End the `Container` nodes left pending or running by a Pod node that has ended."""
    for node in list(nodes.map.values()):
        if node.get("type") != "Container" or node.get("phase") in FULFILLED:
            continue
        pod = nodes.by_id(str(node.get("boundaryID", "")))
        if pod is None or pod.get("phase") not in FULFILLED:
            continue
        if pod.get("phase") == "Succeeded":  # a daemon stopped with its scope: its containers were told to end
            nodes.mark(node, "Succeeded")
        elif pod.get("phase") == "Error" and str(pod.get("message", "")).startswith("pod deleted"):
            nodes.mark(node, "Error", _DELETED)
        else:
            nodes.mark(node, "Failed", POD_FAILED)
