"""One child of a steps group or a DAG, the way Argo's executeSteps and executeDAG both run it.

Called by `_steps` (each step of a group) and `_dag` (each task, or each item of a task's fan-out):
`when` -> Skipped node, arguments and argument artifacts -> Error node when they cannot be resolved,
the child's template -> `Pass.execute`, then the child's `onExit`/`hooks`. Also the helpers both executors
share: the inputs scope of a template, `continueOn`, and `from:` artifact arguments.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from sluicegate.engine._hooks import run_hooks
from sluicegate.engine._scope import node_scope
from sluicegate.engine._template import substitute, substitute_str
from sluicegate.lang import ExprError, evaluate_when

if TYPE_CHECKING:
    from sluicegate.engine._pass import Pass
    from sluicegate.engine._spec import TemplateContext

__all__ = ["Child", "continues_on", "inputs_scope", "resolve_artifacts", "run_child"]

Node = dict[str, Any]
_HOLDER = ("template", "templateRef", "inline")


class Child(NamedTuple):
    """A child node of this pass, and whether its hooks are all fulfilled."""

    node: Node
    hooks_done: bool


def continues_on(holder: dict[str, Any], phase: str) -> bool:
    """Whether `continueOn` lets the parent carry on after a child ended in `phase`."""
    cont = holder.get("continueOn") or {}
    return (phase == "Failed" and bool(cont.get("failed"))) or (phase == "Error" and bool(cont.get("error")))


def inputs_scope(tmpl: dict[str, Any]) -> dict[str, Any]:
    """`inputs.parameters.*` and `inputs.artifacts.*` of a processed steps/DAG template."""
    scope: dict[str, Any] = {}
    for param in (tmpl.get("inputs") or {}).get("parameters") or []:
        if "value" in param:
            scope[f"inputs.parameters.{param['name']}"] = param["value"]
    for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
        scope[f"inputs.artifacts.{art['name']}"] = art
    return scope


def run_child(
    run: Pass,
    name: str,
    item: dict[str, Any],
    scope: dict[str, Any],
    tctx: TemplateContext,
    boundary: str,
    kind: str,
) -> Child | None:
    """Advance the child `name` of a step or task `item` (`kind` "steps" or "tasks"); None if it cannot start yet.

    `item` is the step/task as written, or one copy of it from a fan-out (its `_scope` holds `item`).
    """
    display = str(item["name"])
    local = {**(item.get("_scope") or {}), f"{kind}.name": display}
    child_scope = {**scope, **local}
    existing = run.nodes.get(name)
    if existing is None and item.get("when") not in (None, ""):
        try:
            when = substitute_str(str(item["when"]), child_scope, strict=True)
            go = evaluate_when(when)
        except ExprError as e:
            return Child(
                run.nodes.create(name, "Skipped", "Error", display=display, boundary=boundary, message=str(e)), True
            )
        if not go:
            message = f"when '{when}' evaluated false"
            return Child(
                run.nodes.create(name, "Skipped", "Skipped", display=display, boundary=boundary, message=message), True
            )
    try:
        args = substitute(item.get("arguments") or {}, child_scope, strict=True, skip=("artifacts",))
        args["artifacts"] = resolve_artifacts(item.get("arguments") or {}, child_scope)
    except ExprError as e:
        node = existing or run.nodes.create(name, "Skipped", "Error", display=display, boundary=boundary)
        return Child(run.nodes.mark(node, "Error", str(e)), True)
    holder = {k: v for k, v in item.items() if k in _HOLDER}
    child = run.execute(name, holder, tctx, args, boundary, local, display=display)
    if child.get("transient"):
        return None
    # its hooks run after it: they read its status and outputs (`steps.<name>.outputs.parameters.x`), as in Argo
    hook_scope = {**child_scope, **node_scope(f"{kind}.{display.split('(')[0]}", child)}
    return Child(child, run_hooks(run, child, item, tctx, hook_scope, boundary))


def resolve_artifacts(args: dict[str, Any], scope: dict[str, Any]) -> list[dict[str, Any]]:
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
