"""Steps templates: groups run in order, steps within a group in parallel (Argo's executeSteps).

Called by `_operate.Operation.dispatch`. Node names: `<parent>[<i>]` for step groups, `<group>.<step>` for
steps, `<group>.<step>(<j>:<item>)` for fan-outs; a step group's children are its steps, and the outbound
nodes of one group are linked to the next group node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluicegate.engine._children import continues_on, inputs_scope, run_child
from sluicegate.engine._expand import expand
from sluicegate.engine._nodes import FULFILLED, settled
from sluicegate.engine._scope import aggregate_scope, node_scope, resolve_outputs
from sluicegate.lang import ExprError

if TYPE_CHECKING:
    from sluicegate.engine._pass import Pass
    from sluicegate.engine._spec import TemplateContext

__all__ = ["execute_steps"]

Node = dict[str, Any]


def execute_steps(
    op: Pass, name: str, display: str, tmpl: dict[str, Any], tctx: TemplateContext, boundary: str
) -> Node:
    """Advance a steps template node."""
    node = op.nodes.get(name) or op.new_node(name, display, "Steps", tmpl, boundary, "Running")
    op.limit_children(node, tmpl)
    scope = op.scope({k: v for k, v in inputs_scope(tmpl).items()})
    groups = tmpl.get("steps") or []
    for i, group in enumerate(groups):
        group = group if isinstance(group, list) else (group or {}).get("steps", [])
        sg_name = f"{name}[{i}]"
        sg = op.nodes.get(sg_name)
        if sg is None:
            sg = op.nodes.create(
                sg_name, "StepGroup", "Running", display=f"[{i}]", template=tmpl.get("name"), boundary=node["id"]
            )
        if i == 0:
            op.nodes.add_child(node, sg)
        else:
            prev = op.nodes.get(f"{name}[{i - 1}]")
            if prev is not None:
                if not prev.get("children"):
                    op.nodes.add_child(prev, sg)
                for child_id in prev.get("children") or []:
                    for out in op.nodes.outbound(child_id):
                        op.nodes.add_child(op.nodes.by_id(out) or out, sg)
        sg = _execute_group(op, group, sg, scope, tctx, node["id"])
        if sg.get("phase") not in FULFILLED:
            if op.fail_fast_done(node):
                op.nodes.mark(sg, "Failed", node.get("message", ""))
            return node
        if sg.get("phase") in ("Failed", "Error"):
            _set_outbound(op, node, sg)
            return op.nodes.mark(node, "Failed", sg.get("message", ""))
        for step in group:
            scope.update(_step_scope(op, f"{sg_name}.{step['name']}", step["name"], node["id"]))
    last = op.nodes.get(f"{name}[{len(groups) - 1}]") if groups else None
    if last is not None:
        _set_outbound(op, node, last)
    try:
        outputs = resolve_outputs(tmpl.get("outputs") or {}, scope)
    except ExprError as e:
        return op.nodes.mark(node, "Error", str(e))
    if outputs:
        node["outputs"] = outputs
    return op.nodes.mark(node, "Succeeded")


def _set_outbound(op: Pass, node: Node, sg: Node) -> None:
    outbound = [o for c in sg.get("children") or [] for o in op.nodes.outbound(c)]
    if outbound:
        node["outboundNodes"] = outbound


def _step_scope(op: Pass, child_name: str, step_name: str, boundary: str) -> dict[str, Any]:
    child = op.nodes.get(child_name)
    prefix = f"steps.{step_name}"
    if child is not None:
        return node_scope(prefix, child)
    expanded = sorted(
        (
            n
            for n in op.nodes.map.values()
            if n.get("boundaryID") == boundary and n["name"].startswith(child_name + "(")
        ),
        key=lambda n: _index_of(n["name"], child_name),
    )
    return aggregate_scope(prefix, expanded)


def _index_of(name: str, base: str) -> int:
    head = name[len(base) + 1 :].split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def _execute_group(
    run: Pass, group: list[dict[str, Any]], sg: Node, scope: dict[str, Any], tctx: TemplateContext, boundary: str
) -> Node:
    if sg.get("phase") in FULFILLED:
        return sg
    try:
        expanded = [(step, item_step) for step in group for item_step in expand(step, scope)]
    except ExprError as e:
        return run.nodes.mark(sg, "Error", str(e))
    pending = False
    children: list[tuple[dict[str, Any], Node]] = []
    for step, item_step in expanded:
        child = run_child(run, f"{sg['name']}.{item_step['name']}", item_step, scope, tctx, boundary, "steps")
        if child is None:
            pending = True
            continue
        run.nodes.add_child(sg, child.node)
        if child.node.get("phase") in FULFILLED and not child.hooks_done:
            pending = True
        children.append((step, child.node))
    if pending or any(not settled(c) for _, c in children):
        return sg
    for step, child_node in children:
        if child_node.get("phase") in ("Failed", "Error") and not continues_on(step, child_node["phase"]):
            return run.nodes.mark(sg, "Failed", f"child '{child_node['id']}' failed")
    return run.nodes.mark(sg, "Succeeded")
