"""Checks of one DAG or steps template: task names, dependencies, cycles, and `tasks.X`/`steps.X` tags.

Called by `sluicegate.lint._lint` for every template with `dag` or `steps`. Returns problems with
field paths relative to the template (`dag.tasks[1]`, `steps[2][0]`), which the caller prefixes.
"""

from __future__ import annotations

import re
from typing import Any

from sluicegate.lint._refs import RESULTS, Ref, depends_names, refs, strings
from sluicegate.lint._types import field_path

__all__ = ["check_dag", "check_steps"]

#: `(field path, what is wrong, how to fix it)`, the path relative to the template.
Problem = tuple[str, str, str]


def _upstream(name: str, edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(name, []))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, []))
    return seen


def _cycle(edges: dict[str, list[str]]) -> list[str]:
    """One cycle of the dependency graph as a path (`[a, b, a]`), or [] when there is none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for dep in edges.get(node, []):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep in edges and dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in edges:
        if node not in state and (found := visit(node)):
            return found
    return []


def _edges(tasks: list[Any], names: set[str]) -> tuple[dict[str, list[str]], list[Problem]]:
    edges: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for i, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("name"), str):
            continue
        here = field_path("dag", "tasks", i)
        deps: list[str] = []
        if task.get("dependencies") and task.get("depends"):
            problems.append((here, "sets both `dependencies` and `depends`", "keep only `depends`"))
        for j, dep in enumerate(task.get("dependencies") or []):
            if dep not in names:
                problems.append(
                    (f"{here}.dependencies[{j}]", f"unknown task {dep!r}", f"use one of: {', '.join(sorted(names))}")
                )
            deps.append(dep)
        if isinstance(task.get("depends"), str):
            for dep, result in depends_names(task["depends"]):
                if dep not in names:
                    problems.append(
                        (f"{here}.depends", f"unknown task {dep!r}", f"use one of: {', '.join(sorted(names))}")
                    )
                elif result and result not in RESULTS:
                    problems.append(
                        (
                            f"{here}.depends",
                            f"unknown result {dep}.{result}",
                            f"use one of: {', '.join(sorted(RESULTS))}",
                        )
                    )
                deps.append(dep)
        edges[task["name"]] = deps
    return edges, problems


def _has_exit_hook(holder: dict[str, Any]) -> bool:
    hooks = holder.get("hooks")
    return bool(holder.get("onExit")) or (isinstance(hooks, dict) and "exit" in hooks)


def _read_by(holder: dict[str, Any], kind: str, reads_itself: bool) -> set[str]:
    """The steps/tasks (`kind`) whose tags `holder` uses, less itself where its hooks may read it.

    A step's or task's hooks run after it: they may read its status, and its outputs where `reads_itself`
    (as Argo: a DAG task's hooks always; a step's hooks when the step has an exit hook).
    """
    name = holder.get("name")
    hooks = holder.get("hooks")
    found = {r.name for r in refs({k: v for k, v in holder.items() if k != "hooks"}) if r.scope == kind}
    in_hooks = {r.name for r in refs(hooks) if r.scope == kind}
    if isinstance(name, str) and name in in_hooks:
        own = rf"{kind}(?:\.{re.escape(name)}|\[\s*['\"]{re.escape(name)}['\"]\s*\])"
        status = re.compile(rf"(?<![\w.]){own}\.status\b")
        only_status = all(Ref(kind, name) not in refs(status.sub("", text)) for text in strings(hooks))
        if reads_itself or only_status:
            in_hooks.discard(name)
    return found | in_hooks


def check_dag(template: dict[str, Any]) -> list[Problem]:
    """Problems of a `dag` template: names, dependencies, cycles, and what `{{tasks.X}}` tags refer to."""
    tasks = template["dag"].get("tasks") or []
    names: set[str] = set()
    problems: list[Problem] = []
    for i, task in enumerate(tasks):
        name = task.get("name") if isinstance(task, dict) else None
        if name in names:
            problems.append((field_path("dag", "tasks", i), f"task name {name!r} is used twice", "rename one"))
        if isinstance(name, str):
            names.add(name)
    edges, dep_problems = _edges(tasks, names)
    problems.extend(dep_problems)
    if cycle := _cycle(edges):
        where = field_path("dag", "tasks", next(i for i, t in enumerate(tasks) if t.get("name") == cycle[0]))
        problems.append((where, f"dependency cycle {' -> '.join(cycle)}", "remove one of these dependencies"))
        return problems
    for i, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("name"), str):
            continue
        upstream = _upstream(task["name"], edges)
        for ref in sorted(_read_by(task, "tasks", reads_itself=True)):
            if ref not in names:
                problems.append(
                    (
                        field_path("dag", "tasks", i),
                        f"refers to unknown task {ref!r} in a tasks.{ref} tag",
                        f"use one of: {', '.join(sorted(names))}",
                    )
                )
            elif ref not in upstream:
                problems.append(
                    (
                        field_path("dag", "tasks", i),
                        f"uses the outputs of task {ref!r} but does not depend on it",
                        f"add {ref!r} to its `depends`",
                    )
                )
    for ref in sorted(r.name for r in refs(template.get("outputs")) if r.scope == "tasks"):
        if ref not in names:
            problems.append(("outputs", f"refers to unknown task {ref!r}", f"use one of: {', '.join(sorted(names))}"))
    return problems


def check_steps(template: dict[str, Any]) -> list[Problem]:
    """Problems of a `steps` template: unique names, and `{{steps.X}}` tags naming earlier steps."""
    problems: list[Problem] = []
    earlier: set[str] = set()
    every = {
        s.get("name") for group in template["steps"] if isinstance(group, list) for s in group if isinstance(s, dict)
    }
    for g, group in enumerate(template["steps"]):
        if not isinstance(group, list):
            continue
        names_here: set[str] = set()
        for s, step in enumerate(group):
            if not isinstance(step, dict):
                continue
            here = field_path("steps", g, s)
            name = step.get("name")
            if name in earlier or name in names_here:
                problems.append((here, f"step name {name!r} is used twice", "rename one"))
            for ref in sorted(_read_by(step, "steps", reads_itself=_has_exit_hook(step))):
                if ref not in every:
                    problems.append((here, f"refers to unknown step {ref!r}", "name a step of this template"))
                elif ref not in earlier:
                    problems.append(
                        (here, f"uses step {ref!r} of the same or a later group", f"move {ref!r} to an earlier group")
                    )
            if isinstance(name, str):
                names_here.add(name)
        earlier |= names_here
    for ref in sorted(r.name for r in refs(template.get("outputs")) if r.scope == "steps"):
        if ref not in every:
            problems.append(("outputs", f"refers to unknown step {ref!r}", "name a step of this template"))
    return problems
