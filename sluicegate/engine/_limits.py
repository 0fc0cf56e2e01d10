"""How many pods of a workflow may run at once: `parallelism` (workflow and steps/DAG) and `failFast`.

Used by `_operate.Operation`: steps/DAG templates register their limits as their nodes are created
(`register`), a leaf node is created only while `allows` says so, and `fail_fast_done` fails a steps/DAG
node once one of its pods failed and none runs any more (Argo's `failFast`, on by default in a DAG).
"""

from __future__ import annotations

from typing import Any

from sluicegate.engine._nodes import FULFILLED, Nodes

__all__ = ["Limits"]

Node = dict[str, Any]


class Limits:
    """The `parallelism` and `failFast` of a workflow's steps/DAG nodes during one pass.

    Args:
        nodes: the workflow's nodes.
    """

    def __init__(self, nodes: Nodes) -> None:
        self.nodes = nodes
        self.parallelism: dict[str, int] = {}
        self.fail_fast: set[str] = set()

    def register(self, node: Node, tmpl: dict[str, Any]) -> None:
        """Register a steps/DAG template's `parallelism` and `failFast` for the children of `node`."""
        if tmpl.get("parallelism"):
            self.parallelism[node["id"]] = int(tmpl["parallelism"])
        if tmpl.get("failFast"):
            self.fail_fast.add(node["id"])

    def allows(self, limit: Any, boundary: str) -> bool:
        """Whether one more pod may start inside `boundary`, the workflow's own `parallelism` being `limit`."""
        running = [n for n in self.nodes.map.values() if n.get("type") == "Pod" and n.get("phase") not in FULFILLED]
        if limit and len(running) >= int(limit):
            return False
        node = self.nodes.by_id(boundary) if boundary else None
        if node is not None and node["id"] in self.fail_fast and self.unsuccessful_children(node["id"]):
            return False
        while node is not None:
            own = self.parallelism.get(node["id"], 0)
            if own:
                inside = [n for n in running if self._within(n, node["id"])]
                if len(inside) >= int(own):
                    return False
            node = self.nodes.by_id(node.get("boundaryID", "")) if node.get("boundaryID") else None
        return True

    def unsuccessful_children(self, boundary: str) -> bool:
        """Whether a Failed/Error pod ran inside `boundary` (for a template's `failFast`)."""
        return any(
            n.get("phase") in ("Failed", "Error") and n.get("type") == "Pod" and self._within(n, boundary)
            for n in self.nodes.map.values()
        )

    def fail_fast_done(self, node: Node) -> bool:
        """Apply a steps/DAG template's `failFast`: True when it has just failed its node."""
        if node["id"] not in self.fail_fast or not self.unsuccessful_children(node["id"]):
            return False
        running = [n for n in self.nodes.map.values() if n.get("type") == "Pod" and n.get("phase") not in FULFILLED]
        if any(self._within(n, node["id"]) for n in running):
            return False
        self.nodes.mark(node, "Failed", "template has failed or errored children and failFast enabled")
        return True

    def _within(self, node: Node, boundary: str) -> bool:
        seen = 0
        current: Node | None = node
        while current is not None and seen < 64:
            if current.get("boundaryID") == boundary:
                return True
            bid = current.get("boundaryID")
            current = self.nodes.by_id(bid) if bid else None
            seen += 1
        return False
