"""DAG templates: tasks run once their `dependencies`/`depends` are fulfilled (Argo's executeDAG).

Called by `_operate.Operation.dispatch`. Task nodes are `<dag>.<task>`; a fan-out is a `TaskGroup` node
with children `<dag>.<task>(<i>:<item>)`; a task whose `depends` is false becomes an `Omitted` node. A task
is linked as a child of its dependencies' outbound nodes (or of the DAG node when it has none). The DAG's
phase follows Argo's rule: every target task's branch must end without an unhandled failure, an omitted task
inheriting the worst phase of its dependencies.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sluicegate.engine._children import continues_on, inputs_scope, run_child
from sluicegate.engine._expand import expand
from sluicegate.engine._hooks import run_hooks
from sluicegate.engine._nodes import FULFILLED, settled
from sluicegate.engine._scope import aggregate_scope, node_scope, resolve_outputs
from sluicegate.lang import ExprError, evaluate_bool

if TYPE_CHECKING:
    from sluicegate.engine._pass import Pass
    from sluicegate.engine._spec import TemplateContext

__all__ = ["depends_logic", "execute_dag"]

Node = dict[str, Any]
_RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")
_REF = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_\-]*)(\.(" + "|".join(_RESULTS) + r"))?")
_WORDS = {"and", "or", "not", "true", "false"}


def depends_logic(task: dict[str, Any], tasks: dict[str, dict[str, Any]]) -> tuple[str, list[str]]:
    """The boolean logic (with `-` as `_`) and the dependency names of a task."""
    if task.get("depends"):
        text = str(task["depends"])
        names: list[str] = []

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in _WORDS:
                return m.group(0)
            if name not in names:
                names.append(name)
            safe = name.replace("-", "_")
            if m.group(3):
                return f"{safe}.{m.group(3)}"
            return f"({safe}.Succeeded || {safe}.Skipped || {safe}.Daemoned)"

        return _REF.sub(repl, text), names
    deps = [str(d) for d in task.get("dependencies") or []]
    parts = []
    for dep in deps:
        safe = dep.replace("-", "_")
        options = [f"{safe}.Succeeded", f"{safe}.Skipped", f"{safe}.Daemoned"]
        dep_task = tasks.get(dep) or {}
        if continues_on(dep_task, "Failed"):
            options.append(f"{safe}.Failed")
        if continues_on(dep_task, "Error"):
            options.append(f"{safe}.Errored")
        parts.append("(" + " || ".join(options) + ")")
    return " && ".join(parts), deps


def _results(op: Pass, node: Node) -> dict[str, bool]:
    phase = node.get("phase")
    kids = [op.nodes.by_id(c) for c in node.get("children") or []] if node.get("type") == "TaskGroup" else []
    kid_phases = [k.get("phase") for k in kids if k is not None]
    return {
        "Succeeded": phase == "Succeeded",
        "Failed": phase == "Failed",
        "Errored": phase == "Error",
        "Skipped": phase == "Skipped",
        "Omitted": phase == "Omitted",
        "Daemoned": bool(node.get("daemoned")) and phase != "Pending",
        "AnySucceeded": any(p == "Succeeded" for p in kid_phases),
        "AllFailed": bool(kid_phases) and all(p == "Failed" for p in kid_phases),
    }


def _hooks_done(op: Pass, node: Node) -> bool:
    for suffix in (".onExit",):
        hook = op.nodes.get(node["name"] + suffix)
        if hook is not None and hook.get("phase") not in FULFILLED:
            return False
    return True


def execute_dag(op: Pass, name: str, display: str, tmpl: dict[str, Any], tctx: TemplateContext, boundary: str) -> Node:
    """Advance a DAG template node."""
    node = op.nodes.get(name) or op.new_node(name, display, "DAG", tmpl, boundary, "Running")
    op.limit_children(node, tmpl)
    dag = tmpl.get("dag") or {}
    tasks = {t["name"]: t for t in dag.get("tasks") or []}
    logic = {t: depends_logic(task, tasks) for t, task in tasks.items()}
    depended = {d for _, deps in logic.values() for d in deps}
    targets = str(dag["target"]).split() if dag.get("target") else [t for t in tasks if t not in depended]
    needed = _ancestors(targets, logic)
    scope = op.scope(inputs_scope(tmpl))
    for _ in range(len(tasks) + 1):
        changed = False
        for task_name in tasks:
            if task_name not in needed:
                continue
            before = op.nodes.get(f"{name}.{task_name}")
            before_phase = None if before is None else before.get("phase")
            _execute_task(op, name, node, tasks[task_name], logic[task_name], scope, tctx)
            after = op.nodes.get(f"{name}.{task_name}")
            after_phase = None if after is None else after.get("phase")
            changed = changed or before_phase != after_phase
            if after is not None and (after_phase in FULFILLED or after.get("daemoned")):
                scope.update(_task_scope(op, after, task_name))  # a running daemon has its ip already
        if not changed:
            break
    phase = _assess(op, name, tasks, logic, targets)
    if phase == "Running":
        op.fail_fast_done(node)
        return node
    outbound = [
        o for t in targets if (n := op.nodes.get(f"{name}.{t}")) is not None for o in op.nodes.outbound(n["id"])
    ]
    if outbound:
        node["outboundNodes"] = outbound
    if phase != "Succeeded":
        return op.nodes.mark(node, phase)
    try:
        outputs = resolve_outputs(tmpl.get("outputs") or {}, scope)
    except ExprError as e:
        return op.nodes.mark(node, "Error", str(e))
    if outputs:
        node["outputs"] = outputs
    return op.nodes.mark(node, "Succeeded")


def _ancestors(targets: list[str], logic: dict[str, tuple[str, list[str]]]) -> set[str]:
    seen: set[str] = set()
    stack = list(targets)
    while stack:
        current = stack.pop()
        if current in seen or current not in logic:
            continue
        seen.add(current)
        stack.extend(logic[current][1])
    return seen


def _task_scope(op: Pass, task_node: Node, task_name: str) -> dict[str, Any]:
    prefix = f"tasks.{task_name}"
    scope = node_scope(prefix, task_node)
    if task_node.get("type") == "TaskGroup":
        kids = [op.nodes.by_id(c) for c in task_node.get("children") or []]
        scope.update(aggregate_scope(prefix, [k for k in kids if k is not None]))
    return scope


def _execute_task(
    op: Pass,
    dag_name: str,
    dag_node: Node,
    task: dict[str, Any],
    logic: tuple[str, list[str]],
    scope: dict[str, Any],
    tctx: TemplateContext,
) -> None:
    task_name = str(task["name"])
    node_name = f"{dag_name}.{task_name}"
    existing = op.nodes.get(node_name)
    if existing is not None and existing.get("phase") in FULFILLED:
        # its hooks run after it: they read its status and outputs, as in Argo
        run_hooks(op, existing, task, tctx, {**scope, **_task_scope(op, existing, task_name)}, dag_node["id"])
        return
    expression, deps = logic
    dep_nodes = []
    for dep in deps:
        dep_node = op.nodes.get(f"{dag_name}.{dep}")
        if dep_node is None or not settled(dep_node) or not _hooks_done(op, dep_node):
            return
        dep_nodes.append(dep_node)
    boundary = dag_node["id"]
    if existing is None:
        env = {d.replace("-", "_"): _results(op, n) for d, n in zip(deps, dep_nodes, strict=True)}
        try:
            run = evaluate_bool(expression, env) if expression else True
        except ExprError as e:
            _link(
                op,
                dag_node,
                deps,
                dag_name,
                op.nodes.create(
                    node_name,
                    "Skipped",
                    "Error",
                    display=task_name,
                    boundary=boundary,
                    message=f"unable to evaluate expression '{expression}': {e}",
                ),
            )
            return
        if not run:
            omitted = op.nodes.create(
                node_name,
                "Skipped",
                "Omitted",
                display=task_name,
                boundary=boundary,
                message="omitted: depends condition not met",
            )
            _link(op, dag_node, deps, dag_name, omitted)
            return
    if any(k in task for k in ("withItems", "withParam", "withSequence")):
        _execute_group(op, dag_name, dag_node, task, deps, scope, tctx)
        return
    child = run_child(op, node_name, task, scope, tctx, boundary, "tasks")
    if child is not None:
        _link(op, dag_node, deps, dag_name, child.node)


def _link(op: Pass, dag_node: Node, deps: list[str], dag_name: str, child: Node) -> None:
    if not deps:
        op.nodes.add_child(dag_node, child)
        return
    for dep in deps:
        dep_node = op.nodes.get(f"{dag_name}.{dep}")
        if dep_node is None:
            continue
        for out in op.nodes.outbound(dep_node["id"]):
            target = op.nodes.by_id(out)
            if target is not None:
                op.nodes.add_child(target, child)


def _execute_group(
    op: Pass,
    dag_name: str,
    dag_node: Node,
    task: dict[str, Any],
    deps: list[str],
    scope: dict[str, Any],
    tctx: TemplateContext,
) -> None:
    task_name = str(task["name"])
    group_name = f"{dag_name}.{task_name}"
    group = op.nodes.get(group_name)
    try:
        items = expand(task, scope)
    except ExprError as e:
        group = group or op.nodes.create(group_name, "TaskGroup", "Error", display=task_name, boundary=dag_node["id"])
        op.nodes.mark(group, "Error", str(e))
        _link(op, dag_node, deps, dag_name, group)
        return
    if group is None:
        if not items:
            skipped = op.nodes.create(
                group_name,
                "Skipped",
                "Skipped",
                display=task_name,
                boundary=dag_node["id"],
                message="Skipped, empty params",
            )
            _link(op, dag_node, deps, dag_name, skipped)
            return
        group = op.nodes.create(
            group_name,
            "TaskGroup",
            "Running",
            display=task_name,
            template=task.get("template"),
            boundary=dag_node["id"],
        )
        _link(op, dag_node, deps, dag_name, group)
    children = []
    pending = False
    for item_task in items:
        child = run_child(op, f"{dag_name}.{item_task['name']}", item_task, scope, tctx, dag_node["id"], "tasks")
        if child is None:
            pending = True
            continue
        op.nodes.add_child(group, child.node)
        children.append(child.node)
    if pending or any(c.get("phase") not in FULFILLED for c in children):
        return
    failed = [c for c in children if c.get("phase") in ("Failed", "Error") and not continues_on(task, c["phase"])]
    op.nodes.mark(group, failed[0]["phase"] if failed else "Succeeded")


def _assess(
    op: Pass,
    dag_name: str,
    tasks: dict[str, dict[str, Any]],
    logic: dict[str, tuple[str, list[str]]],
    targets: list[str],
) -> str:
    memo: dict[str, str | None] = {}

    def effective(task_name: str) -> str | None:
        if task_name in memo:
            return memo[task_name]
        node = op.nodes.get(f"{dag_name}.{task_name}")
        result: str | None
        if node is None or not settled(node) or not _hooks_done(op, node):
            result = None
        elif node.get("daemoned") and node.get("phase") not in FULFILLED:
            result = "Succeeded"
        elif node.get("phase") in ("Succeeded", "Failed", "Error"):
            result = str(node["phase"])
        else:
            inherited = [effective(d) for d in logic.get(task_name, ("", []))[1]]
            bad = [p for p in inherited if p in ("Failed", "Error")]
            result = bad[0] if bad else "Succeeded"
            if bad and any(
                continues_on(tasks.get(d) or {}, p or "") for d, p in zip(logic[task_name][1], inherited, strict=True)
            ):
                result = "Succeeded"
        memo[task_name] = result
        return result

    phases = [(t, effective(t)) for t in targets if t in tasks]
    if any(p is None for _, p in phases):
        return "Running"
    for task_name, phase in phases:
        if phase in ("Failed", "Error") and not continues_on(tasks[task_name], phase):
            return phase
    return "Succeeded"
