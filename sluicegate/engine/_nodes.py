"""Workflow node identity and bookkeeping as Argo forms it.

Called by the operator modules. `node_id` is Argo's `Workflow.NodeID`: the workflow name for the root node,
otherwise `<wf>-<fnv32a(node name)>` in decimal. Node names are `wf.task` (DAG), `wf[0].step` (steps),
`name(0:item)` (fan-out), `name(0)` (retries), `name.onExit` (exit handlers), `pod.container` (the
`Container` nodes of a containerSet step, whose leaves are its Pod node's outbound nodes).
"""

from __future__ import annotations

import json
from typing import Any

from sluicegate.lang import utc_now

__all__ = [
    "COMPLETED",
    "FULFILLED",
    "Nodes",
    "fnv32a",
    "item_label",
    "node_id",
    "settled",
]

FULFILLED = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})
COMPLETED = frozenset({"Succeeded", "Failed", "Error"})
Node = dict[str, Any]


def settled(node: dict[str, Any]) -> bool:
    """Fulfilled, or a daemon that is up: its siblings may proceed (Argo's `Fulfilled() || IsDaemoned()`)."""
    return node.get("phase") in FULFILLED or bool(node.get("daemoned"))


def fnv32a(text: str) -> int:
    """32-bit FNV-1a hash of the UTF-8 bytes of `text`."""
    h = 0x811C9DC5
    for byte in text.encode():
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(workflow: str, name: str) -> str:
    """Argo's node ID for a node name."""
    return workflow if name == workflow else f"{workflow}-{fnv32a(name)}"


def item_label(item: Any) -> str:
    """How an item appears in a fan-out node name: strings bare, others as compact JSON (sorted keys)."""
    if isinstance(item, str):
        return item
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, float) and item.is_integer():
        return str(int(item))
    return json.dumps(item, separators=(",", ":"), sort_keys=True)


class Nodes:
    """The `status.nodes` map of one workflow, with lookups by name."""

    def __init__(self, workflow: str, nodes: dict[str, Node]) -> None:
        self.workflow = workflow
        self.map = nodes

    def id(self, name: str) -> str:
        """ID for a node name."""
        return node_id(self.workflow, name)

    def get(self, name: str) -> Node | None:
        """Node by name, or None."""
        return self.map.get(self.id(name))

    def by_id(self, nid: str) -> Node | None:
        """Node by ID, or None."""
        return self.map.get(nid)

    def create(
        self,
        name: str,
        type_: str,
        phase: str,
        *,
        display: str | None = None,
        template: str | None = None,
        boundary: str = "",
        message: str = "",
        extra: dict[str, Any] | None = None,
    ) -> Node:
        """Add a node (or return the existing one of that name)."""
        nid = self.id(name)
        if nid in self.map:
            return self.map[nid]
        node: Node = {
            "id": nid,
            "name": name,
            "displayName": display if display is not None else name,
            "type": type_,
            "phase": phase,
            "startedAt": utc_now(),
        }
        if template:
            node["templateName"] = template
        node["templateScope"] = "local/" + self.workflow
        if boundary:
            node["boundaryID"] = boundary
        if message:
            node["message"] = message
        if phase in FULFILLED:
            node["finishedAt"] = node["startedAt"]
        if extra:
            node.update(extra)
        self.map[nid] = node
        return node

    def mark(self, node: Node, phase: str, message: str | None = None) -> Node:
        """Set a node's phase (and message); fulfilled phases set `finishedAt` once."""
        node["phase"] = phase
        if message is not None:
            if message:
                node["message"] = message
            else:
                node.pop("message", None)
        if phase in FULFILLED and not node.get("finishedAt"):
            node["finishedAt"] = utc_now()
        return node

    def add_child(self, parent: Node | str, child: Node | str) -> None:
        """Link two nodes (by node or name) the way Argo's graph does."""
        p = parent if isinstance(parent, dict) else self.get(parent)
        c = child if isinstance(child, dict) else self.get(child)
        if p is None or c is None:
            return
        children = p.setdefault("children", [])
        if c["id"] not in children:
            children.append(c["id"])

    def outbound(self, nid: str) -> list[str]:
        """Outbound node IDs of a node: itself for leaves, else its recorded/derived outbound nodes."""
        node = self.map.get(nid)
        if node is None:
            return []
        kind = node.get("type")
        if kind in ("Pod", "Container"):
            return self._container_outbound(node)
        if kind in ("Skipped", "Suspend", "HTTP", "Plugin"):
            return [nid]
        if kind == "Retry":
            kids = node.get("children") or []
            return self.outbound(kids[-1]) if kids else [nid]
        if kind == "TaskGroup":
            out = [o for c in node.get("children") or [] for o in self.outbound(c)]
            return out or [nid]
        return list(node.get("outboundNodes") or [nid])

    def _container_outbound(self, node: Node) -> list[str]:
        """A Pod node's outbound nodes: itself, or for a containerSet its containers no other depends on."""
        boundary = node["id"] if node.get("type") == "Pod" else node.get("boundaryID")
        inner = [
            c
            for c in node.get("children") or []
            if (self.map.get(c) or {}).get("type") == "Container" and self.map[c].get("boundaryID") == boundary
        ]
        out: list[str] = []
        for child in inner:
            out.extend(o for o in self.outbound(child) if o not in out)
        return out or [node["id"]]
