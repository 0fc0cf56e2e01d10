"""Exit handlers and lifecycle hooks: workflow `onExit`/`hooks`, step and task `onExit`/`hooks`.

Called by `_operate` (the workflow's) and `_children`/`_dag` (a step's or task's, through
`_pass.Pass`). Exit handler nodes are `<node>.onExit`, named hooks
`<node>.hooks.<name>`; `workflow.status` and `workflow.failures` are set before the workflow's exit handler.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sluicegate.engine._nodes import FULFILLED
from sluicegate.engine._template import expand_scope, substitute
from sluicegate.lang import ExprError, evaluate_bool

if TYPE_CHECKING:
    from sluicegate.engine._pass import Pass, WorkflowPass
    from sluicegate.engine._spec import TemplateContext

__all__ = ["exit_handlers", "failures", "run_hooks", "workflow_hooks"]

Node = dict[str, Any]


def failures(op: WorkflowPass) -> str:
    """`workflow.failures`: failed and errored pod nodes, as Argo lists them."""
    failed = [
        {
            "displayName": n.get("displayName", ""),
            "message": n.get("message", ""),
            "templateName": n.get("templateName", ""),
            "phase": n.get("phase", ""),
            "podName": n["id"],
            "finishedAt": n.get("finishedAt", ""),
        }
        for n in op.nodes.map.values()
        if n.get("phase") in ("Failed", "Error") and n.get("type") == "Pod"
    ]
    return json.dumps(failed, separators=(",", ":"))


def workflow_hooks(op: WorkflowPass) -> bool:
    """Named workflow hooks (`spec.hooks.<name>.expression`); True when none is still running."""
    done = True
    for hook_name, hook in (op.spec.get("hooks") or {}).items():
        if hook_name == "exit" or op.halted:
            continue
        node_name = f"{op.name}.hooks.{hook_name}"
        if op.nodes.get(node_name) is None:
            try:
                fire = evaluate_bool(str(hook.get("expression", "false")), expand_scope(op.globals))
            except ExprError:
                fire = False
            if not fire:
                continue
        holder = {k: v for k, v in hook.items() if k in ("template", "templateRef", "inline")}
        args = substitute(hook.get("arguments") or {}, op.globals)
        node = op.execute(node_name, holder, op.root_ctx, args, "", {})
        done = done and node.get("phase") in FULFILLED
    return done


def exit_handlers(op: WorkflowPass, root: Node) -> bool:
    if op.spec.get("shutdown") == "Terminate":
        return True
    template = op.spec.get("onExit") or ((op.spec.get("hooks") or {}).get("exit") or {}).get("template")
    if not template:
        return True
    phase = "Succeeded" if root["phase"] in ("Succeeded", "Skipped", "Omitted") else root["phase"]
    op.globals["workflow.status"] = phase
    op.globals["workflow.failures"] = failures(op)
    saved, op.block_new = op.block_new, False
    node = op.execute(f"{op.name}.onExit", {"template": template}, op.root_ctx, op.spec.get("arguments") or {}, "", {})
    op.block_new = saved
    return node.get("phase") in FULFILLED


def run_hooks(
    op: Pass, child: Node, holder: dict[str, Any], tctx: TemplateContext, scope: dict[str, Any], boundary: str
) -> bool:
    """Run a step/task's `onExit`/`hooks` for a fulfilled child; True when they are all fulfilled."""
    hooks = dict(holder.get("hooks") or {})
    if holder.get("onExit"):
        hooks["exit"] = {"template": holder["onExit"]}
    done = True
    for hook_name, hook in hooks.items():
        if hook_name == "exit":
            if child.get("phase") not in FULFILLED:
                continue
            node_name = f"{child['name']}.onExit"
        else:
            node_name = f"{child['name']}.hooks.{hook_name}"
            if op.nodes.get(node_name) is None:
                try:
                    fire = evaluate_bool(str(hook.get("expression", "false")), expand_scope(scope))
                except ExprError:
                    fire = False
                if not fire:
                    continue
        hook_holder = {k: v for k, v in hook.items() if k in ("template", "templateRef", "inline")}
        node = op.execute(node_name, hook_holder, tctx, substitute(hook.get("arguments") or {}, scope), boundary, {})
        if not node.get("transient"):
            op.nodes.add_child(child, node)
        if node.get("phase") not in FULFILLED:
            done = False
    return done
