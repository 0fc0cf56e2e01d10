"""Lay out a workflow's node graph as an SVG: one column per depth, one box per node, coloured by phase.

Called by the workflow page of the UI. The layout is deterministic: depth is the longest path from the
root along `children`, order within a column follows the node names.
"""

from __future__ import annotations

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

# Retry nodes are left out: their attempts stand for them.
_SHOWN = {"Pod", "Suspend", "Skipped", "Container", "HTTP", "Plugin", "DAG", "Steps"}
_W, _H, _GAP_X, _GAP_Y = 190, 44, 60, 18


def _visible(nodes: dict[str, Any], root: str) -> dict[str, list[str]]:
    """Edges between the nodes worth drawing, skipping grouping nodes (StepGroup, TaskGroup) in between."""
    edges: dict[str, list[str]] = {}

    def targets(node_id: str, seen: set[str]) -> list[str]:
        out: list[str] = []
        for child in nodes.get(node_id, {}).get("children") or []:
            if child in seen or child not in nodes:
                continue
            seen.add(child)
            if nodes[child].get("type") in _SHOWN or child == root:
                out.append(child)
            else:
                out.extend(targets(child, seen))
        return out

    for node_id, node in nodes.items():
        if node.get("type") in _SHOWN or node_id == root:
            edges[node_id] = targets(node_id, set())
    return edges


def dag_svg(workflow: dict[str, Any], link: str = "") -> str:
    """The node graph of a workflow as inline SVG; `link` is a format string with `{id}` for node links."""
    status = workflow.get("status") or {}
    nodes: dict[str, Any] = status.get("nodes") or {}
    root = (workflow.get("metadata") or {}).get("name", "")
    if not nodes:
        return '<p class="muted">No nodes yet.</p>'
    edges = _visible(nodes, root if root in nodes else next(iter(nodes)))
    depth: dict[str, int] = {}
    start = root if root in edges else next(iter(edges))
    frontier = [start]
    depth[start] = 0
    for _ in range(len(edges) + 1):  # longest-path layering, bounded for safety against cycles
        nxt: list[str] = []
        for n in frontier:
            for c in edges.get(n, []):
                if depth.get(c, -1) < depth[n] + 1:
                    depth[c] = depth[n] + 1
                    nxt.append(c)
        if not nxt:
            break
        frontier = nxt
    columns: dict[int, list[str]] = {}
    for n, d in depth.items():
        columns.setdefault(d, []).append(n)
    pos: dict[str, tuple[int, int]] = {}
    for d, ids in columns.items():
        for i, n in enumerate(sorted(ids, key=lambda x: nodes[x].get("name", x))):
            pos[n] = (20 + d * (_W + _GAP_X), 20 + i * (_H + _GAP_Y))
    width = max(x for x, _ in pos.values()) + _W + 20
    height = max(y for _, y in pos.values()) + _H + 20
    parts = [f'<svg class="dag" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    for n, targets in edges.items():
        if n not in pos:
            continue
        x1, y1 = pos[n][0] + _W, pos[n][1] + _H // 2
        for c in targets:
            if c in pos:
                x2, y2 = pos[c][0], pos[c][1] + _H // 2
                parts.append(f'<path d="M{x1},{y1} C{x1 + 30},{y1} {x2 - 30},{y2} {x2},{y2}" class="edge"/>')
    for n, (x, y) in pos.items():
        node = nodes[n]
        phase = str(node.get("phase", "Pending"))
        label = escape(str(node.get("displayName") or node.get("name") or n))[:28]
        href = escape(link.format(id=n)) if link else ""
        colour = PHASE_COLOURS.get(phase, "#9aa5b1")
        box = (
            f'<rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="6" fill="{colour}"/>'
            f'<text x="{x + 10}" y="{y + 19}" class="label">{label}</text>'
            f'<text x="{x + 10}" y="{y + 35}" class="phase">{escape(phase)}</text>'
        )
        node_attr = f'data-node="{escape(n)}" data-phase="{escape(phase)}"'
        parts.append(f'<a href="{href}" {node_attr}>{box}</a>' if href else f"<g {node_attr}>{box}</g>")
    parts.append("</svg>")
    return "".join(parts)
