"""Lay out a workflow's node graph as an SVG, nested as the templates are: a DAG or Steps inside a DAG is a frame.

Called by the workflow page of the UI. Each group node (the workflow's root, and every DAG or Steps node) is
drawn as a frame holding its own members (the nodes whose `boundaryID` is that group), laid out left to
right by the longest path along `children`; a member that is itself a group is a frame of its own size, so
nested DAGs read as nested. Grouping nodes Argo adds (StepGroup, TaskGroup, Retry) are not drawn: edges pass
through them. An edge from a nested group leaves its frame (Argo links a dependent task to the group's
outbound nodes, which lie inside it). The SVG scales down to the window's width (viewBox, CSS max-width).
The layout is deterministic: order within a column follows the node names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

__all__ = ["PHASE_COLOURS", "dag_svg"]

PHASE_COLOURS = {
    "Succeeded": "#2e9e5b",
    "Running": "#2f7dd1",
    "Pending": "#9aa5b1",
    "Failed": "#d64545",
    "Error": "#b02a2a",
    "Skipped": "#c7cdd4",
    "Omitted": "#c7cdd4",
}

Doc = dict[str, Any]
_GROUPS = {"DAG", "Steps"}
_HIDDEN = {"StepGroup", "TaskGroup", "Retry"}
_W, _H, _GAP_X, _GAP_Y, _PAD, _TITLE = 180, 44, 46, 14, 12, 24


@dataclass
class _Box:
    """A laid-out node: its size, and for a group the members placed inside it (relative positions)."""

    node: str
    w: int
    h: int
    members: list[tuple[_Box, int, int]] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)


class _Graph:
    def __init__(self, nodes: dict[str, Doc], root: str) -> None:
        self.nodes, self.root = nodes, root
        self.by_group: dict[str, list[str]] = {}
        for nid, node in nodes.items():
            if nid == root:
                continue
            boundary = node.get("boundaryID") or root
            self.by_group.setdefault(boundary if boundary in nodes else root, []).append(nid)

    def inside(self, group: str) -> set[str]:
        """Every node nested in `group`, at any depth."""
        out: set[str] = set()
        todo = [group]
        while todo:
            for m in self.by_group.get(todo.pop(), []):
                if m not in out:
                    out.add(m)
                    todo.append(m)
        return out

    def is_group(self, nid: str) -> bool:
        return self.nodes[nid].get("type") in _GROUPS and bool(self.by_group.get(nid))

    def edges(self, group: str) -> tuple[list[str], list[tuple[str, str]]]:
        """The drawn members of `group` and the edges between them (hidden nodes passed through)."""
        members = self.by_group.get(group, [])
        member_set = set(members)
        succ: dict[str, set[str]] = {}
        for m in members:
            # a containerSet's Pod node links to the next step through its Container nodes (inside it)
            reach = {m} | (self.inside(m) if self.nodes[m].get("type") in (*_GROUPS, "Pod") else set())
            succ[m] = {c for x in reach for c in self.nodes[x].get("children") or [] if c in member_set and c != m}
        shown = [m for m in members if self.nodes[m].get("type") not in _HIDDEN]

        def visible(n: str, seen: set[str]) -> set[str]:
            out: set[str] = set()
            for c in succ.get(n, set()):
                if c in seen:
                    continue
                seen.add(c)
                out |= {c} if self.nodes[c].get("type") not in _HIDDEN else visible(c, seen)
            return out

        return shown, sorted((a, b) for a in shown for b in visible(a, set()))


def _layers(shown: list[str], edges: list[tuple[str, str]], nodes: dict[str, Doc]) -> list[list[str]]:
    depth = dict.fromkeys(shown, 0)
    for _ in range(len(shown)):  # longest-path layering, bounded against cycles
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1:
                depth[b], changed = depth[a] + 1, True
        if not changed:
            break
    columns: dict[int, list[str]] = {}
    for n in shown:
        columns.setdefault(depth[n], []).append(n)
    key = lambda n: (str(nodes[n].get("startedAt") or "~"), str(nodes[n].get("name", n)))  # noqa: E731
    return [sorted(columns[d], key=key) for d in sorted(columns)]


def _layout(graph: _Graph, nid: str, depth: int = 0) -> _Box:
    if not graph.is_group(nid) or depth > 30:
        return _Box(nid, _W, _H)
    shown, edges = graph.edges(nid)
    box = _Box(nid, 0, 0, edges=edges)
    x, bottom = _PAD, 0
    for column in _layers(shown, edges, graph.nodes):
        inner = [_layout(graph, m, depth + 1) for m in column]
        y = _TITLE + _PAD
        for b in inner:
            box.members.append((b, x, y))
            y += b.h + _GAP_Y
        x += max(b.w for b in inner) + _GAP_X
        bottom = max(bottom, y - _GAP_Y)
    box.w = max(x - _GAP_X + _PAD, _W + 2 * _PAD)
    box.h = max(bottom + _PAD, _TITLE + _PAD + _H // 2)
    return box


def _node(nodes: dict[str, Doc], nid: str, x: int, y: int, link: str) -> str:
    node = nodes[nid]
    phase = str(node.get("phase", "Pending"))
    label = escape(str(node.get("displayName") or node.get("name") or nid)[:26])
    colour = PHASE_COLOURS.get(phase, "#9aa5b1")
    body = (
        f'<rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="6" fill="{colour}"/>'
        f'<text x="{x + 10}" y="{y + 19}" class="label">{label}</text>'
        f'<text x="{x + 10}" y="{y + 35}" class="phase">{escape(phase)}</text>'
    )
    attrs = f'data-node="{escape(nid)}" data-phase="{escape(phase)}"'
    return f'<a href="{escape(link.format(id=nid))}" {attrs}>{body}</a>' if link else f"<g {attrs}>{body}</g>"


def _draw(graph: _Graph, box: _Box, x: int, y: int, link: str, out: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """Append the SVG of `box` at (x, y); returns where each drawn node ended up (x, y, w, h)."""
    nodes = graph.nodes
    if not box.members:
        out.append(_node(nodes, box.node, x, y, link))
        return {box.node: (x, y, box.w, box.h)}
    node = nodes[box.node]
    phase = str(node.get("phase", "Pending"))
    title = escape(f"{node.get('displayName') or node.get('name') or box.node} · {phase}"[:60])
    stripe = PHASE_COLOURS.get(phase, "#9aa5b1")
    href = escape(link.format(id=box.node)) if link else ""
    label = f'<text x="{x + 10}" y="{y + 17}" class="group-label">{title}</text>'
    out.append(
        f'<g data-group="{escape(box.node)}" data-phase="{escape(phase)}">'
        f'<rect x="{x}" y="{y}" width="{box.w}" height="{box.h}" rx="8" class="group"/>'
        f'<rect x="{x}" y="{y}" width="6" height="{box.h}" rx="3" fill="{stripe}"/>'
        + (f'<a href="{href}">{label}</a>' if href else label)
        + "</g>"
    )
    where: dict[str, tuple[int, int, int, int]] = {box.node: (x, y, box.w, box.h)}
    for member, mx, my in box.members:
        where.update(_draw(graph, member, x + mx, y + my, link, out))
    for a, b in box.edges:
        if a in where and b in where:
            ax, ay, aw, ah = where[a]
            bx, by, _, bh = where[b]
            x1, y1, x2, y2 = ax + aw, ay + ah // 2, bx, by + bh // 2
            out.append(f'<path d="M{x1},{y1} C{x1 + 20},{y1} {x2 - 20},{y2} {x2},{y2}" class="edge"/>')
    return where


def dag_svg(workflow: dict[str, Any], link: str = "") -> str:
    """The node graph of a workflow as inline SVG; `link` is a format string with `{id}` for node links."""
    nodes: dict[str, Doc] = (workflow.get("status") or {}).get("nodes") or {}
    if not nodes:
        return '<p class="muted">No nodes yet.</p>'
    name = (workflow.get("metadata") or {}).get("name", "")
    root = name if name in nodes else next(iter(nodes))
    graph = _Graph(nodes, root)
    box = _layout(graph, root)
    parts: list[str] = []
    _draw(graph, box, 2, 2, link, parts)
    width, height = box.w + 4, box.h + 4
    head = f'<svg class="dag" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
    return head + "".join(parts) + "</svg>"
