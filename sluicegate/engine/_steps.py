"""Steps templates: groups run in order, steps within a group in parallel (Argo's executeSteps).

Called by `_operate.Operation._dispatch`. Node names: `<parent>[<i>]` for step groups, `<group>.<step>` for
steps, `<group>.<step>(<j>:<item>)` for fan-outs; a step group's children are its steps, and the outbound
nodes of one group are linked to the next group node.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sluicegate.engine._expand import expand
from sluicegate.engine._expr import ExprError, evaluate_when
from sluicegate.engine._hooks import run_hooks
from sluicegate.engine._nodes import FULFILLED, settled
from sluicegate.engine._scope import aggregate_scope, node_scope, resolve_outputs
from sluicegate.engine._template import substitute, substitute_str

if TYPE_CHECKING:
    from sluicegate.engine._operate import Operation
    from sluicegate.engine._spec import TemplateContext

__all__ = ["continues_on", "execute_steps"]

Node = dict[str, Any]


def continues_on(holder: dict[str, Any], phase: str) -> bool:
    """Whether `continueOn` lets the parent carry on after a child ended in `phase`."""
    cont = holder.get("continueOn") or {}
    return (phase == "Failed" and bool(cont.get("failed"))) or (phase == "Error" and bool(cont.get("error")))


def execute_steps(
    op: Operation, name: str, display: str, tmpl: dict[str, Any], tctx: TemplateContext, boundary: str
) -> Node:
    """Advance a steps template node."""
    node = op.nodes.get(name) or op.new_node(name, display, "Steps", tmpl, boundary, "Running")
    if tmpl.get("parallelism"):
        op.parallelism[node["id"]] = int(tmpl["parallelism"])
    if tmpl.get("failFast"):
        op.fail_fast.add(node["id"])
    scope = op.scope({k: v for k, v in _inputs_scope(tmpl).items()})
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


def _inputs_scope(tmpl: dict[str, Any]) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    for param in (tmpl.get("inputs") or {}).get("parameters") or []:
        if "value" in param:
            scope[f"inputs.parameters.{param['name']}"] = param["value"]
    for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
        scope[f"inputs.artifacts.{art['name']}"] = art
    return scope


def _set_outbound(op: Operation, node: Node, sg: Node) -> None:
    outbound = [o for c in sg.get("children") or [] for o in op.nodes.outbound(c)]
    if outbound:
        node["outboundNodes"] = outbound


def _step_scope(op: Operation, child_name: str, step_name: str, boundary: str) -> dict[str, Any]:
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
    op: Operation, group: list[dict[str, Any]], sg: Node, scope: dict[str, Any], tctx: TemplateContext, boundary: str
) -> Node:
    if sg.get("phase") in FULFILLED:
        return sg
    try:
        expanded = [(step, item_step) for step in group for item_step in expand(step, scope)]
    except ExprError as e:
        return op.nodes.mark(sg, "Error", str(e))
    pending = False
    children: list[tuple[dict[str, Any], Node]] = []
    for step, item_step in expanded:
        child_name = f"{sg['name']}.{item_step['name']}"
        local = {**(item_step.get("_scope") or {}), "steps.name": item_step["name"]}
        step_scope = {**scope, **local}
        child = op.nodes.get(child_name)
        if child is None:
            try:
                when = substitute_str(str(item_step.get("when", "")), step_scope, strict=True)
                run = evaluate_when(when)
            except ExprError as e:
                child = op.nodes.create(
                    child_name, "Skipped", "Error", display=item_step["name"], boundary=boundary, message=str(e)
                )
                op.nodes.add_child(sg, child)
                children.append((step, child))
                continue
            if not run:
                child = op.nodes.create(
                    child_name,
                    "Skipped",
                    "Skipped",
                    display=item_step["name"],
                    boundary=boundary,
                    message=f"when '{when}' evaluated false",
                )
                op.nodes.add_child(sg, child)
                children.append((step, child))
                continue
        try:
            args = substitute(item_step.get("arguments") or {}, step_scope, strict=True, skip=("artifacts",))
            args["artifacts"] = _resolve_artifacts(item_step.get("arguments") or {}, step_scope)
        except ExprError as e:
            child = child or op.nodes.create(
                child_name, "Skipped", "Error", display=item_step["name"], boundary=boundary
            )
            op.nodes.mark(child, "Error", str(e))
            op.nodes.add_child(sg, child)
            children.append((step, child))
            continue
        holder = {k: v for k, v in item_step.items() if k in ("template", "templateRef", "inline")}
        child = op.execute(child_name, holder, tctx, args, boundary, local, display=item_step["name"])
        if child.get("transient"):
            pending = True
            continue
        op.nodes.add_child(sg, child)
        if child.get("phase") in FULFILLED:
            hook_scope = {**step_scope, f"steps.{step['name']}.status": child.get("phase", "")}
            if not run_hooks(op, child, step, tctx, hook_scope, boundary):
                pending = True
        elif step.get("hooks"):
            run_hooks(
                op, child, step, tctx, {**step_scope, f"steps.{step['name']}.status": child.get("phase", "")}, boundary
            )
        children.append((step, child))
    if pending or any(not settled(c) for _, c in children):
        return sg
    for step, child in children:
        if child.get("phase") in ("Failed", "Error") and not continues_on(step, child["phase"]):
            return op.nodes.mark(sg, "Failed", f"child '{child['id']}' failed")
    return op.nodes.mark(sg, "Succeeded")


def _resolve_artifacts(args: dict[str, Any], scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Argument artifacts with `from: "{{steps.x.outputs.artifacts.y}}"` replaced by the producer's record."""
    out = []
    for art in args.get("artifacts") or []:
        ref = str(art.get("from", "")).strip()
        if ref:
            key = ref[2:-2].strip() if ref.startswith("{{") else ref
            found = scope.get(key)
            if not isinstance(found, dict):
                if art.get("optional"):
                    continue
                raise ExprError(f"unable to resolve artifact {art['name']!r} from {ref}")
            record = {k: v for k, v in found.items() if k not in ("name", "path", "globalName")}
            extra = {k: v for k, v in art.items() if k not in ("name", "from")}
            out.append({**record, **extra, "name": art["name"]})
        elif art.get("fromExpression"):
            raise ExprError("artifacts fromExpression is not supported by the local engine")
        else:
            out.append(json.loads(json.dumps(substitute(art, scope, strict=True))))
    return out
